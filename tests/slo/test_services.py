"""Deadlines stored from the working-time engine: every event that starts, stops or resets a
clock (DOMAIN.md "Service level objectives"), the organisation's calendar, and its settings."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from slo import services
from slo.models import CalendarSettings, ClosedDate, SLOPolicy
from supportdesk import refdata
from tests.factories import CommunityFactory, IncidentFactory, SupportRequestFactory

UTC = dt.UTC


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_reduced_capacity_by_default(db):
    # Most tests pin the plain weekday clock; the reduced-capacity ones switch it back on.
    config = CalendarSettings.load()
    config.pause_during_reduced_capacity = False
    config.save()


def fresh_request(received: dt.datetime, **kwargs):
    support_request = SupportRequestFactory(received_at=received, **kwargs)
    services.refresh_request_deadlines(support_request)
    return support_request


def test_policies_ship_with_the_domain_defaults(db):
    policies = services.load_policies()
    assert policies.target("triage") == dt.timedelta(hours=8)
    assert policies.target("first_response") == dt.timedelta(hours=24)
    assert policies.target("incident_update") == dt.timedelta(hours=3)
    assert policies.target("auto_close") == dt.timedelta(hours=48)
    assert policies.target("timebox") == dt.timedelta(minutes=30)
    assert set(policies.nudge_percent.values()) == {75}


def test_request_received_friday_evening_is_due_for_triage_monday_morning(db):
    support_request = fresh_request(at(2026, 11, 20, 20, 0))  # a Friday
    assert support_request.triage_due_at == at(2026, 11, 23, 4, 0)
    assert support_request.first_response_due_at == at(2026, 11, 23, 20, 0)
    assert support_request.response_due_at == support_request.first_response_due_at
    assert support_request.next_due_at == support_request.triage_due_at


def test_request_received_on_saturday_starts_counting_monday(db):
    support_request = fresh_request(at(2026, 11, 21, 10, 0))
    assert support_request.triage_due_at == at(2026, 11, 23, 8, 0)


def test_admin_closed_date_is_not_counted(db):
    ClosedDate.objects.create(date=dt.date(2026, 11, 23), name="Team day off")
    support_request = fresh_request(at(2026, 11, 20, 20, 0))
    assert support_request.triage_due_at == at(2026, 11, 24, 4, 0)


def test_community_time_zone_does_not_move_the_working_week(db):
    # DOMAIN.md (2026-12-01): one reference clock; Saturday 04:00 UTC is weekend for everyone.
    community = CommunityFactory(timezone="America/Los_Angeles")
    support_request = fresh_request(at(2026, 11, 21, 4, 0), community=community)
    assert support_request.triage_due_at == at(2026, 11, 23, 8, 0)


def test_own_calendar_moves_the_working_week_to_the_community_zone(db):
    # Friday 20:00 in Los Angeles is Saturday 04:00 UTC: still 4 working hours left locally.
    community = CommunityFactory(timezone="America/Los_Angeles", own_calendar=True)
    support_request = fresh_request(at(2026, 11, 21, 4, 0), community=community)
    # Due Monday 04:00 Los Angeles time = 12:00 UTC.
    assert support_request.triage_due_at == at(2026, 11, 23, 12, 0)


def test_edited_policy_changes_new_deadlines(db):
    services.load_policies()  # cached before the edit
    policy = SLOPolicy.objects.get(clock="triage")
    policy.target_minutes = 4 * 60
    policy.save()
    refdata.mark_committed()
    support_request = fresh_request(at(2026, 11, 23, 9, 0))
    assert support_request.triage_due_at == at(2026, 11, 23, 13, 0)


def test_triage_stops_the_triage_clock_but_not_the_response_clock(db):
    support_request = fresh_request(at(2026, 11, 23, 9, 0))
    support_request.status, support_request.category = "triaged", "change"
    support_request.triaged_at = at(2026, 11, 23, 10, 0)
    services.refresh_request_deadlines(support_request)
    assert support_request.triage_due_at == at(
        2026, 11, 23, 17, 0
    )  # kept as the record of the target
    assert support_request.next_due_at == support_request.response_due_at == at(2026, 11, 24, 9, 0)
    assert support_request.timebox_due_at == at(2026, 11, 23, 10, 30)


def test_public_reply_stops_the_response_clock(db):
    support_request = fresh_request(at(2026, 11, 23, 9, 0))
    support_request.status, support_request.category = "triaged", "guidance"
    support_request.triaged_at = support_request.first_responded_at = at(2026, 11, 23, 10, 0)
    support_request.last_staff_reply_at = support_request.first_responded_at
    services.refresh_request_deadlines(support_request)
    assert support_request.response_due_at is None
    assert support_request.next_due_at is None
    assert support_request.first_response_due_at == at(2026, 11, 24, 9, 0)  # the objective's record


def test_representative_reply_restarts_the_response_clock(db):
    support_request = fresh_request(at(2026, 11, 23, 9, 0))
    support_request.status, support_request.category = "triaged", "guidance"
    support_request.triaged_at = support_request.first_responded_at = at(2026, 11, 23, 10, 0)
    support_request.last_staff_reply_at = support_request.first_responded_at
    support_request.last_requester_reply_at = at(2026, 11, 27, 22, 0)  # Friday night
    support_request.unanswered_since = support_request.last_requester_reply_at
    services.refresh_request_deadlines(support_request)
    assert support_request.response_due_at == at(2026, 11, 30, 22, 0)  # 2 h Friday + 22 h Monday
    assert support_request.next_due_at == support_request.response_due_at


def test_staff_reply_after_representative_reply_stops_the_clock_again(db):
    support_request = fresh_request(at(2026, 11, 23, 9, 0))
    support_request.status, support_request.category = "triaged", "guidance"
    support_request.triaged_at = support_request.first_responded_at = at(2026, 11, 23, 10, 0)
    support_request.last_requester_reply_at = at(2026, 11, 24, 10, 0)
    support_request.last_staff_reply_at = at(2026, 11, 24, 11, 0)
    support_request.unanswered_since = None  # the staff reply answered it
    services.refresh_request_deadlines(support_request)
    assert support_request.response_due_at is None


def test_resolution_starts_the_auto_close_clock_over_the_weekend(db):
    support_request = fresh_request(at(2026, 11, 23, 9, 0))
    support_request.status, support_request.category = "resolved", "change"
    support_request.triaged_at = support_request.first_responded_at = at(2026, 11, 23, 10, 0)
    support_request.resolved_at = at(2026, 11, 26, 12, 0)  # Thursday noon
    services.refresh_request_deadlines(support_request)
    # Thu 12h + Fri 24h = 36h; 12 more on Monday.
    assert support_request.auto_close_due_at == at(2026, 11, 30, 12, 0)
    assert support_request.response_due_at is None
    assert support_request.next_due_at == support_request.auto_close_due_at


def test_closed_request_has_no_pending_deadline(db):
    support_request = fresh_request(at(2026, 11, 23, 9, 0))
    support_request.status, support_request.category = "closed", "change"
    support_request.triaged_at = support_request.first_responded_at = at(2026, 11, 23, 10, 0)
    support_request.resolved_at = support_request.closed_at = at(2026, 11, 23, 11, 0)
    services.refresh_request_deadlines(support_request)
    assert support_request.next_due_at is None
    assert support_request.auto_close_due_at is None
    assert support_request.response_due_at is None


def test_reduced_capacity_pauses_non_incident_clocks_when_an_admin_chooses_it(db):
    # DOMAIN.md (2026-12-01): excused, not paused, by default; the pause is an admin setting.
    config = CalendarSettings.load()
    config.pause_during_reduced_capacity = True
    config.save()
    # 28 Dec 2026 is in the last week of the year: the clock waits for 8 January 2027.
    support_request = fresh_request(at(2026, 12, 23, 20, 0))
    assert support_request.triage_due_at == at(2026, 12, 24, 4, 0)
    late = fresh_request(at(2026, 12, 28, 9, 0))
    assert late.triage_due_at == at(2027, 1, 8, 8, 0)


def test_reduced_capacity_setting_off_keeps_the_plain_clock(db):
    support_request = fresh_request(at(2026, 12, 28, 9, 0))
    assert support_request.triage_due_at == at(2026, 12, 28, 17, 0)


def test_incident_clocks_ignore_reduced_capacity(db):
    config = CalendarSettings.load()
    config.pause_during_reduced_capacity = True
    config.save()
    incident = IncidentFactory(declared_at=at(2026, 12, 28, 9, 0))
    services.refresh_incident_deadlines(incident)
    assert incident.next_update_due_at == at(2026, 12, 28, 12, 0)
    assert incident.escalation_due_at == at(2026, 12, 28, 9, 30)


def test_overlapping_public_holidays_of_the_roster_are_reduced_capacity(rotation):
    config = CalendarSettings.load()
    config.pause_during_reduced_capacity = True
    config.save()
    # The roster fixture has engineers in US, DE, GB, US: US Thanksgiving (26 Nov 2026) is a
    # holiday for half of them.
    assert dt.date(2026, 11, 26) in services.reduced_capacity_dates([2026])
    assert dt.date(2026, 10, 3) not in services.reduced_capacity_dates([2026])  # DE only
    support_request = fresh_request(at(2026, 11, 25, 20, 0))
    assert support_request.triage_due_at == at(2026, 11, 27, 4, 0)


def test_incident_update_clock_resets_when_an_update_is_sent(db):
    incident = IncidentFactory(declared_at=at(2026, 11, 20, 22, 0))  # Friday 22:00
    services.refresh_incident_deadlines(incident)
    assert incident.next_update_due_at == at(2026, 11, 23, 1, 0)  # weekend not counted
    incident.last_update_sent_at = at(2026, 11, 23, 0, 30)
    services.refresh_incident_deadlines(incident)
    assert incident.next_update_due_at == at(2026, 11, 23, 3, 30)


def test_resolved_incident_stops_the_update_clock_and_starts_auto_close(db):
    incident = IncidentFactory(declared_at=at(2026, 11, 23, 9, 0))
    incident.state = "resolved"
    incident.resolved_at = incident.impact_ended_at = at(2026, 11, 23, 11, 0)
    services.refresh_incident_deadlines(incident)
    assert incident.next_update_due_at is None
    assert incident.auto_close_due_at == at(2026, 11, 25, 11, 0)


def test_nudge_instant_is_75_percent_of_working_time(db):
    calendar = services.calendar_for()
    started = at(2026, 11, 20, 20, 0)  # Friday 20:00, due Monday 04:00 (8 wh)
    due = at(2026, 11, 23, 4, 0)
    # 6 working hours: 4 on Friday evening, 2 on Monday.
    assert services.nudge_instant(started=started, due=due, percent=75, calendar=calendar) == at(
        2026, 11, 23, 2, 0
    )


@time_machine.travel(at(2026, 11, 23, 2, 0), tick=False)
def test_remaining_and_explanation_are_in_working_time(db):
    calendar = services.calendar_for()
    assert services.remaining_text(at(2026, 11, 23, 4, 0), calendar=calendar) == "2 h left"
    assert services.is_overdue(at(2026, 11, 23, 1, 0))
    text = services.explain(at(2026, 11, 20, 20, 0), "triage", calendar=calendar)
    assert "weekend not counted" in text
    assert text.endswith("due Mon 23 Nov 04:00 (UTC)")  # one zone, named once


def test_auto_close_explanation_counts_from_the_resolution(db):
    calendar = services.calendar_for()
    text = services.explain(at(2026, 11, 26, 12, 0), "auto_close", calendar=calendar)
    assert text.startswith("resolved Thu 26 Nov 12:00;")
    assert text.endswith("due Mon 30 Nov 12:00 (UTC)")
