"""Reference data is cached for every process (supportdesk.refdata) and never served stale: a
change is seen at once by its own transaction and by everyone once it commits, and a change
that rolls back leaves nothing behind."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities.models import BudgetSettings
from communities.services import default_budget_hours
from rotation.models import RotationOverride
from rotation.services import _stewards_on, current_stewards
from slo.models import ClosedDate, SLOPolicy
from slo.services import calendar_for, load_policies
from supportdesk import refdata
from supportdesk.worktime import is_working_time

pytestmark = pytest.mark.django_db

# A Wednesday in the fixture rotation's second shift: Ann and Ben are on duty.
NOW = datetime.datetime(2026, 1, 7, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def names(engineers) -> list[str]:
    return [e.user.first_name for e in engineers]


def queries(call) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        result = call()
    return len(ctx.captured_queries), result


def test_a_value_is_built_once_and_then_served_from_the_cache():
    built = []

    def build():
        built.append(1)
        return {"answer": 42}

    assert refdata.cached("t:answer", build) == {"answer": 42}
    assert refdata.cached("t:answer", build) == {"answer": 42}
    assert len(built) == 1


def test_todays_stewards_cost_no_query_once_cached(rotation):
    refdata.mark_committed()
    first, team = queries(current_stewards)
    again, team_again = queries(current_stewards)
    assert first == 3  # settings, roster, overrides
    assert again == 0
    assert names(team) == names(team_again) == ["Ann", "Ben"]


def test_a_committed_override_is_seen_at_once(rotation):
    ann = rotation[0]
    refdata.mark_committed()
    assert names(current_stewards()) == ["Ann", "Ben"]
    RotationOverride.objects.create(
        kind="away", engineer=ann, starts_on=NOW.date(), ends_on=NOW.date(), reason="Ill"
    )
    # Its own transaction sees the change (the cache is bypassed until it commits)...
    assert names(current_stewards()) == ["Cat", "Ben"]
    refdata.mark_committed()
    # ...and so does everyone after the commit.
    assert names(current_stewards()) == ["Cat", "Ben"]


def test_an_uncommitted_change_is_neither_served_nor_stored(rotation):
    ann = rotation[0]
    refdata.mark_committed()
    assert names(current_stewards()) == ["Ann", "Ben"]
    with transaction.atomic():
        RotationOverride.objects.create(
            kind="away", engineer=ann, starts_on=NOW.date(), ends_on=NOW.date()
        )
        built, team = queries(current_stewards)
        assert names(team) == ["Cat", "Ben"]
        assert built == 3, "a transaction with unsaved reference changes reads the database"
        key = f"refdata:{refdata.version()}:rotation:stewards:2026-01-07"
        assert refdata.cache.get(key) is None


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_nothing_cached(rotation):
    ann = rotation[0]
    assert names(current_stewards()) == ["Ann", "Ben"]
    with pytest.raises(RuntimeError), transaction.atomic():
        RotationOverride.objects.create(
            kind="away", engineer=ann, starts_on=NOW.date(), ends_on=NOW.date()
        )
        assert names(current_stewards()) == ["Cat", "Ben"]
        raise RuntimeError("rolled back")
    assert names(current_stewards()) == ["Ann", "Ben"]
    assert queries(current_stewards)[0] == 0, "cached again once the transaction is over"


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_reaches_the_cache_of_the_next_request(rotation, client):
    """The header of every staff page shows who is on duty, from the cache."""
    ann, ben, cat, _ = rotation
    client.force_login(ann.user)
    page = client.get(reverse("tickets:queue"))
    assert names(page.context["stewards_on_duty"]) == ["Ann", "Ben"]
    with transaction.atomic():
        RotationOverride.objects.create(
            kind="swap", engineer=ben, other=cat, starts_on=NOW.date(), ends_on=NOW.date()
        )
    page = client.get(reverse("tickets:queue"))
    assert names(page.context["stewards_on_duty"]) == ["Ann", "Cat"]


def test_a_login_does_not_drop_the_cache(rotation, client):
    refdata.mark_committed()
    token = refdata.version()
    client.force_login(rotation[0].user)  # saves last_login only
    assert refdata.version() == token


def test_renaming_an_engineer_drops_the_cache(rotation):
    refdata.mark_committed()
    current_stewards()
    token = refdata.version()
    user = rotation[0].user
    user.first_name = "Annie"
    user.save()
    assert refdata.version() != token
    refdata.mark_committed()
    assert names(current_stewards()) == ["Annie", "Ben"]


def test_a_new_closed_date_changes_the_cached_calendar(rotation):
    refdata.mark_committed()
    noon = datetime.datetime(2026, 1, 8, 12, 0, tzinfo=datetime.UTC)
    assert is_working_time(noon, calendar_for(timezone_name="UTC"))
    ClosedDate.objects.create(date=noon.date(), name="Team offsite")
    refdata.mark_committed()
    assert not is_working_time(noon, calendar_for(timezone_name="UTC"))


def test_the_capacity_banner_costs_no_query_once_cached_and_shows_a_new_closed_date():
    """The representative's list and the request form show it on every view."""
    from slo.selectors import BANNER_HORIZON, upcoming_periods

    refdata.mark_committed()
    upcoming_periods(horizon=BANNER_HORIZON)
    count, periods = queries(lambda: upcoming_periods(horizon=BANNER_HORIZON))
    assert count == 0 and not [p for p in periods if p.kind == "closed"]
    ClosedDate.objects.create(date=datetime.date(2026, 1, 9), name="Team offsite")
    refdata.mark_committed()
    closed = [p for p in upcoming_periods(horizon=BANNER_HORIZON) if p.kind == "closed"]
    assert [(p.first, p.name) for p in closed] == [(datetime.date(2026, 1, 9), "Team offsite")]


