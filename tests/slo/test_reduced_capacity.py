"""Reduced capacity: excused, not paused (DOMAIN.md "Working time", corrected 2026-12-01).

The roster here has engineers in Czechia, Finland, Poland and Germany: Christmas Eve is a public
holiday for three of the four, so with the last week of the year reduced capacity runs from
Thursday 24 December 2026 to Thursday 7 January 2027 ("Reduced capacity 24 Dec – 7 Jan")."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from desk.sweeps import slo_sweep
from notifications.models import Notification
from slo import services
from slo.models import CalendarSettings
from tests.factories import EngineerFactory, StaffFactory, SupportRequestFactory
from tickets import selectors
from tickets.models import SupportRequest

UTC = dt.UTC


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.fixture
def roster(db):
    return [
        EngineerFactory(user=StaffFactory(username=u, first_name=u.title()), country=c)
        for u, c in (("jana", "CZ"), ("aino", "FI"), ("ola", "PL"), ("emil", "DE"))
    ]


@pytest.fixture
def project_manager(db):
    return StaffFactory(username="pm", is_project_manager=True)


def received(when, **kwargs):
    r = SupportRequestFactory(received_at=when, **kwargs)
    services.refresh_request_deadlines(r)
    r.save()
    return r


def test_christmas_eve_is_reduced_capacity_for_this_roster(roster):
    dates = services.reduced_capacity_dates([2026, 2027])
    assert dt.date(2026, 12, 24) in dates and dt.date(2027, 1, 7) in dates
    assert dt.date(2026, 12, 23) not in dates and dt.date(2027, 1, 8) not in dates


def test_pausing_is_off_by_default():
    assert CalendarSettings().pause_during_reduced_capacity is False


def test_a_23_dec_request_is_due_24_dec_04_00_and_excused(roster):
    r = received(at(2026, 12, 23, 20, 0))  # Wednesday 20:00
    assert r.triage_due_at == at(2026, 12, 24, 4, 0)  # the clock runs: not Fri 8 Jan 04:00
    assert r.triage_excused
    assert r.first_response_due_at == at(2026, 12, 24, 20, 0)
    assert r.first_response_excused and r.response_excused


def test_a_deadline_whose_clock_runs_through_reduced_capacity_is_excused(roster):
    # Tuesday 22 Dec 12:00: 24 working hours end on Wednesday 23 Dec 12:00, before it: not
    # excused; a Wednesday 23 Dec request's first response falls on 24 Dec: excused.
    assert not received(at(2026, 12, 22, 12, 0)).first_response_excused
    assert not received(at(2026, 12, 22, 12, 0)).triage_excused
    before = received(at(2026, 12, 23, 1, 0))
    assert not before.triage_excused  # due Wed 23 Dec 09:00
    assert before.first_response_excused  # due Thu 24 Dec 01:00


def test_an_ordinary_week_is_not_excused(roster):
    r = received(at(2026, 12, 2, 20, 0))
    assert not r.triage_excused and not r.first_response_excused


def test_an_excused_miss_is_nudged_to_the_assignee_only(roster, project_manager):
    steward = roster[0].user
    r = received(at(2026, 12, 23, 20, 0), assignee=steward)
    assert slo_sweep(now=at(2026, 12, 24, 3, 59)).counts["triage:breach"] == 0
    assert slo_sweep(now=at(2026, 12, 24, 4, 0)).counts["triage:breach"] == 1
    [breach] = Notification.objects.filter(key__contains=f":triage:request:{r.pk}:").filter(
        key__contains=":breach:"
    )
    assert breach.recipient == steward  # no project manager, no escalation
    assert "missed (reduced capacity)" in breach.subject
    assert "excused" in breach.body


def test_an_ordinary_miss_still_goes_to_the_project_manager_too(roster, project_manager):
    steward = roster[0].user
    r = received(at(2026, 12, 2, 9, 0), assignee=steward)
    slo_sweep(now=at(2026, 12, 2, 17, 0))
    nudges = Notification.objects.filter(key__contains=f":triage:request:{r.pk}:")
    recipients = {n.recipient for n in nudges if ":breach:" in n.key}
    assert recipients == {steward, project_manager}


def test_an_excused_miss_reads_missed_reduced_capacity(roster, client):
    steward = roster[0].user
    r = received(at(2026, 12, 23, 20, 0), assignee=steward)
    with time_machine.travel(at(2026, 12, 24, 5, 0), tick=False):
        [row] = selectors.annotate_deadlines([SupportRequest.objects.get(pk=r.pk)])
        assert row.due_text == "missed (reduced capacity)" and row.due_state == "excused"
        client.force_login(steward)
        page = client.get(reverse("tickets:desk_request", args=[r.pk])).text
    assert "missed (reduced capacity)" in page


def test_the_pause_remains_an_admin_setting(roster):
    config = CalendarSettings.load()
    config.pause_during_reduced_capacity = True
    config.save()
    r = received(at(2026, 12, 23, 20, 0))
    assert r.triage_due_at == at(2027, 1, 8, 4, 0)  # the old behaviour, when chosen


# --- what representatives see before they submit -------------------------------------------------


@pytest.fixture
def team_day(db):
    from slo.models import ClosedDate

    return ClosedDate.objects.create(date=dt.date(2026, 12, 8), name="Team day")


@time_machine.travel(at(2026, 12, 1, 9, 0), tick=False)
def test_the_submit_form_and_portal_show_reduced_capacity_and_closed_dates(
    roster, team_day, rep, hub, client
):
    client.force_login(rep)
    for name in ("tickets:new", "tickets:my_requests"):
        page = client.get(reverse(name)).text
        assert "Reduced capacity 24 Dec – 7 Jan: answers may be slower." in page
        assert "Closed 8 Dec (Team day): no deadline runs." in page
        assert reverse("slo:calendar_ics") in page


@time_machine.travel(at(2026, 10, 1, 9, 0), tick=False)
def test_the_banner_only_shows_the_next_weeks(roster, rep, hub, client):
    client.force_login(rep)
    assert "Reduced capacity" not in client.get(reverse("tickets:new")).text


@time_machine.travel(at(2026, 12, 1, 9, 0), tick=False)
def test_the_calendar_page_and_ical_feed(roster, team_day, client):
    page = client.get(reverse("slo:calendar")).text
    assert "Reduced capacity 24 Dec – 7 Jan" in page and "Closed 8 Dec (Team day)" in page
    feed = client.get(reverse("slo:calendar_ics"))
    assert feed["Content-Type"].startswith("text/calendar")
    from icalendar import Calendar

    events = [e for e in Calendar.from_ical(feed.content).walk("VEVENT")]
    spans = {(str(e["summary"]), e["dtstart"].dt, e["dtend"].dt) for e in events}
    assert (
        "Reduced capacity 24 Dec – 7 Jan: answers may be slower",
        dt.date(2026, 12, 24),
        dt.date(2027, 1, 8),
    ) in spans
    assert (
        "Closed 8 Dec (Team day): no deadline runs",
        dt.date(2026, 12, 8),
        dt.date(2026, 12, 9),
    ) in spans


def test_the_migration_switches_the_pause_off_and_marks_open_deadlines(roster):
    import importlib

    from django.apps import apps

    config = CalendarSettings.load()
    config.pause_during_reduced_capacity = True  # the old default
    config.save()
    r = received(at(2026, 12, 23, 20, 0))
    assert r.triage_due_at == at(2027, 1, 8, 4, 0)
    SupportRequest.objects.filter(pk=r.pk).update(triage_excused=False)
    importlib.import_module(
        "tickets.migrations.0007_reduced_capacity_excused_not_paused"
    ).switch_pause_off_and_recompute(apps, None)
    r.refresh_from_db()
    assert CalendarSettings.objects.get().pause_during_reduced_capacity is False
    assert r.triage_due_at == at(2026, 12, 24, 4, 0) and r.triage_excused
