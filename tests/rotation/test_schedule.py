"""The support steward rotation: who is on duty when, checked by hand and by property."""

from __future__ import annotations

import string
from datetime import date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rotation.schedule import Shift, duty_periods, on_duty, shift_index, shift_start, shifts

TEAM = ["ada", "bob", "cy", "dee", "eve"]
START = date(2026, 1, 5)  # a Monday, the first sprint meeting of the year

# ---------------------------------------------------------------------------------------------
# Hand-worked schedules


@pytest.mark.parametrize(
    ("day", "stewards"),
    [
        # The first six shift changes, two weeks apart: the senior leaves, the next name joins.
        (date(2026, 1, 5), ["ada", "bob"]),
        (date(2026, 1, 19), ["bob", "cy"]),
        (date(2026, 2, 2), ["cy", "dee"]),
        (date(2026, 2, 16), ["dee", "eve"]),
        (date(2026, 3, 2), ["eve", "ada"]),
        (date(2026, 3, 16), ["ada", "bob"]),
        (date(2026, 3, 30), ["bob", "cy"]),
        # The last day of a shift still has the old team; the change day has the new one.
        (date(2026, 1, 18), ["ada", "bob"]),
        (date(2026, 3, 1), ["dee", "eve"]),
        # Mid-shift days, including weekends.
        (date(2026, 1, 10), ["ada", "bob"]),
        (date(2026, 2, 22), ["dee", "eve"]),
        # Spot checks through the year.
        (date(2026, 4, 13), ["cy", "dee"]),
        (date(2026, 6, 21), ["bob", "cy"]),
        (date(2026, 6, 22), ["cy", "dee"]),
        (date(2026, 7, 1), ["cy", "dee"]),
        (date(2026, 9, 14), ["dee", "eve"]),
        (date(2026, 10, 31), ["bob", "cy"]),
        (date(2026, 12, 21), ["ada", "bob"]),
        (date(2026, 12, 31), ["ada", "bob"]),
        (date(2027, 1, 4), ["bob", "cy"]),
        (date(2027, 1, 5), ["bob", "cy"]),
    ],
)
def test_five_engineers_take_turns_through_the_year(day: date, stewards: list[str]) -> None:
    assert on_duty(day, TEAM, START) == stewards


def _teams_at_each_change(roster: list[str], count: int, **rotation: int) -> list[list[str]]:
    weeks = rotation.get("shift_weeks", 2)
    return [
        on_duty(START + timedelta(weeks=k * weeks), roster, START, **rotation) for k in range(count)
    ]


def test_two_engineers_are_always_both_on_duty_and_swap_seniority() -> None:
    assert _teams_at_each_change(["ada", "bob"], 4) == [
        ["ada", "bob"],
        ["bob", "ada"],
        ["ada", "bob"],
        ["bob", "ada"],
    ]


def test_three_engineers_each_get_two_weeks_off() -> None:
    assert _teams_at_each_change(["ada", "bob", "cy"], 5) == [
        ["ada", "bob"],
        ["bob", "cy"],
        ["cy", "ada"],
        ["ada", "bob"],
        ["bob", "cy"],
    ]


def test_seven_engineers_cycle_back_after_fourteen_weeks() -> None:
    roster = ["ada", "bob", "cy", "dee", "eve", "fay", "gus"]
    assert _teams_at_each_change(roster, 9) == [
        ["ada", "bob"],
        ["bob", "cy"],
        ["cy", "dee"],
        ["dee", "eve"],
        ["eve", "fay"],
        ["fay", "gus"],
        ["gus", "ada"],
        ["ada", "bob"],
        ["bob", "cy"],
    ]
    assert on_duty(date(2026, 4, 12), roster, START) == ["gus", "ada"]
    assert on_duty(date(2026, 4, 13), roster, START) == ["ada", "bob"]


def test_three_stewards_serving_six_weeks_each() -> None:
    rotation = {"team_size": 3, "tenure_weeks": 6, "shift_weeks": 2}
    assert _teams_at_each_change(TEAM, 6, **rotation) == [
        ["ada", "bob", "cy"],
        ["bob", "cy", "dee"],
        ["cy", "dee", "eve"],
        ["dee", "eve", "ada"],
        ["eve", "ada", "bob"],
        ["ada", "bob", "cy"],
    ]
    assert on_duty(date(2026, 2, 1), TEAM, START, **rotation) == ["bob", "cy", "dee"]


def test_weekly_changes_with_a_single_steward() -> None:
    rotation = {"team_size": 1, "tenure_weeks": 1, "shift_weeks": 1}
    assert on_duty(date(2026, 1, 11), TEAM, START, **rotation) == ["ada"]
    assert on_duty(date(2026, 1, 12), TEAM, START, **rotation) == ["bob"]
    assert on_duty(date(2026, 2, 9), TEAM, START, **rotation) == ["ada"]


