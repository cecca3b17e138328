"""The stored rotation: roster, overrides, assignment, the schedule ahead and hand-overs.

The `rotation` fixture has Ann, Ben, Cat and Dan with the rotation starting Monday 2026-01-05:

    shift 0  5 Jan – 18 Jan   Ann, Ben
    shift 1  19 Jan – 1 Feb   Ben, Cat
    shift 2  2 Feb – 15 Feb   Cat, Dan
    shift 3  16 Feb – 1 Mar   Dan, Ann
    shift 4  2 Mar – 15 Mar   Ann, Ben
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from rotation import services as rotation_services
from rotation.models import RotationOverride, RotationSettings
from rotation.services import (
    assignee_for_new_request,
    current_stewards,
    shift_changes_between,
    stewards_on,
    upcoming_shifts,
)
from tests.factories import EngineerFactory, StaffFactory, SupportRequestFactory
from tickets.models import SupportRequest

pytestmark = pytest.mark.django_db


def names(engineers) -> list[str]:
    return [e.user.first_name for e in engineers]


@pytest.fixture
def team(rotation):
    return {e.user.first_name: e for e in rotation}


def away(engineer, starts_on, ends_on=None, reason=""):
    return RotationOverride.objects.create(
        kind=RotationOverride.Kind.AWAY,
        engineer=engineer,
        starts_on=starts_on,
        ends_on=ends_on or starts_on,
        reason=reason,
    )


def swap(engineer, other, starts_on, ends_on=None):
    return RotationOverride.objects.create(
        kind=RotationOverride.Kind.SWAP,
        engineer=engineer,
        other=other,
        starts_on=starts_on,
        ends_on=ends_on or starts_on,
    )


# ---------------------------------------------------------------------------------------------
# Without overrides


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 1, 5), ["Ann", "Ben"]),
        (date(2026, 1, 18), ["Ann", "Ben"]),
        (date(2026, 1, 19), ["Ben", "Cat"]),
        (date(2026, 2, 2), ["Cat", "Dan"]),
        (date(2026, 2, 16), ["Dan", "Ann"]),
        (date(2026, 3, 2), ["Ann", "Ben"]),
    ],
)
def test_stewards_follow_the_alphabetical_roster(team, day, expected):
    assert names(stewards_on(day)) == expected


def test_nobody_is_on_duty_before_the_rotation_starts(team):
    assert stewards_on(date(2026, 1, 4)) == []


def test_nobody_is_on_duty_while_the_roster_is_smaller_than_the_team(db):
    RotationSettings.load()
    EngineerFactory(user=StaffFactory(username="solo", first_name="Solo"))
    assert stewards_on(date(2026, 3, 1)) == []


def test_an_inactive_engineer_leaves_the_roster(team):
    team["Ben"].is_active = False
    team["Ben"].save()
    # Roster Ann, Cat, Dan: shift 1 is Cat, Dan.
    assert names(stewards_on(date(2026, 1, 19))) == ["Cat", "Dan"]


def test_a_deactivated_user_leaves_the_roster(team):
    team["Ann"].user.is_active = False
    team["Ann"].user.save()
    assert names(stewards_on(date(2026, 1, 5))) == ["Ben", "Cat"]


# ---------------------------------------------------------------------------------------------
# Away


def test_an_away_junior_is_covered_by_the_next_engineer_for_those_days_only(team):
    away(team["Ben"], date(2026, 1, 7), date(2026, 1, 9))
    assert names(stewards_on(date(2026, 1, 6))) == ["Ann", "Ben"]
    assert names(stewards_on(date(2026, 1, 7))) == ["Ann", "Cat"]
    assert names(stewards_on(date(2026, 1, 9))) == ["Ann", "Cat"]
    assert names(stewards_on(date(2026, 1, 10))) == ["Ann", "Ben"]
    # The rotation itself does not move: Ben's later turns are where they were.
    assert names(stewards_on(date(2026, 1, 19))) == ["Ben", "Cat"]


def test_an_away_senior_is_covered_in_the_senior_seat(team):
    away(team["Ann"], date(2026, 1, 12))
    # Cat covers Ann's seat; Ben stays the junior (who gets ties in assignment).
    assert names(stewards_on(date(2026, 1, 12))) == ["Cat", "Ben"]


def test_when_both_stewards_are_away_the_next_two_cover(team):
    away(team["Ann"], date(2026, 1, 12))
    away(team["Ben"], date(2026, 1, 12))
    assert names(stewards_on(date(2026, 1, 12))) == ["Cat", "Dan"]


def test_a_cover_who_is_away_too_is_skipped(team):
    away(team["Ben"], date(2026, 1, 12))
    away(team["Cat"], date(2026, 1, 1), date(2026, 1, 31))
    assert names(stewards_on(date(2026, 1, 12))) == ["Ann", "Dan"]


def test_cover_wraps_around_the_roster(team):
    # Shift 3 is Dan, Ann: the next after Ann is Ben (the roster cycles).
    away(team["Dan"], date(2026, 2, 20))
    assert names(stewards_on(date(2026, 2, 20))) == ["Ben", "Ann"]


def test_with_nobody_free_the_team_is_smaller(team):
    for name in ("Ann", "Cat", "Dan"):
        away(team[name], date(2026, 1, 12))
    assert names(stewards_on(date(2026, 1, 12))) == ["Ben"]
    away(team["Ben"], date(2026, 1, 12))
    assert stewards_on(date(2026, 1, 12)) == []


def test_an_override_for_an_inactive_engineer_is_ignored(team):
    swap(team["Ann"], team["Dan"], date(2026, 1, 12))
    team["Dan"].is_active = False
    team["Dan"].save()
    assert names(stewards_on(date(2026, 1, 12))) == ["Ann", "Ben"]


# ---------------------------------------------------------------------------------------------
# Swap


def test_a_swap_puts_the_other_engineer_in_the_seat(team):
    swap(team["Ann"], team["Cat"], date(2026, 1, 12), date(2026, 1, 18))
    assert names(stewards_on(date(2026, 1, 11))) == ["Ann", "Ben"]
    assert names(stewards_on(date(2026, 1, 12))) == ["Cat", "Ben"]
    assert names(stewards_on(date(2026, 1, 18))) == ["Cat", "Ben"]


def test_a_swap_works_both_ways(team):
    # Cat serves Ann's days in shift 0 and Ann serves Cat's in shift 1: a traded turn.
    swap(team["Ann"], team["Cat"], date(2026, 1, 5), date(2026, 2, 1))
    assert names(stewards_on(date(2026, 1, 5))) == ["Cat", "Ben"]
    assert names(stewards_on(date(2026, 1, 19))) == ["Ben", "Ann"]
    assert names(stewards_on(date(2026, 2, 2))) == ["Cat", "Dan"]


def test_a_swap_between_the_two_stewards_trades_seats(team):
    swap(team["Ann"], team["Ben"], date(2026, 1, 12))
    assert names(stewards_on(date(2026, 1, 12))) == ["Ben", "Ann"]


def test_a_swap_between_two_engineers_off_duty_changes_nothing(team):
    swap(team["Cat"], team["Dan"], date(2026, 1, 12))
    assert names(stewards_on(date(2026, 1, 12))) == ["Ann", "Ben"]


def test_someone_swapped_in_but_away_is_covered(team):
    swap(team["Ann"], team["Cat"], date(2026, 1, 12))
    away(team["Cat"], date(2026, 1, 12))
    assert names(stewards_on(date(2026, 1, 12))) == ["Dan", "Ben"]


# ---------------------------------------------------------------------------------------------
# The day in the reference time zone


def test_the_rotation_day_is_the_reference_zone_day(team, settings):
    at = datetime(2026, 1, 18, 12, 0, tzinfo=UTC)  # already 19 January in New Zealand
    assert names(current_stewards(at=at)) == ["Ann", "Ben"]
    settings.SUPPORT_TIMEZONE = "Pacific/Auckland"
    assert names(current_stewards(at=at)) == ["Ben", "Cat"]


# ---------------------------------------------------------------------------------------------
# Assignment of new requests

MONDAY_NOON = datetime(2026, 1, 12, 12, 0, tzinfo=UTC)  # Ann and Ben on duty


def open_requests(user, count, *, status=SupportRequest.Status.NEW):
    extra = {}
    if status != SupportRequest.Status.NEW:
        extra = {
            "category": SupportRequest.Category.CHANGE,
            "triaged_at": MONDAY_NOON,
            "resolved_at": MONDAY_NOON,
            "closed_at": MONDAY_NOON,
            "received_at": MONDAY_NOON,
        }
    return SupportRequestFactory.create_batch(count, assignee=user, status=status, **extra)


def test_a_new_request_goes_to_the_steward_with_fewer_open_requests(team):
    open_requests(team["Ben"].user, 1)
    assert assignee_for_new_request(at=MONDAY_NOON) == team["Ann"].user


def test_on_a_tie_the_junior_steward_gets_the_request(team):
    open_requests(team["Ann"].user, 1)
    open_requests(team["Ben"].user, 1)
    assert assignee_for_new_request(at=MONDAY_NOON) == team["Ben"].user


def test_load_is_counted_up_to_the_cap_then_the_junior_steward_gets_the_request(team, monkeypatch):
    # Ann (senior) has fewer open requests, but both have more than the cap: both count as
    # swamped, so the tie-break gives it to Ben, the junior.
    monkeypatch.setattr(rotation_services, "LOAD_COUNT_CAP", 2)
    open_requests(team["Ann"].user, 3)
    open_requests(team["Ben"].user, 5)
    assert assignee_for_new_request(at=MONDAY_NOON) == team["Ben"].user
    # Under the cap the counts still decide.
    monkeypatch.setattr(rotation_services, "LOAD_COUNT_CAP", 4)
    assert assignee_for_new_request(at=MONDAY_NOON) == team["Ann"].user


def test_closed_requests_do_not_count_as_load(team):
    open_requests(team["Ben"].user, 3, status=SupportRequest.Status.CLOSED)
    assert assignee_for_new_request(at=MONDAY_NOON) == team["Ben"].user


def test_requests_of_engineers_off_duty_do_not_matter(team):
    open_requests(team["Ann"].user, 1)
    open_requests(team["Ben"].user, 1)
    open_requests(team["Cat"].user, 0)
    assert assignee_for_new_request(at=MONDAY_NOON) in {team["Ann"].user, team["Ben"].user}


def test_nobody_on_duty_means_no_assignee(team):
    assert assignee_for_new_request(at=datetime(2025, 12, 31, tzinfo=UTC)) is None


def test_an_away_steward_gets_no_new_requests(team):
    away(team["Ben"], date(2026, 1, 12))
    open_requests(team["Ann"].user, 1)
    assert assignee_for_new_request(at=MONDAY_NOON) == team["Cat"].user


def test_assignment_asks_a_fixed_number_of_queries(team, django_assert_max_num_queries):
    open_requests(team["Ann"].user, 5)
    with django_assert_max_num_queries(4):
        assignee_for_new_request(at=MONDAY_NOON)


# ---------------------------------------------------------------------------------------------
# The schedule ahead


def test_twelve_weeks_are_six_shifts_with_who_joins_and_leaves(team):
    shifts = upcoming_shifts(first_day=date(2026, 1, 5), weeks=12)
    assert [(s.starts, s.last_day) for s in shifts[:2]] == [
        (date(2026, 1, 5), date(2026, 1, 18)),
        (date(2026, 1, 19), date(2026, 2, 1)),
    ]
    assert [names(s.team) for s in shifts] == [
        ["Ann", "Ben"],
        ["Ben", "Cat"],
        ["Cat", "Dan"],
        ["Dan", "Ann"],
        ["Ann", "Ben"],
        ["Ben", "Cat"],
    ]
    assert [s.joining.user.first_name for s in shifts] == ["Ben", "Cat", "Dan", "Ann", "Ben", "Cat"]
    assert [s.leaving and s.leaving.user.first_name for s in shifts] == [
        None,
        "Ann",
        "Ben",
        "Cat",
        "Dan",
        "Ann",
    ]
    assert all(not s.notes for s in shifts)


def test_the_schedule_starts_with_the_shift_under_way(team):
    shifts = upcoming_shifts(first_day=date(2026, 1, 25), weeks=12)
    assert shifts[0].starts == date(2026, 1, 19)
    assert len(shifts) == 7  # 25 Jan + 12 weeks reaches into a seventh shift


def test_a_partial_override_is_a_note_on_its_shift(team):
    away(team["Ben"], date(2026, 1, 21), date(2026, 1, 23), reason="conference")
    shifts = upcoming_shifts(first_day=date(2026, 1, 5), weeks=12)
    assert not shifts[0].notes
    (note,) = shifts[1].notes
    assert (note.first_day, note.last_day) == (date(2026, 1, 21), date(2026, 1, 23))
    assert names(note.team) == ["Dan", "Cat"]
    assert note.text == "Ben Eng away; Dan Eng covers (conference)"
    # The rostered team of the shift is unchanged.
    assert names(shifts[1].team) == ["Ben", "Cat"]


def test_an_override_across_a_change_notes_both_shifts(team):
    swap(team["Ben"], team["Dan"], date(2026, 1, 17), date(2026, 1, 20))
    shifts = upcoming_shifts(first_day=date(2026, 1, 5), weeks=4)
    assert [(n.first_day, n.last_day, names(n.team)) for n in shifts[0].notes] == [
        (date(2026, 1, 17), date(2026, 1, 18), ["Ann", "Dan"])
    ]
    assert [(n.first_day, n.last_day, names(n.team)) for n in shifts[1].notes] == [
        (date(2026, 1, 19), date(2026, 1, 20), ["Dan", "Cat"])
    ]
    assert shifts[1].notes[0].text == "Dan Eng serves instead of Ben Eng (swap)"


def test_no_schedule_without_a_roster(db):
    assert upcoming_shifts(first_day=date(2026, 1, 5)) == []


def test_the_schedule_asks_a_fixed_number_of_queries(team, django_assert_max_num_queries):
    for week in range(6):
        away(team["Cat"], date(2026, 1, 5 + week * 3))
    with django_assert_max_num_queries(4):
        upcoming_shifts(first_day=date(2026, 1, 5), weeks=12)


# ---------------------------------------------------------------------------------------------
# Hand-overs (for the automation's digests)


def test_shift_changes_name_who_joins_and_who_leaves(team):
    (change,) = shift_changes_between(date(2026, 1, 19), date(2026, 1, 19))
    assert change.day == date(2026, 1, 19)
    assert names(change.leaving) == ["Ann"]
    assert names(change.joining) == ["Cat"]
    assert names(change.before) == ["Ann", "Ben"]
    assert names(change.after) == ["Ben", "Cat"]
    assert change.is_shift_change


def test_a_day_without_a_change_has_no_hand_over(team):
    assert shift_changes_between(date(2026, 1, 20), date(2026, 1, 31)) == []


def test_overrides_make_hand_overs_of_their_own(team):
    away(team["Ben"], date(2026, 1, 7), date(2026, 1, 9))
    changes = shift_changes_between(date(2026, 1, 5), date(2026, 1, 31))
    summary = [(c.day, names(c.leaving), names(c.joining), c.is_shift_change) for c in changes]
    assert summary == [
        (date(2026, 1, 5), [], ["Ann", "Ben"], True),  # the rotation begins
        (date(2026, 1, 7), ["Ben"], ["Cat"], False),
        (date(2026, 1, 10), ["Cat"], ["Ben"], False),
        (date(2026, 1, 19), ["Ann"], ["Cat"], True),
    ]
    assert changes[1].changes[0].text == "Ben Eng away; Cat Eng covers"


def test_an_empty_range_has_no_hand_overs(team):
    assert shift_changes_between(date(2026, 1, 20), date(2026, 1, 19)) == []