def test_a_changed_policy_changes_the_cached_targets():
    refdata.mark_committed()
    assert load_policies().target("triage") == datetime.timedelta(hours=8)
    policy, _ = SLOPolicy.objects.get_or_create(clock="triage", defaults={"target_minutes": 480})
    policy.target_minutes = 4 * 60
    policy.save()
    refdata.mark_committed()
    assert load_policies().target("triage") == datetime.timedelta(hours=4)


def test_the_cache_is_per_day(rotation, clock):
    """A new day needs no invalidation: the stewards are keyed by their day."""
    refdata.mark_committed()
    assert names(current_stewards()) == ["Ann", "Ben"]
    clock.move_to(datetime.datetime(2026, 2, 2, 10, 0, tzinfo=datetime.UTC))  # a later shift
    assert names(current_stewards()) == ["Cat", "Dan"]


def test_a_rolled_back_savepoint_leaves_the_transaction_free_to_use_the_cache(rotation):
    ann = rotation[0]
    refdata.mark_committed()
    with pytest.raises(RuntimeError), transaction.atomic():
        RotationOverride.objects.create(
            kind="away", engineer=ann, starts_on=NOW.date(), ends_on=NOW.date()
        )
        raise RuntimeError("undone")
    assert names(current_stewards()) == ["Ann", "Ben"]
    assert queries(current_stewards)[0] == 0


@pytest.mark.django_db(transaction=True)
def test_a_copy_built_by_another_process_before_the_commit_is_not_served_after_it(rotation):
    """Between the change and its commit another process may cache the old state under the new
    token; the bump on commit makes sure nobody is served it afterwards."""
    ann = rotation[0]
    day_key = "rotation:stewards:2026-01-07"
    stale = _stewards_on(NOW.date())  # what another process reads until the commit
    with transaction.atomic():
        RotationOverride.objects.create(
            kind="away", engineer=ann, starts_on=NOW.date(), ends_on=NOW.date()
        )
        refdata.cache.set(f"refdata:{refdata.SCHEMA}:{refdata.version()}:{day_key}", stale)
    assert names(current_stewards()) == ["Cat", "Ben"]


def test_deactivating_an_engineer_changes_the_cached_stewards(rotation):
    refdata.mark_committed()
    assert names(current_stewards()) == ["Ann", "Ben"]
    ann = rotation[0]
    ann.is_active = False
    ann.save()
    refdata.mark_committed()
    assert "Ann" not in names(current_stewards())


def test_a_new_default_budget_changes_the_cached_default():
    settings_row = BudgetSettings.load()
    refdata.mark_committed()
    before = default_budget_hours()
    settings_row.communities_per_engineer *= 2
    settings_row.save()
    refdata.mark_committed()
    assert default_budget_hours() == (before / 2).quantize(Decimal("0.01"))


def test_users_other_than_engineers_leave_the_cache_alone(rotation, rep):
    refdata.mark_committed()
    token = refdata.version()
    rep.first_name = "Renamed"
    rep.save()
    assert refdata.version() == token


def test_every_migrate_drops_the_cache():
    token = refdata.version()
    emit_post_migrate_signal(0, False, "default")
    assert refdata.version() != token


def test_a_cache_that_fails_falls_back_to_the_database(rotation, monkeypatch, caplog):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    refdata.mark_committed()
    monkeypatch.setattr(refdata.cache, "get", down)
    monkeypatch.setattr(refdata.cache, "set", down)
    assert names(current_stewards()) == ["Ann", "Ben"]
    # A change is saved even though the cache cannot be told.
    RotationOverride.objects.create(
        kind="away", engineer=rotation[0], starts_on=NOW.date(), ends_on=NOW.date()
    )
    assert names(current_stewards()) == ["Cat", "Ben"]
    assert "could not be invalidated" in caplog.text


def test_the_day_is_the_rotations_local_day(rotation, clock, settings):
    """In Auckland the shift that starts on Monday 19 January starts at Sunday 11:00 UTC."""
    settings.SUPPORT_TIMEZONE = "Pacific/Auckland"
    refdata.mark_committed()
    clock.move_to(datetime.datetime(2026, 1, 18, 10, 30, tzinfo=datetime.UTC))  # Sun 23:30 NZ
    sunday = names(current_stewards())
    clock.move_to(datetime.datetime(2026, 1, 18, 11, 30, tzinfo=datetime.UTC))  # Mon 00:30 NZ
    monday = names(current_stewards())
    assert sunday == names(_stewards_on(datetime.date(2026, 1, 18)))
    assert monday == names(_stewards_on(datetime.date(2026, 1, 19)))
    assert sunday != monday