def test_shift_numbers_and_their_first_days() -> None:
    assert shift_index(START, START) == 0
    assert shift_index(date(2026, 1, 18), START) == 0
    assert shift_index(date(2026, 1, 19), START) == 1
    assert shift_index(date(2027, 1, 4), START) == 26
    assert shift_index(date(2026, 1, 12), START, shift_weeks=1) == 1
    assert shift_start(0, START) == START
    assert shift_start(26, START) == date(2027, 1, 4)
    assert shift_start(3, START, shift_weeks=1) == date(2026, 1, 26)


def test_thousands_of_years_ahead_is_still_answered() -> None:
    far = START + timedelta(weeks=2 * (5 * 40_000 + 1))  # whole cycles of five, plus one shift
    assert on_duty(far, TEAM, START) == ["bob", "cy"]


# ---------------------------------------------------------------------------------------------
# Mistakes the caller can make


def test_no_one_is_on_duty_before_the_rotation_starts() -> None:
    with pytest.raises(ValueError, match="before the rotation starts"):
        on_duty(date(2026, 1, 4), TEAM, START)
    with pytest.raises(ValueError, match="before the rotation starts"):
        shift_start(-1, START)


def test_a_roster_smaller_than_the_team_is_refused() -> None:
    with pytest.raises(ValueError, match="fewer than the team_size"):
        on_duty(START, ["ada"], START)
    with pytest.raises(ValueError, match="fewer than the team_size"):
        on_duty(START, [], START)
    with pytest.raises(ValueError, match="fewer than the team_size"):
        on_duty(START, ["ada", "bob"], START, team_size=3, tenure_weeks=6)


def test_a_tenure_must_be_whole_shifts() -> None:
    with pytest.raises(ValueError, match="whole number of shifts"):
        on_duty(START, TEAM, START, tenure_weeks=5)


def test_a_tenure_must_span_as_many_shifts_as_there_are_stewards() -> None:
    with pytest.raises(ValueError, match="team_size must equal tenure_weeks // shift_weeks"):
        on_duty(START, TEAM, START, tenure_weeks=6)
    with pytest.raises(ValueError, match="team_size must equal tenure_weeks // shift_weeks"):
        on_duty(START, TEAM, START, team_size=3)


@pytest.mark.parametrize(
    "rotation",
    [
        {"team_size": 0, "tenure_weeks": 0},
        {"team_size": -2, "tenure_weeks": -4},
        {"tenure_weeks": 0},
        {"shift_weeks": 0},
        {"shift_weeks": -2, "tenure_weeks": -4},
    ],
)
def test_counts_and_lengths_must_be_positive(rotation: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="must be a positive integer"):
        on_duty(START, TEAM, START, **rotation)


def test_shift_length_must_be_positive_for_shift_arithmetic_too() -> None:
    with pytest.raises(ValueError, match="must be a positive integer"):
        shift_index(START, START, shift_weeks=0)
    with pytest.raises(ValueError, match="must be a positive integer"):
        shift_start(1, START, shift_weeks=-1)


def test_someone_named_twice_on_the_roster_is_refused() -> None:
    with pytest.raises(ValueError, match="more than once"):
        on_duty(START, ["ada", "ada", "bob"], START)


def test_a_moment_is_not_a_day() -> None:
    with pytest.raises(TypeError, match="not a datetime"):
        on_duty(datetime(2026, 1, 20, 9, 0), TEAM, START)


# ---------------------------------------------------------------------------------------------
# The schedule page


def test_a_four_week_page_shows_every_shift_it_touches_whole() -> None:
    assert shifts(TEAM, START, first_day=date(2026, 1, 12), weeks=4) == [
        Shift(0, date(2026, 1, 5), date(2026, 1, 19), ("ada", "bob"), "bob", None),
        Shift(1, date(2026, 1, 19), date(2026, 2, 2), ("bob", "cy"), "cy", "ada"),
        Shift(2, date(2026, 2, 2), date(2026, 2, 16), ("cy", "dee"), "dee", "bob"),
    ]


def test_a_page_aligned_on_a_shift_change_shows_only_that_shift() -> None:
    assert shifts(TEAM, START, first_day=date(2026, 1, 19), weeks=2) == [
        Shift(1, date(2026, 1, 19), date(2026, 2, 2), ("bob", "cy"), "cy", "ada"),
    ]


def test_the_senior_who_leaves_wraps_round_the_roster() -> None:
    (shift,) = shifts(TEAM, START, first_day=date(2026, 3, 16), weeks=1)
    assert shift == Shift(5, date(2026, 3, 16), date(2026, 3, 30), ("ada", "bob"), "bob", "eve")


