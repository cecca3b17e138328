"""DATABASE_REPLICA_URL: the dashboard's reads go to the replica, writes never do; without the
setting everything stays on the primary."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from supportdesk.replica import ReplicaRouter, replica_configured, replica_reads
from tests.test_worker import database_url

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import django
django.setup()
from django.db import connections
from django.test.utils import CaptureQueriesContext
from desk.dashboard import reliability_dashboard
from communities.models import Community
from supportdesk.replica import replica_reads

with CaptureQueriesContext(connections["default"]) as primary, \\
        CaptureQueriesContext(connections["replica"]) as replica:
    with replica_reads():
        charts = reliability_dashboard()
        Community.objects.create(name="Written", slug="written")
print(len(charts), len(replica.captured_queries),
      sum(q["sql"].startswith("SELECT") and ("tickets_" in q["sql"] or "incidents_" in q["sql"])
          for q in primary.captured_queries),
      sum(q["sql"].startswith("INSERT") for q in primary.captured_queries))
"""


@pytest.mark.django_db(transaction=True)
def test_dashboard_reads_go_to_the_replica_and_writes_to_the_primary(postgres, tmp_path):
    url = database_url()  # the test database, already migrated
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "supportdesk.settings",
        "DEBUG": "1",
        "DATABASE_URL": url,
        "DATABASE_REPLICA_URL": url,  # the same database stands in for a streaming replica
        "SUPPORTDESK_VAR_DIR": str(tmp_path),
    }
    env.pop("REDIS_URL", None)
    env.pop("BROKER_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    charts, replica_queries, primary_selects, primary_inserts = map(int, done.stdout.split()[-4:])
    assert charts > 0
    assert replica_queries > 0
    # The heavy reads (requests, incidents) all went to the replica. (Settings singletons are
    # read with get_or_create, which Django sends to the primary: each one an earlier test's
    # flush removed is created there, so how many depends on the test order.)
    assert primary_selects == 0
    assert primary_inserts <= 2


def test_without_a_replica_reads_stay_on_the_primary():
    assert not replica_configured()
    with replica_reads() as alias:
        assert alias == "default"
        assert ReplicaRouter().db_for_read(None) is None
