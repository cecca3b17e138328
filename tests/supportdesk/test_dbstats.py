"""Embedded mode gets planner statistics after migrate and daily (supportdesk/dbstats.py): with
them SQLite walks the queue's index instead of sorting every open request."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django_celery_beat.models import PeriodicTask

from supportdesk.dbstats import database_optimize
from supportdesk.tasks import database_optimize_task
from tests.factories import SupportRequestFactory

pytestmark = pytest.mark.django_db


def stat_tables() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
        return {row[0] for row in cursor.fetchall()}


def drop_statistics() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone():
            cursor.execute("DELETE FROM sqlite_stat1")


@pytest.fixture
def sqlite():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite statistics: the embedded mode's database (DATABASE_URL unset)")


def test_migrate_analyzes_tables_that_have_rows_but_no_statistics(sqlite, hub, rep):
    SupportRequestFactory.create_batch(3, community=hub.community, hub=hub, requester=rep)
    drop_statistics()
    call_command("migrate", verbosity=0)
    assert "tickets_supportrequest" in stat_tables()


def test_the_daily_task_analyzes_everything(sqlite, hub, rep):
    SupportRequestFactory.create_batch(3, community=hub.community, hub=hub, requester=rep)
    drop_statistics()
    assert database_optimize_task().startswith("ANALYZE and PRAGMA optimize")
    assert {"tickets_supportrequest", "accounts_user"} <= stat_tables()


def test_without_missing_statistics_migrate_only_runs_pragma_optimize(sqlite, hub, rep):
    SupportRequestFactory(community=hub.community, hub=hub, requester=rep)
    database_optimize(full=True)
    assert database_optimize(full=False).startswith("PRAGMA optimize")


def test_postgresql_keeps_its_own_statistics(db):
    if connection.vendor == "sqlite":
        pytest.skip("PostgreSQL only")
    assert database_optimize().startswith("nothing to do")


def test_the_daily_task_is_in_the_default_schedule():
    task = PeriodicTask.objects.get(task="supportdesk.database_optimize")
    assert task.enabled
    assert (task.crontab.minute, task.crontab.hour) == ("17", "3")