def test_a_page_opening_before_the_rotation_shows_only_what_follows_it() -> None:
    assert shifts(TEAM, START, first_day=date(2025, 12, 22), weeks=3) == [
        Shift(0, date(2026, 1, 5), date(2026, 1, 19), ("ada", "bob"), "bob", None),
    ]
    assert shifts(TEAM, START, first_day=date(2025, 12, 22), weeks=2) == []


def test_a_page_of_three_steward_shifts() -> None:
    page = shifts(
        TEAM,
        START,
        first_day=date(2026, 2, 16),
        weeks=2,
        team_size=3,
        tenure_weeks=6,
        shift_weeks=2,
    )
    assert page == [
        Shift(3, date(2026, 2, 16), date(2026, 3, 2), ("dee", "eve", "ada"), "ada", "cy"),
    ]


def test_a_page_must_cover_at_least_a_week() -> None:
    with pytest.raises(ValueError, match="must be a positive integer"):
        shifts(TEAM, START, first_day=START, weeks=0)


# ---------------------------------------------------------------------------------------------
# Duty periods, for the calendar feed


def test_ada_starts_half_way_through_her_first_tenure() -> None:
    assert duty_periods("ada", TEAM, START, until=date(2026, 6, 1)) == [
        (date(2026, 1, 5), date(2026, 1, 19)),
        (date(2026, 3, 2), date(2026, 3, 30)),
        (date(2026, 5, 11), date(2026, 6, 8)),  # reported whole although it runs past `until`
    ]


def test_bob_and_eve_serve_full_four_week_tenures() -> None:
    until = date(2026, 6, 1)
    assert duty_periods("bob", TEAM, START, until=until) == [
        (date(2026, 1, 5), date(2026, 2, 2)),
        (date(2026, 3, 16), date(2026, 4, 13)),
        (date(2026, 5, 25), date(2026, 6, 22)),
    ]
    assert duty_periods("eve", TEAM, START, until=until) == [
        (date(2026, 2, 16), date(2026, 3, 16)),
        (date(2026, 4, 27), date(2026, 5, 25)),
    ]


def test_a_tenure_starting_on_until_is_not_listed() -> None:
    assert duty_periods("eve", TEAM, START, until=date(2026, 4, 27)) == [
        (date(2026, 2, 16), date(2026, 3, 16)),
    ]


def test_with_three_stewards_the_first_two_start_part_way_through() -> None:
    rotation = {"team_size": 3, "tenure_weeks": 6, "shift_weeks": 2}
    until = date(2026, 3, 1)
    assert duty_periods("ada", TEAM, START, until=until, **rotation) == [
        (date(2026, 1, 5), date(2026, 1, 19)),
        (date(2026, 2, 16), date(2026, 3, 30)),
    ]
    assert duty_periods("bob", TEAM, START, until=until, **rotation) == [
        (date(2026, 1, 5), date(2026, 2, 2)),
    ]
    assert duty_periods("cy", TEAM, START, until=until, **rotation) == [
        (date(2026, 1, 5), date(2026, 2, 16)),
    ]


def test_when_the_whole_roster_is_the_team_duty_never_ends() -> None:
    until = date(2026, 3, 1)
    assert duty_periods("bob", ["ada", "bob"], START, until=until) == [(START, until)]


def test_nobody_has_duty_outside_the_roster_or_an_empty_window() -> None:
    assert duty_periods("zed", TEAM, START, until=date(2026, 6, 1)) == []
    assert duty_periods("ada", TEAM, START, until=START) == []
    assert duty_periods("ada", TEAM, START, until=date(2025, 12, 1)) == []


# ---------------------------------------------------------------------------------------------
# Properties

names = st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=8)


@st.composite
def rotations(draw: st.DrawFn, *, spare: int = 0, defaults_only: bool = False) -> dict:
    """A rotation: a sorted roster of 2..12 engineers and a consistent team size and timing.

    `spare` is how many engineers beyond the team the roster must at least hold.
    """
    team_size = 2 if defaults_only else draw(st.integers(1, 4))
    shift_weeks = 2 if defaults_only else draw(st.integers(1, 3))
    smallest = max(2, team_size + spare)
    roster = draw(st.lists(names, min_size=smallest, max_size=max(12, smallest), unique=True))
    return {
        "roster": sorted(roster),
        "start": draw(st.dates(date(2020, 1, 1), date(2035, 12, 31))),
        "team_size": team_size,
        "tenure_weeks": team_size * shift_weeks,
        "shift_weeks": shift_weeks,
    }


def some_rotations(*, spare: int = 0) -> st.SearchStrategy[dict]:
    # Half the examples use the shipped defaults, so those are never starved of coverage.
    return st.one_of(rotations(spare=spare, defaults_only=True), rotations(spare=spare))


