"""Reduced capacity: when the team is less strict about its objectives (DOMAIN.md).

Besides weekends (which working time already leaves out), capacity is reduced during the first
and last calendar weeks of the year and on dates when the public holidays of the engineers'
countries overlap. Holidays come from the ``holidays`` package, one country per engineer.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

import holidays

__all__ = [
    "overlapping_holiday_dates",
    "reduced_capacity_dates",
    "reduced_capacity_periods",
    "year_edge_dates",
]

logger = logging.getLogger(__name__)

_ONE_DAY = timedelta(days=1)


def year_edge_dates(year: int) -> list[date]:
    """1–7 January and 25–31 December of ``year``, weekends included."""
    first_week = [date(year, 1, day) for day in range(1, 8)]
    last_week = [date(year, 12, day) for day in range(25, 32)]
    return first_week + last_week


def overlapping_holiday_dates(
    year: int, countries: Sequence[str], share: float = 0.5
) -> list[date]:
    """Weekdays of ``year`` on which at least ``share`` of the engineers have a public holiday.

    ``countries`` holds one ISO 3166 alpha-2 code per engineer, so a country with three engineers
    weighs three. A date needs at least two engineers off, except on a one-person roster, where
    that engineer's holidays are the team's. An unknown code is logged and contributes no
    holidays, but its engineer still counts in the roster: someone is at work that day.
    """
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share!r}")
    roster = [code.strip().upper() for code in countries]
    if not roster:
        return []
    engineers_off: Counter[date] = Counter()
    for code, engineers in Counter(roster).items():
        for day in _public_holidays(code, year):
            if day.weekday() < 5:
                engineers_off[day] += engineers
    size = len(roster)
    # Division rather than share * size: 0.7 * 10 is 7.000000000000001 in floating point.
    return sorted(
        day for day, off in engineers_off.items() if off / size >= share and (off >= 2 or size == 1)
    )


def reduced_capacity_dates(
    years: Iterable[int], countries: Sequence[str], share: float = 0.5
) -> list[date]:
    """Year edges and overlapping holidays of every year in ``years``, sorted, once each."""
    dates: set[date] = set()
    for year in years:
        dates.update(year_edge_dates(year))
        dates.update(overlapping_holiday_dates(year, countries, share))
    return sorted(dates)


def reduced_capacity_periods(dates: Iterable[date]) -> list[tuple[date, date]]:
    """Collapse dates into inclusive (first, last) runs for display.

    A gap made only of weekend days does not break a run: a Friday holiday followed by a Monday
    one reads as one period.
    """
    periods: list[tuple[date, date]] = []
    for day in sorted(set(dates)):
        if periods and _only_weekend_between(periods[-1][1], day):
            periods[-1] = (periods[-1][0], day)
        else:
            periods.append((day, day))
    return periods


def _only_weekend_between(earlier: date, later: date) -> bool:
    # At most a Saturday and a Sunday can lie between two dates of one run.
    gap = (later - earlier).days - 1
    if gap > 2:
        return False
    return all((earlier + _ONE_DAY * step).weekday() >= 5 for step in range(1, gap + 1))


def _public_holidays(code: str, year: int) -> list[date]:
    try:
        return list(holidays.country_holidays(code, years=year))
    except NotImplementedError:
        # An admin's typo in one engineer's country must not take the capacity view down.
        logger.warning("No public holidays known for country code %r; ignoring it", code)
        return []
