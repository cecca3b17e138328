"""Reduced capacity: year edges, overlapping public holidays, and periods for display."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from supportdesk.capacity import (
    overlapping_holiday_dates,
    reduced_capacity_dates,
    reduced_capacity_periods,
    year_edge_dates,
)


def test_first_and_last_calendar_weeks_of_the_year_are_reduced_capacity():
    edges = year_edge_dates(2026)
    assert edges[:7] == [date(2026, 1, day) for day in range(1, 8)]
    assert edges[7:] == [date(2026, 12, day) for day in range(25, 32)]


def test_holiday_shared_by_two_of_three_engineers_reduces_capacity():
    # 2025: 4 July and 3 October are both Fridays.
    dates = overlapping_holiday_dates(2025, ["US", "US", "DE"])
    assert date(2025, 7, 4) in dates  # two of three engineers off
    assert date(2025, 10, 3) not in dates  # German Unity Day: one of three
    assert date(2025, 12, 25) in dates  # everyone off


def test_one_engineer_off_is_never_an_overlap_on_a_larger_roster():
    assert overlapping_holiday_dates(2025, ["US", "DE"]) == [
        date(2025, 1, 1),
        date(2025, 12, 25),
    ]


def test_on_a_one_person_roster_that_engineers_holidays_count():
    dates = overlapping_holiday_dates(2025, ["DE"])
    assert date(2025, 10, 3) in dates
    assert date(2025, 4, 18) in dates  # Good Friday


def test_weekend_holidays_are_left_out():
    # 3 October 2026 is a Saturday; working time skips it anyway.
    assert date(2026, 10, 3) not in overlapping_holiday_dates(2026, ["DE"])


def test_a_higher_share_needs_more_engineers_off():
    roster = ["US", "US", "DE"]
    assert date(2025, 7, 4) not in overlapping_holiday_dates(2025, roster, share=0.75)
    assert date(2025, 12, 25) in overlapping_holiday_dates(2025, roster, share=1)


def test_unknown_country_code_is_logged_and_ignored(caplog):
    with caplog.at_level(logging.WARNING, logger="supportdesk.capacity"):
        dates = overlapping_holiday_dates(2025, ["US", "US", "XX"])
    assert date(2025, 7, 4) in dates
    assert "'XX'" in caplog.text


def test_country_codes_are_read_case_insensitively():
    assert overlapping_holiday_dates(2025, ["us", " US"]) == overlapping_holiday_dates(
        2025, ["US", "US"]
    )


def test_empty_roster_and_bad_share():
    assert overlapping_holiday_dates(2025, []) == []
    with pytest.raises(ValueError, match="share"):
        overlapping_holiday_dates(2025, ["US"], share=0)


def test_reduced_capacity_dates_join_edges_and_holidays_over_years():
    dates = reduced_capacity_dates([2025, 2026], ["US", "US", "DE"])
    assert dates == sorted(set(dates))
    assert date(2025, 1, 3) in dates
    assert date(2025, 7, 4) in dates
    assert date(2026, 12, 31) in dates
    assert date(2026, 5, 25) in dates  # Memorial Day and Whit Monday coincide


def test_holidays_either_side_of_a_weekend_read_as_one_period():
    dates = [date(2026, 4, 3), date(2026, 4, 6), date(2026, 4, 7), date(2026, 4, 9)]
    assert reduced_capacity_periods(dates) == [
        (date(2026, 4, 3), date(2026, 4, 7)),
        (date(2026, 4, 9), date(2026, 4, 9)),
    ]


def test_year_edges_collapse_into_one_period_each():
    periods = reduced_capacity_periods(year_edge_dates(2026) + year_edge_dates(2027))
    assert periods == [
        (date(2026, 1, 1), date(2026, 1, 7)),
        (date(2026, 12, 25), date(2027, 1, 7)),
        (date(2027, 12, 25), date(2027, 12, 31)),
    ]


def test_a_gap_with_a_weekday_splits_periods():
    # Thursday and the next Monday: the Friday between is a working day.
    assert reduced_capacity_periods([date(2026, 4, 9), date(2026, 4, 13)]) == [
        (date(2026, 4, 9), date(2026, 4, 9)),
        (date(2026, 4, 13), date(2026, 4, 13)),
    ]
    assert reduced_capacity_periods([]) == []