within_three_years = st.integers(0, 3 * 366)


def _on_duty(day: date, r: dict) -> list[str]:
    return on_duty(day, **r)


@given(some_rotations(), within_three_years)
def test_there_are_always_team_size_distinct_stewards_from_the_roster(r: dict, offset: int) -> None:
    team = _on_duty(r["start"] + timedelta(days=offset), r)
    assert len(team) == r["team_size"]
    assert len(set(team)) == r["team_size"]
    assert set(team) <= set(r["roster"])


@given(some_rotations(), within_three_years)
def test_the_team_only_changes_at_a_shift_change(r: dict, offset: int) -> None:
    day = r["start"] + timedelta(days=offset)
    k = shift_index(day, r["start"], r["shift_weeks"])
    changed_on = shift_start(k, r["start"], r["shift_weeks"])
    assert changed_on <= day < shift_start(k + 1, r["start"], r["shift_weeks"])
    assert _on_duty(day, r) == _on_duty(changed_on, r)
    if day != changed_on:
        assert _on_duty(day - timedelta(days=1), r) == _on_duty(day, r)


@given(some_rotations(spare=1), within_three_years)
def test_at_each_change_the_senior_leaves_and_one_newcomer_joins(r: dict, offset: int) -> None:
    day = r["start"] + timedelta(days=offset)
    before = _on_duty(day, r)
    after = _on_duty(day + timedelta(weeks=r["shift_weeks"]), r)
    assert len(set(before) & set(after)) == r["team_size"] - 1
    assert before[0] not in after
    assert after[-1] not in before
    # Everyone else moves up one seat, so the new senior was the old second.
    assert after[:-1] == before[1:]


@settings(deadline=None)
@given(some_rotations(spare=1), within_three_years, st.data())
def test_each_turn_lasts_exactly_one_tenure(r: dict, offset: int, data: st.DataObject) -> None:
    day = r["start"] + timedelta(days=offset)
    steward = data.draw(st.sampled_from(_on_duty(day, r)))
    one_day = timedelta(days=1)

    first = day
    while first > r["start"] and steward in _on_duty(first - one_day, r):
        first -= one_day
    end = day + one_day
    while steward in _on_duty(end, r):
        end += one_day

    served = end - first
    if first == r["start"] and served < timedelta(weeks=r["tenure_weeks"]):
        # Only those already on duty when the rotation starts, other than the newcomer,
        # may have a shortened first turn.
        assert steward in r["roster"][: r["team_size"] - 1]
    else:
        assert served == timedelta(weeks=r["tenure_weeks"])


@settings(deadline=None)
@given(some_rotations(), st.integers(0, 200), st.data())
def test_duty_periods_are_exactly_the_days_on_duty(
    r: dict, length: int, data: st.DataObject
) -> None:
    steward = data.draw(st.sampled_from(r["roster"]))
    start, until = r["start"], r["start"] + timedelta(days=length)
    periods = duty_periods(steward, **r, until=until)

    on_days = {p + timedelta(days=i) for p, e in periods for i in range((e - p).days)}
    for i in range(length):
        day = start + timedelta(days=i)
        assert (steward in _on_duty(day, r)) == (day in on_days)

    for (_, end), (begins, _) in pairwise(periods):
        assert end < begins, "separate periods must have days off between them"
    if len(r["roster"]) == r["team_size"]:
        assert periods == ([(start, until)] if length else [])
        return
    tenure = timedelta(weeks=r["tenure_weeks"])
    for begins, end in periods:
        assert start <= begins < until
        clipped_at_start = begins == start and end - begins < tenure
        assert end - begins == tenure or clipped_at_start


@given(some_rotations(), within_three_years, st.integers(1, 12))
def test_a_schedule_page_agrees_with_who_is_on_duty(r: dict, offset: int, weeks: int) -> None:
    first_day = r["start"] + timedelta(days=offset)
    rotation = {k: v for k, v in r.items() if k not in ("roster", "start")}
    page = shifts(r["roster"], r["start"], first_day=first_day, weeks=weeks, **rotation)

    assert page[0].starts <= first_day < page[0].ends
    assert page[-1].starts < first_day + timedelta(weeks=weeks) <= page[-1].ends
    for earlier, later in pairwise(page):
        assert earlier.ends == later.starts
        assert later.index == earlier.index + 1
    for shift in page:
        assert list(shift.team) == _on_duty(shift.starts, r)
        assert list(shift.team) == _on_duty(shift.ends - timedelta(days=1), r)
        assert shift.joining == shift.team[-1]
        if shift.index > 0:
            assert shift.leaving == _on_duty(shift.starts - timedelta(days=1), r)[0]
        else:
            assert shift.leaving is None
