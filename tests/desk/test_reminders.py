"""Budget alerts (80% and 100%, once each) and incident follow-ups (once per working day)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from desk.reminders import budget_alerts_send, follow_up_reminders_send
from incidents.models import ActionItem, IncidentReport, RoleAssignment
from notifications.models import Notification
from tests.factories import IncidentFactory, SupportBudgetFactory, SupportRequestFactory
from tests.notifications.helpers import march
from tickets.models import TimeEntry

pytestmark = pytest.mark.usefixtures("eager_delivery")


@pytest.fixture
def at(django_capture_on_commit_callbacks):
    """Run a reminder service at a frozen instant and deliver what it claims."""

    def run(when, service):
        with (
            time_machine.travel(when, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return service()

    return run


# --- budgets -----------------------------------------------------------------------------------


def log_hours(community, engineer, hours: int) -> None:
    r = SupportRequestFactory(community=community, received_at=march(2, 9))
    TimeEntry.objects.create(
        request=r,
        community=community,
        engineer=engineer,
        minutes=hours * 60,
        worked_at=march(3, 10),
        budget_month=datetime.date(2026, 3, 1),
        counts_against_budget=True,
    )


def test_admins_hear_once_at_80_and_once_at_100_percent_of_the_month_budget(
    community, admin_user, engineer, at
):
    other_admin = type(admin_user).objects.create_user(
        "admin2", "admin2@example.org", "pw", is_staff=True, is_superuser=True
    )
    SupportBudgetFactory(community=community, month=datetime.date(2026, 3, 1), hours=Decimal(10))

    log_hours(community, engineer, 7)
    assert at(march(10, 12), budget_alerts_send) == 0

    log_hours(community, engineer, 1)  # 8 of 10 hours
    assert at(march(10, 12), budget_alerts_send) == 2
    assert at(march(10, 13), budget_alerts_send) == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted([admin_user.email, other_admin.email])
    assert "used 80% of its March 2026 support budget" in mail.outbox[0].subject

    log_hours(community, engineer, 3)  # 11 of 10 hours
    assert at(march(11, 12), budget_alerts_send) == 2
    assert at(march(11, 13), budget_alerts_send) == 0
    subjects = [m.subject for m in mail.outbox]
    assert subjects.count("Alpha Research has used its March 2026 support budget") == 2
    assert len(subjects) == 4
    assert (
        Notification.objects.filter(key__startswith=f"budget:{community.pk}:2026-03:").count() == 4
    )


def test_a_new_month_starts_from_zero(community, admin_user, engineer, at):
    SupportBudgetFactory(community=community, month=datetime.date(2026, 3, 1), hours=Decimal(10))
    log_hours(community, engineer, 9)
    assert at(march(31, 12), budget_alerts_send) == 1
    assert at(datetime.datetime(2026, 4, 1, 12, tzinfo=datetime.UTC), budget_alerts_send) == 0


# --- follow-ups --------------------------------------------------------------------------------


def resolved_incident(*, owner=None, commander=None, review_state="draft", with_report=True):
    incident = IncidentFactory(
        state="resolved",
        declared_at=march(2, 9),
        impact_started_at=march(2, 8),
        resolved_at=march(2, 12),
        impact_ended_at=march(2, 12),
    )
    if commander is not None:
        RoleAssignment.objects.create(
            incident=incident, role="commander", user=commander, started_at=march(2, 9)
        )
    if with_report:
        IncidentReport.objects.create(
            incident=incident,
            owner=owner,
            review_state=review_state,
            reviewed_at=march(3, 9) if review_state == "reviewed" else None,
        )
    return incident


def followup_keys(prefix="followup:") -> list[str]:
    return sorted(Notification.objects.filter(key__startswith=prefix).values_list("key", flat=True))


def test_report_owners_are_reminded_once_per_working_day_until_reviewed(rotation, at):
    ann, ben, cat, dan = (e.user for e in rotation)
    draft = resolved_incident(owner=cat)
    no_report = resolved_incident(commander=dan, with_report=False)
    resolved_incident(owner=ann, review_state="reviewed")

    assert at(march(9, 8), follow_up_reminders_send)["reports"] == 2
    assert at(march(9, 15), follow_up_reminders_send)["reports"] == 0  # later that day
    assert followup_keys() == sorted(
        [
            f"followup:report:{draft.pk}:2026-03-09:user:{cat.pk}",
            f"followup:report:{no_report.pk}:2026-03-09:user:{dan.pk}",
        ]
    )
    assert at(march(14, 10), follow_up_reminders_send) == {"reports": 0, "action_items": 0}
    assert at(march(16, 0, 30), follow_up_reminders_send)["reports"] == 2  # Monday
    reminder = next(m for m in mail.outbox if m.to == [cat.email])
    assert "The incident report is draft" in reminder.subject
    assert ben.email not in {m.to[0] for m in mail.outbox}


def test_action_items_open_for_10_working_days_remind_their_owner_daily(rotation, at):
    ann, _, cat, dan = (e.user for e in rotation)
    report = resolved_incident(owner=ann, review_state="reviewed").report
    # Monday 2 March 09:00 + 10 working days = Monday 16 March 09:00.
    old = ActionItem.objects.create(
        report=report,
        description="Alert on failed server starts",
        follow_up_url="https://github.com/org/infra/issues/1",
        owner=dan,
        created_at=march(2, 9),
    )
    ActionItem.objects.create(
        report=report,
        description="Already done",
        follow_up_url="https://github.com/org/infra/issues/2",
        owner=dan,
        created_at=march(2, 9),
        done=True,
        done_at=march(3, 9),
    )
    ActionItem.objects.create(
        report=report,
        description="Recent",
        follow_up_url="https://github.com/org/infra/issues/3",
        owner=cat,
        created_at=march(12, 9),
    )

    assert at(march(13, 23), follow_up_reminders_send)["action_items"] == 0
    assert at(march(16, 8, 59), follow_up_reminders_send)["action_items"] == 0
    assert at(march(16, 9), follow_up_reminders_send)["action_items"] == 1
    assert at(march(16, 17), follow_up_reminders_send)["action_items"] == 0
    assert followup_keys("followup:actions:") == [f"followup:actions:2026-03-16:user:{dan.pk}"]
    body = next(m.body for m in mail.outbox if m.to == [dan.email])
    assert old.description in body and "Already done" not in body
    assert at(march(17, 9), follow_up_reminders_send)["action_items"] == 1
