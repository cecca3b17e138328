"""The beat schedule lives in the database, seeded by a migration, and every entry names a real,
runnable task."""

from __future__ import annotations

import pytest
import time_machine
from django_celery_beat.models import PeriodicTask

from notifications.beat import DEFAULT_SCHEDULE, install_default_schedule
from supportdesk.celery import app
from tests.notifications.helpers import march

pytestmark = pytest.mark.django_db


def registered_tasks() -> set[str]:
    app.loader.import_default_modules()
    return set(app.tasks)


def test_the_migration_seeds_the_default_schedule():
    seeded = {p.name: p for p in PeriodicTask.objects.filter(name__in=DEFAULT_SCHEDULE)}
    assert set(seeded) == set(DEFAULT_SCHEDULE)
    sweep = seeded["SLO sweep: triage, response and incident-update nudges"]
    assert (sweep.task, sweep.interval.every, sweep.interval.period) == ("slo.sweep", 1, "minutes")
    assert sweep.enabled and sweep.expire_seconds == 50
    handover = seeded["Rotation hand-over digest and on-duty post"]
    assert handover.crontab.minute == "5" and handover.crontab.hour == "*"


def test_installing_again_keeps_what_an_admin_changed():
    sweep = PeriodicTask.objects.get(task="slo.sweep")
    sweep.enabled = False
    sweep.save()
    assert install_default_schedule() == 0
    assert not PeriodicTask.objects.get(task="slo.sweep").enabled
    assert PeriodicTask.objects.filter(task="slo.sweep").count() == 1


def test_every_scheduled_task_exists_and_each_task_is_scheduled_once():
    tasks = registered_tasks()
    scheduled = list(PeriodicTask.objects.values_list("task", flat=True))
    assert set(scheduled) <= tasks
    assert len(scheduled) == len(set(scheduled))


@pytest.mark.parametrize("task_name", sorted({task for task, _, _ in DEFAULT_SCHEDULE.values()}))
def test_each_beat_task_runs_on_a_quiet_desk(task_name, rotation, community, eager_delivery):
    registered_tasks()
    with time_machine.travel(march(10, 12), tick=False):
        result = app.tasks[task_name].apply()
    assert result.successful(), result.traceback


def test_the_auto_close_task_closes_a_quiet_resolved_request_once_after_the_weekend(
    rep, hub, steward, eager_delivery, django_capture_on_commit_callbacks
):
    from django.core import mail

    from slo.services import refresh_request_deadlines
    from tests.factories import SupportRequestFactory

    support_request = SupportRequestFactory(
        community=hub.community,
        hub=hub,
        requester=rep,
        assignee=steward,
        received_at=march(5, 9),
        status="resolved",
        category="change",
        triaged_at=march(5, 10),
        first_responded_at=march(5, 11),
        resolved_at=march(6, 12),  # Friday noon: 12 h Friday, 24 h Monday, 12 h Tuesday
    )
    refresh_request_deadlines(support_request)
    support_request.save()
    assert support_request.auto_close_due_at == march(10, 12)

    registered_tasks()  # the task modules are imported by the worker, not by this test
    task = app.tasks["tickets.auto_close_due"]
    for when, closed in ((march(9, 12), 0), (march(10, 12), 1), (march(10, 12, 5), 0)):
        with (
            time_machine.travel(when, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            assert task.apply().get() == closed, when
    support_request.refresh_from_db()
    assert support_request.status == "closed"
    assert [m.to for m in mail.outbox if "Closed:" in m.subject] == [[rep.email]]
