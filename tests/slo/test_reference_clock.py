"""One reference clock (DOMAIN.md "Working time", corrected 2026-12-01): every community's
deadlines run on the team's one working week in the reference zone; a community's own zone only
formats the times shown to it, unless an admin explicitly gives it a calendar of its own."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
import time_machine
from django.apps import apps

from desk.sweeps import slo_sweep
from slo import services
from slo.models import CalendarSettings
from tests.factories import CommunityFactory, StaffFactory, SupportRequestFactory
from tickets import selectors
from tickets.models import SupportRequest

UTC = dt.UTC
FRIDAY_20 = dt.datetime(2026, 11, 20, 20, 0, tzinfo=UTC)
MONDAY_04 = dt.datetime(2026, 11, 23, 4, 0, tzinfo=UTC)
SATURDAY_04 = dt.datetime(2026, 11, 21, 4, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _plain_calendar(db):
    config = CalendarSettings.load()
    config.pause_during_reduced_capacity = False
    config.save()


def received(community, at=FRIDAY_20):
    r = SupportRequestFactory(community=community, received_at=at)
    services.refresh_request_deadlines(r)
    r.save()
    return r


def test_utc_and_los_angeles_communities_are_both_due_monday_04_utc(db):
    utc = CommunityFactory(timezone="UTC")
    los_angeles = CommunityFactory(timezone="America/Los_Angeles")
    assert received(utc).triage_due_at == MONDAY_04
    assert received(los_angeles).triage_due_at == MONDAY_04


def test_an_explicit_own_calendar_moves_the_clock_to_the_community_zone(db):
    los_angeles = CommunityFactory(timezone="America/Los_Angeles", own_calendar=True)
    # Friday 12:00 in Los Angeles: 12 local working hours left, so 8 fit the same day.
    assert received(los_angeles).triage_due_at == SATURDAY_04


def test_the_reference_zone_setting_moves_every_community_alike(db):
    config = CalendarSettings.load()
    config.reference_timezone = "Europe/Berlin"
    config.save()
    utc = CommunityFactory(timezone="UTC")
    los_angeles = CommunityFactory(timezone="America/Los_Angeles")
    # Friday 21:00 in Berlin: 3 h that day, 5 more on Monday from 00:00 Berlin (23:00 UTC Sun).
    expected = dt.datetime(2026, 11, 23, 4, 0, tzinfo=UTC)
    assert received(utc).triage_due_at == received(los_angeles).triage_due_at == expected


def test_remaining_time_is_measured_on_the_reference_clock(db):
    los_angeles = CommunityFactory(timezone="America/Los_Angeles")
    r = received(los_angeles)
    with time_machine.travel(dt.datetime(2026, 11, 20, 23, 0, tzinfo=UTC), tick=False):
        [row] = selectors.annotate_deadlines([r])
    assert row.due_text == "5 h left"  # 1 h on Friday (UTC), 4 h on Monday


def test_the_sweep_nudges_every_community_at_the_same_reference_instant(db):
    steward = StaffFactory()
    rows = [
        received(CommunityFactory(timezone=zone))
        for zone in ("UTC", "America/Los_Angeles", "Asia/Tokyo")
    ]
    SupportRequest.objects.filter(pk__in=[r.pk for r in rows]).update(assignee=steward)
    assert slo_sweep(now=MONDAY_04 - dt.timedelta(minutes=1)).counts["triage:breach"] == 0
    assert slo_sweep(now=MONDAY_04).counts["triage:breach"] == 3


def test_the_data_migration_recomputes_open_deadlines_on_the_reference_clock(db):
    los_angeles = CommunityFactory(timezone="America/Los_Angeles")
    r = received(los_angeles)
    closed = received(los_angeles)
    # As the old code stored them: the clock in the community's zone.
    SupportRequest.objects.filter(pk=r.pk).update(
        triage_due_at=SATURDAY_04, next_due_at=SATURDAY_04
    )
    SupportRequest.objects.filter(pk=closed.pk).update(
        status="closed",
        category="change",
        triaged_at=FRIDAY_20,
        resolved_at=FRIDAY_20,
        closed_at=FRIDAY_20,
        triage_due_at=SATURDAY_04,
    )
    migration = importlib.import_module(
        "tickets.migrations.0005_recompute_deadlines_on_the_reference_clock"
    )
    migration.recompute(apps, None)
    r.refresh_from_db()
    closed.refresh_from_db()
    assert r.triage_due_at == r.next_due_at == MONDAY_04
    assert r.first_response_due_at == dt.datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
    assert closed.triage_due_at == SATURDAY_04  # history is left alone
