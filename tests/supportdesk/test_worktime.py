"""Working time: hand-checked edge cases, then properties against brute-force oracles."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportdesk.worktime import (
    WorkCalendar,
    add_working_time,
    describe_remaining,
    explain_deadline,
    is_working_time,
    next_working_instant,
    working_time_between,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
# Egypt changes its clocks on a Friday (spring, midnight does not exist) and a Thursday
# (autumn, the last hour of Thursday happens twice): weekday changes that Europe never has.
CAIRO = ZoneInfo("Africa/Cairo")

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0):
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def in_utc(value: datetime) -> datetime:
    # Aware datetimes sharing a tzinfo compare by wall clock; UTC makes every comparison real.
    return value.astimezone(UTC)


# --- slow oracles ----------------------------------------------------------------------------


def oracle_is_working(instant: datetime, calendar: WorkCalendar) -> bool:
    local_day = instant.astimezone(ZoneInfo(calendar.timezone)).date()
    return local_day.weekday() < 5 and local_day not in calendar.closed_dates


def oracle_between(start: datetime, end: datetime, calendar: WorkCalendar, step: timedelta):
    """Working time in [start, end) by walking ``step`` at a time (both ends on the grid)."""
    total = timedelta(0)
    instant = in_utc(start)
    end = in_utc(end)
    while instant < end:
        if oracle_is_working(instant, calendar):
            total += step
        instant += step
    return total


def oracle_add(start: datetime, delta: timedelta, calendar: WorkCalendar, step: timedelta):
    """Walk ``step`` at a time until ``delta`` is used up, then on to a working instant."""
    instant = in_utc(start)
    if not delta:
        return instant
    remaining = delta
    while remaining > timedelta(0):
        if oracle_is_working(instant, calendar):
            remaining -= step
        instant += step
    while not oracle_is_working(instant, calendar):
        instant += step
    return instant


# --- the ordinary week --------------------------------------------------------------------------


def test_request_received_friday_evening_is_due_monday_morning():
    due = add_working_time(utc(2026, 11, 20, 20), timedelta(hours=8))
    assert due == utc(2026, 11, 23, 4)
    assert due.tzinfo == ZoneInfo("UTC")


def test_friday_evening_to_monday_morning_counts_only_the_friday_hours():
    assert working_time_between(utc(2026, 11, 20, 20), utc(2026, 11, 23, 4)) == 8 * HOUR


def test_request_received_on_saturday_starts_counting_on_monday():
    assert add_working_time(utc(2026, 11, 21, 10), HOUR) == utc(2026, 11, 23, 1)


def test_saturday_midnight_is_already_weekend():
    assert is_working_time(utc(2026, 11, 20, 23, 59, 59))
    assert not is_working_time(utc(2026, 11, 21))
    assert not is_working_time(utc(2026, 11, 22, 23, 59, 59))
    assert is_working_time(utc(2026, 11, 23))


def test_last_second_of_friday_plus_one_second_is_due_monday_midnight():
    assert add_working_time(utc(2026, 11, 20, 23, 59, 59), timedelta(seconds=1)) == utc(
        2026, 11, 23
    )


def test_deadline_reached_exactly_at_the_weekend_falls_on_monday_midnight():
    assert add_working_time(utc(2026, 11, 20, 20), 4 * HOUR) == utc(2026, 11, 23)


def test_a_working_week_from_monday_midnight_ends_next_monday_midnight():
    assert add_working_time(utc(2026, 11, 16), 120 * HOUR) == utc(2026, 11, 23)
    assert working_time_between(utc(2026, 11, 16), utc(2026, 11, 21)) == 120 * HOUR
    assert working_time_between(utc(2026, 11, 16), utc(2026, 11, 23)) == 120 * HOUR


def test_one_working_day_is_24_working_hours():
    assert add_working_time(utc(2026, 11, 17, 10), 24 * HOUR) == utc(2026, 11, 18, 10)
    assert add_working_time(utc(2026, 11, 20, 10), 24 * HOUR) == utc(2026, 11, 23, 10)


def test_zero_delta_leaves_the_start_alone_even_on_a_weekend():
    assert add_working_time(utc(2026, 11, 18, 10), timedelta(0)) == utc(2026, 11, 18, 10)
    assert add_working_time(utc(2026, 11, 21, 10), timedelta(0)) == utc(2026, 11, 21, 10)


def test_no_working_time_passes_over_a_weekend_or_backwards():
    assert working_time_between(utc(2026, 11, 21), utc(2026, 11, 23)) == timedelta(0)
    assert working_time_between(utc(2026, 11, 23), utc(2026, 11, 20)) == timedelta(0)


def test_next_working_instant_after_the_weekend_is_monday_midnight():
    assert next_working_instant(utc(2026, 11, 21, 10)) == utc(2026, 11, 23)
    assert next_working_instant(utc(2026, 11, 19, 10)) == utc(2026, 11, 19, 10)


# --- closed dates -------------------------------------------------------------------------------


def test_closed_friday_joins_the_weekend():
    calendar = WorkCalendar(closed_dates=[date(2026, 11, 20)])
    assert add_working_time(utc(2026, 11, 19, 20), 8 * HOUR, calendar) == utc(2026, 11, 23, 4)
    assert not is_working_time(utc(2026, 11, 20, 12), calendar)


def test_closed_monday_after_the_weekend_pushes_the_deadline_to_tuesday():
    calendar = WorkCalendar(closed_dates=[date(2026, 11, 23)])
    assert add_working_time(utc(2026, 11, 20, 20), 8 * HOUR, calendar) == utc(2026, 11, 24, 4)
    assert next_working_instant(utc(2026, 11, 21), calendar) == utc(2026, 11, 24)


def test_request_received_on_a_closed_day_starts_counting_the_next_working_day():
    calendar = WorkCalendar(closed_dates=[date(2026, 11, 18)])
    assert add_working_time(utc(2026, 11, 18, 9), 2 * HOUR, calendar) == utc(2026, 11, 19, 2)


def test_calendar_keeps_closed_weekdays_sorted_once_and_drops_weekends():
    calendar = WorkCalendar(
        closed_dates=[
            date(2026, 12, 25),
            date(2026, 12, 24),
            date(2026, 12, 25),
            date(2026, 12, 26),
        ]
    )
    assert calendar.closed_dates == (date(2026, 12, 24), date(2026, 12, 25))
    same = WorkCalendar("UTC", (date(2026, 12, 24), date(2026, 12, 25)))
    assert calendar == same
    assert hash(calendar) == hash(same)
    with pytest.raises(AttributeError):
        calendar.timezone = "Europe/Berlin"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(calendar)) == calendar  # noqa: S301 (our own bytes)


def test_new_year_weekend_crosses_the_year_boundary():
    # 31 December 2027 is a Friday.
    assert add_working_time(utc(2027, 12, 31, 20), 8 * HOUR) == utc(2028, 1, 3, 4)
    observed_new_year = WorkCalendar(closed_dates=[date(2028, 1, 3)])
    assert add_working_time(utc(2027, 12, 31, 20), 8 * HOUR, observed_new_year) == utc(
        2028, 1, 4, 4
    )


# --- time zones and clock changes ----------------------------------------------------------------


def test_working_week_in_berlin_around_a_sunday_clock_change_is_still_120_hours():
    # Clocks went forward on Sunday 29 March 2026: the weekend lost the hour, not the week.
    before = WorkCalendar("Europe/Berlin")
    week = working_time_between(
        datetime(2026, 3, 30, tzinfo=BERLIN), datetime(2026, 4, 4, tzinfo=BERLIN), before
    )
    assert week == 120 * HOUR


def test_friday_evening_in_berlin_is_due_monday_morning_after_clocks_go_forward():
    calendar = WorkCalendar("Europe/Berlin")
    due = add_working_time(datetime(2026, 3, 27, 20, tzinfo=BERLIN), 8 * HOUR, calendar)
    assert due == datetime(2026, 3, 30, 4, tzinfo=BERLIN)
    assert due.tzname() == "CEST"


def test_friday_evening_in_new_york_is_due_monday_morning_after_clocks_go_back():
    calendar = WorkCalendar("America/New_York")
    due = add_working_time(datetime(2026, 10, 30, 20, tzinfo=NEW_YORK), 8 * HOUR, calendar)
    assert due == datetime(2026, 11, 2, 4, tzinfo=NEW_YORK)
    assert due.tzname() == "EST"


def test_cairo_week_whose_friday_starts_at_one_in_the_morning_has_119_working_hours():
    calendar = WorkCalendar("Africa/Cairo")
    monday, saturday = datetime(2026, 4, 20, tzinfo=CAIRO), datetime(2026, 4, 25, tzinfo=CAIRO)
    assert working_time_between(monday, saturday, calendar) == 119 * HOUR
    # Local midnight on Friday 24 April does not exist: Friday begins at 01:00 EEST.
    assert next_working_instant(datetime(2026, 4, 25, 10, tzinfo=CAIRO), calendar) == datetime(
        2026, 4, 27, tzinfo=CAIRO
    )
    due = add_working_time(datetime(2026, 4, 23, 20, tzinfo=CAIRO), 8 * HOUR, calendar)
    assert in_utc(due) == in_utc(datetime(2026, 4, 24, 5, tzinfo=CAIRO))
    assert due.tzname() == "EEST"


def test_cairo_week_whose_thursday_lasts_25_hours_has_121_working_hours():
    calendar = WorkCalendar("Africa/Cairo")
    monday, saturday = datetime(2026, 10, 26, tzinfo=CAIRO), datetime(2026, 10, 31, tzinfo=CAIRO)
    assert working_time_between(monday, saturday, calendar) == 121 * HOUR
    evening = datetime(2026, 10, 29, 20, tzinfo=CAIRO)
    # 23:00 happens twice on Thursday 29 October; four real hours later is the second one.
    assert in_utc(add_working_time(evening, 4 * HOUR, calendar)) == utc(2026, 10, 29, 21)
    assert in_utc(add_working_time(evening, 5 * HOUR, calendar)) == in_utc(
        datetime(2026, 10, 30, tzinfo=CAIRO)
    )


def test_closed_date_on_a_clock_change_day_removes_its_real_length():
    calendar = WorkCalendar("Africa/Cairo", [date(2026, 10, 29)])
    monday, saturday = datetime(2026, 10, 26, tzinfo=CAIRO), datetime(2026, 10, 31, tzinfo=CAIRO)
    assert working_time_between(monday, saturday, calendar) == 96 * HOUR


def test_a_working_day_the_zone_skipped_counts_for_nothing():
    # Samoa skipped Friday 30 December 2011 when it moved across the date line.
    apia = ZoneInfo("Pacific/Apia")
    calendar = WorkCalendar("Pacific/Apia")
    week = working_time_between(
        datetime(2011, 12, 26, tzinfo=apia), datetime(2012, 1, 2, tzinfo=apia), calendar
    )
    assert week == 96 * HOUR
    due = add_working_time(datetime(2011, 12, 29, 20, tzinfo=apia), 8 * HOUR, calendar)
    assert due == datetime(2012, 1, 2, 4, tzinfo=apia)


def test_fixed_offset_zone_counts_its_own_midnights():
    calendar = WorkCalendar("Etc/GMT+5")  # five hours behind UTC
    assert is_working_time(utc(2026, 11, 21, 4), calendar)
    assert not is_working_time(utc(2026, 11, 21, 5), calendar)


# --- long spans against a slow oracle -----------------------------------------------------------


@pytest.mark.parametrize("hours", [1_000, 2_000])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York", "Africa/Cairo"])
def test_long_deadlines_match_counting_hour_by_hour(zone, hours):
    closed = [date(2026, 2, 2) + timedelta(days=9 * i) for i in range(20)]
    calendar = WorkCalendar(zone, closed)
    start = datetime(2026, 1, 30, 17, tzinfo=ZoneInfo(zone))
    due = add_working_time(start, hours * HOUR, calendar)
    assert in_utc(due) == oracle_add(start, hours * HOUR, calendar, HOUR)
    assert working_time_between(start, due, calendar) == hours * HOUR


# --- bad input ----------------------------------------------------------------------------------


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        add_working_time(datetime(2026, 11, 20, 20), HOUR)
    with pytest.raises(ValueError, match="timezone-aware"):
        working_time_between(utc(2026, 11, 20), datetime(2026, 11, 21))
    with pytest.raises(ValueError, match="timezone-aware"):
        describe_remaining(datetime(2026, 11, 20), utc(2026, 11, 21))


def test_negative_delta_is_refused():
    with pytest.raises(ValueError, match="negative"):
        add_working_time(utc(2026, 11, 20, 20), -HOUR)


def test_unknown_zone_and_datetime_closed_dates_are_refused():
    with pytest.raises(ValueError, match="time zone"):
        WorkCalendar("Mars/Olympus_Mons")
    with pytest.raises(TypeError, match="dates"):
        WorkCalendar(closed_dates=[datetime(2026, 12, 24)])


# --- words for people ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "words"),
    [
        (utc(2026, 11, 18, 10), "2 working days 14 h left"),
        (utc(2026, 11, 19, 14), "1 working day 10 h left"),
        (utc(2026, 11, 20, 14), "10 h 5 m left"),
        (utc(2026, 11, 20, 20, 45), "3 h 20 m left"),
        (utc(2026, 11, 20, 23, 15), "50 m left"),
        (utc(2026, 11, 20, 23, 59, 30), "6 m left"),
        (utc(2026, 11, 21, 9), "5 m left"),
        (utc(2026, 11, 23, 0, 5), "due now"),
        (utc(2026, 11, 23, 0, 50), "overdue by 45 m"),
        (utc(2026, 11, 23, 4, 5), "overdue by 4 h"),
        (utc(2026, 11, 25, 3, 5), "overdue by 2 working days 3 h"),
    ],
)
def test_remaining_time_reads_in_working_time(now, words):
    # Due five minutes into Monday; partial minutes round up, so "0 m left" never shows.
    assert describe_remaining(now, utc(2026, 11, 23, 0, 5)) == words


def test_christmas_deadline_is_explained_step_by_step():
    # 25 December 2028 is a Monday.
    calendar = WorkCalendar(closed_dates=[date(2028, 12, 25), date(2028, 12, 26)])
    assert explain_deadline(utc(2028, 12, 22, 20), 8 * HOUR, calendar) == (
        "received Fri 22 Dec 20:00 UTC; 4 working hours that day; weekend not counted; "
        "25–26 Dec closed; due Wed 27 Dec 04:00 UTC"
    )


def test_short_deadlines_are_explained_plainly():
    assert explain_deadline(utc(2026, 11, 18, 10), 3 * HOUR) == (
        "received Wed 18 Nov 10:00 UTC; 3 working hours; due Wed 18 Nov 13:00 UTC"
    )
    assert explain_deadline(utc(2026, 11, 21, 10), 90 * MINUTE) == (
        "received Sat 21 Nov 10:00 UTC; weekend not counted; due Mon 23 Nov 01:30 UTC"
    )
    assert explain_deadline(utc(2026, 11, 19, 20), 48 * HOUR) == (
        "received Thu 19 Nov 20:00 UTC; 4 working hours that day; 1 full working day; "
        "weekend not counted; due Mon 23 Nov 20:00 UTC"
    )
    assert explain_deadline(utc(2026, 11, 21, 10), timedelta(0)) == (
        "received Sat 21 Nov 10:00 UTC; no working time needed; due Sat 21 Nov 10:00 UTC"
    )


def test_explanation_names_the_zone_and_the_clock_change():
    calendar = WorkCalendar("Africa/Cairo")
    assert explain_deadline(datetime(2026, 4, 20, 10, tzinfo=CAIRO), 100 * HOUR, calendar) == (
        "received Mon 20 Apr 10:00 EET; 14 working hours that day; "
        "3 full working days; due Fri 24 Apr 15:00 EEST"
    )
    # Friday 24 April 2026 lasts 23 hours.
    assert explain_deadline(datetime(2026, 4, 22, 10, tzinfo=CAIRO), 70 * HOUR, calendar) == (
        "received Wed 22 Apr 10:00 EET; 14 working hours that day; "
        "2 full working days (47 h, clock change); weekend not counted; "
        "due Mon 27 Apr 09:00 EEST"
    )


def test_a_2000_hour_explanation_stays_short():
    calendar = WorkCalendar(closed_dates=[date(2026, 12, 24), date(2026, 12, 25)])
    text = explain_deadline(utc(2026, 9, 4, 20), 2_000 * HOUR, calendar)
    assert text == (
        "received Fri 4 Sep 2026 20:00 UTC; 4 working hours that day; "
        "78 full working days and 16 weekends not counted; 24–25 Dec 2026 closed; "
        "5 full working days and 2 weekends not counted; due Mon 4 Jan 2027 04:00 UTC"
    )


# --- properties against the minute-by-minute oracle ---------------------------------------------

# Each zone with windows that hold a clock change (or, for UTC, Christmas and New Year).
WINDOWS = {
    "UTC": [utc(2026, 12, 21), utc(2027, 12, 27)],
    "Europe/Berlin": [utc(2026, 3, 25), utc(2026, 10, 21)],
    "Africa/Cairo": [utc(2026, 4, 21), utc(2026, 10, 27)],
}


@st.composite
def scenarios(draw, span_days: int = 5):
    """A calendar, and a minute-aligned start somewhere in a window around a clock change."""
    zone = draw(st.sampled_from(sorted(WINDOWS)))
    base = draw(st.sampled_from(WINDOWS[zone]))
    closed = draw(
        st.lists(st.integers(0, span_days + 3).map(lambda n: base.date() + timedelta(days=n)))
    )
    calendar = WorkCalendar(zone, closed)
    start = base + draw(st.integers(0, span_days * 24 * 60)) * MINUTE
    return calendar, start.astimezone(ZoneInfo(zone))


small_deltas = st.integers(0, 2 * 24 * 60).map(lambda minutes: minutes * MINUTE)
any_deltas = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30))


@settings(max_examples=200, deadline=None)
@given(scenarios(), st.integers(0, 3 * 24 * 60))
def test_working_time_between_matches_counting_minute_by_minute(scenario, minutes):
    calendar, start = scenario
    end = start + minutes * MINUTE
    assert working_time_between(start, end, calendar) == oracle_between(
        start, end, calendar, MINUTE
    )


@settings(max_examples=200, deadline=None)
@given(scenarios(), small_deltas)
def test_deadline_matches_counting_minute_by_minute(scenario, delta):
    calendar, start = scenario
    due = add_working_time(start, delta, calendar)
    assert in_utc(due) == oracle_add(start, delta, calendar, MINUTE)
    assert due.tzinfo == ZoneInfo(calendar.timezone)


@settings(max_examples=200, deadline=None)
@given(scenarios(), st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=5)))
def test_working_instants_match_the_oracle(scenario, offset):
    calendar, start = scenario
    instant = start + offset
    assert is_working_time(instant, calendar) == oracle_is_working(instant, calendar)
    following = next_working_instant(instant, calendar)
    assert is_working_time(following, calendar)
    assert in_utc(following) >= in_utc(instant)
    assert working_time_between(instant, following, calendar) == timedelta(0)


@settings(max_examples=200, deadline=None)
@given(scenarios(), any_deltas, st.timedeltas(timedelta(0), timedelta(days=2)))
def test_working_time_until_the_deadline_is_the_delta(scenario, delta, jitter):
    calendar, start = scenario
    start += jitter  # off the minute grid too
    due = add_working_time(start, delta, calendar)
    assert working_time_between(start, due, calendar) == delta


@settings(max_examples=200, deadline=None)
@given(scenarios(), any_deltas, st.timedeltas(timedelta(0), timedelta(days=3)))
def test_later_requests_are_never_due_earlier(scenario, delta, later_by):
    calendar, start = scenario
    first = add_working_time(start, delta, calendar)
    second = add_working_time(start + later_by, delta, calendar)
    assert in_utc(first) <= in_utc(second)


@settings(max_examples=200, deadline=None)
@given(scenarios(), any_deltas, any_deltas)
def test_longer_objectives_are_never_due_earlier(scenario, delta, more):
    calendar, start = scenario
    assert in_utc(add_working_time(start, delta, calendar)) <= in_utc(
        add_working_time(start, delta + more, calendar)
    )


@settings(max_examples=200, deadline=None)
@given(scenarios(), any_deltas, any_deltas)
def test_chained_deadlines_add_up(scenario, first, second):
    calendar, start = scenario
    chained = add_working_time(add_working_time(start, first, calendar), second, calendar)
    assert in_utc(chained) == in_utc(add_working_time(start, first + second, calendar))


@settings(max_examples=100, deadline=None)
@given(scenarios(), any_deltas)
def test_every_deadline_can_be_explained(scenario, delta):
    calendar, start = scenario
    text = explain_deadline(start, delta, calendar)
    assert text.startswith("received ")
    assert "; due " in text
    if delta:
        assert is_working_time(add_working_time(start, delta, calendar), calendar)


def test_explanation_shows_minutes_never_seconds_and_one_zone():
    """Issue 19: "received Tue 1 Dec 00:56:39 PST; 23 h 3 m 20 s of working time that day"
    mixed zones and showed seconds. Instants are to the minute, durations rounded up so that
    they add up, and a zone label names the one zone once."""
    calendar = WorkCalendar(timezone="America/Los_Angeles")
    start = datetime(2026, 12, 1, 0, 56, 39, tzinfo=ZoneInfo("America/Los_Angeles"))
    text = explain_deadline(start, 24 * HOUR, calendar, zone_label="Pacific Time")
    assert text == (
        "received Tue 1 Dec 00:56; 23 h 4 m of working time that day; due Wed 2 Dec 00:56 "
        "(Pacific Time)"
    )
    assert " s " not in explain_deadline(start, 24 * HOUR, calendar)
