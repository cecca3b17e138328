"""Working time: the clock every service level objective runs on.

The model (see DOMAIN.md, "Working time"):

* Working time runs from Monday 00:00 to Saturday 00:00 in the calendar's reference time zone
  (an IANA name, default UTC): 120 working hours in an ordinary week. There is no 9-to-5,
  because the team spans many time zones.
* Dates an admin marks closed remove that whole local day (00:00-24:00). Closed dates on a
  weekend change nothing and are dropped.
* Working time is real elapsed time. A local day that contains a daylight-saving change lasts 23
  or 25 real hours, and a working day of that kind contributes exactly that much.
* A deadline that is reached exactly at the end of a working period is reported at the next
  working instant: Friday 23:59:59 plus one working second is due Monday 00:00, not Saturday
  00:00. That way a deadline always falls in working time, and chained deadlines add up:
  ``add(add(s, a), b) == add(s, a + b)``.

Why the cost does not grow with the span: dates are handled as proleptic ordinals. The number
of weekdays before a date is plain arithmetic (five per seven-day week), and the closed dates
are a sorted tuple, so the number of working days before a date is that arithmetic minus a
``bisect`` count. The inverse (the date of the k-th working day) is one more ``bisect`` over a
precomputed tuple of "open weekdays before each closed date". Daylight-saving changes are
corrections too: every zone keeps, per year and computed once per process (one pass over the
year's midnights), the few weekdays whose length is not 24 h, with prefix sums, so the surplus
over any range is two ``bisect`` calls. Finding a deadline guesses the day from 24 h per working
day and corrects it by the surplus, which is a step or two. Adding 2,000 working hours therefore
costs O(log n) in the number of closed dates (and of clock changes), not one step per hour, day
or week.

All internal arithmetic is on naive UTC datetimes: Python compares and subtracts two aware
datetimes that share a ``tzinfo`` by wall clock, which is wrong across a clock change.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "WorkCalendar",
    "add_working_time",
    "describe_remaining",
    "explain_deadline",
    "is_working_time",
    "next_working_instant",
    "remaining_parts",
    "working_time_between",
]

_ZERO = timedelta(0)
_DAY = timedelta(days=1)
_SECOND = timedelta(seconds=1)
_MINUTE = timedelta(minutes=1)
_HOUR = timedelta(hours=1)

# Zones whose offset never changes; they skip the daylight-saving bookkeeping entirely.
_FIXED_ZONE_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Zulu", "Etc/Zulu", "GMT"})

_WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# --- date arithmetic on ordinals (ordinal 1 is Monday 0001-01-01) -------------------------------


def _is_weekday(ordinal: int) -> bool:
    return (ordinal - 1) % 7 < 5


def _weekdays_before(ordinal: int) -> int:
    """Number of Monday-Friday dates with an ordinal in [1, ordinal)."""
    weeks, day = divmod(ordinal - 1, 7)
    return 5 * weeks + min(day, 5)


def _weekday_ordinal(index: int) -> int:
    """Ordinal of the weekday numbered ``index`` (0-based, counting only Monday-Friday)."""
    weeks, day = divmod(index, 5)
    return 7 * weeks + day + 1


def _year_start_ordinal(year: int) -> int:
    return date(year, 1, 1).toordinal()


# --- per-zone rules ------------------------------------------------------------------------------


class _ZoneRules:
    """Local day boundaries of one zone, and the weekdays whose length is not 24 h.

    Shared by every calendar in the zone. The surplus table only ever grows (over a contiguous
    range of years) and is replaced in one attribute assignment, so concurrent readers see either
    the old or the new table; a race merely computes a year twice.
    """

    __slots__ = ("_table", "fixed", "fixed_offset", "zone")

    def __init__(self, zone: ZoneInfo, fixed: bool) -> None:
        self.zone = zone
        self.fixed = fixed
        self.fixed_offset = datetime(2000, 1, 1, tzinfo=zone).utcoffset() or _ZERO
        # (first covered ordinal, end ordinal, surplus weekday ordinals, prefix sums of surplus)
        self._table: tuple[int, int, tuple[int, ...], tuple[timedelta, ...]] = (0, 0, (), (_ZERO,))

    def day_start(self, ordinal: int) -> datetime:
        """First instant (naive UTC) of local date ``ordinal``."""
        naive = datetime.fromordinal(ordinal)
        if self.fixed:
            return naive - self.fixed_offset
        local = naive.replace(tzinfo=self.zone)
        before = local.utcoffset()
        after = local.replace(fold=1).utcoffset()
        assert before is not None and after is not None
        if before < after:
            # Midnight falls in a spring-forward gap, so the day begins at the transition.
            return self._gap_end(ordinal, naive - after, naive - before)
        # When midnight happens twice, the day starts at its first occurrence (fold=0).
        return naive - before

    def _gap_end(self, ordinal: int, low: datetime, high: datetime) -> datetime:
        # Offsets change on whole seconds, so bisecting whole seconds finds the transition.
        # Invariant: the local date at ``low + low_step`` is before ``ordinal``, at ``high`` not.
        low_step, high_step = 0, (high - low) // _SECOND
        while high_step - low_step > 1:
            middle = (low_step + high_step) // 2
            if self.local_ordinal(low + middle * _SECOND) >= ordinal:
                high_step = middle
            else:
                low_step = middle
        return low + high_step * _SECOND

    def local_ordinal(self, instant: datetime) -> int:
        if self.fixed:
            return (instant + self.fixed_offset).toordinal()
        return instant.replace(tzinfo=UTC).astimezone(self.zone).toordinal()

    def locate(self, instant: datetime) -> tuple[int, datetime, datetime]:
        """The local date holding ``instant`` (naive UTC), with its start and end instants."""
        ordinal = self.local_ordinal(instant)
        start = self.day_start(ordinal)
        end = self.day_start(ordinal + 1)
        # Only matters where the local clock goes back across midnight.
        while instant < start:
            ordinal -= 1
            start, end = self.day_start(ordinal), start
        while instant >= end:
            ordinal += 1
            start, end = end, self.day_start(ordinal + 1)
        return ordinal, start, end

    def day_surplus(self, ordinal: int) -> timedelta:
        if self.fixed:
            return _ZERO
        return self.day_start(ordinal + 1) - self.day_start(ordinal) - _DAY

    def weekday_surplus(self, first: int, end: int) -> timedelta:
        """Sum of (real length - 24 h) over the weekdays with ordinals in [first, end)."""
        if self.fixed or end <= first:
            return _ZERO
        covered_first, covered_end, ordinals, prefix = self._table
        if first < covered_first or end > covered_end:
            covered_first, covered_end, ordinals, prefix = self._extend(first, end)
        return prefix[bisect_left(ordinals, end)] - prefix[bisect_left(ordinals, first)]

    def _extend(
        self, first: int, end: int
    ) -> tuple[int, int, tuple[int, ...], tuple[timedelta, ...]]:
        covered_first, covered_end, _, _ = self._table
        first_year = date.fromordinal(first).year
        last_year = date.fromordinal(end - 1).year
        if covered_end > covered_first:
            # Keep the coverage contiguous so that one prefix table answers every query.
            first_year = min(first_year, date.fromordinal(covered_first).year)
            last_year = max(last_year, date.fromordinal(covered_end - 1).year)
        new_first = _year_start_ordinal(first_year)
        new_end = _year_start_ordinal(last_year + 1)
        surplus: dict[int, timedelta] = {}
        previous = self.day_start(new_first)
        for ordinal in range(new_first, new_end):
            following = self.day_start(ordinal + 1)
            if _is_weekday(ordinal) and following - previous != _DAY:
                surplus[ordinal] = following - previous - _DAY
            previous = following
        new_ordinals = tuple(sorted(surplus))
        sums = [_ZERO]
        for ordinal in new_ordinals:
            sums.append(sums[-1] + surplus[ordinal])
        table = (new_first, new_end, new_ordinals, tuple(sums))
        self._table = table
        return table


_ZONE_RULES: dict[str, _ZoneRules] = {}


def _zone_rules(name: str) -> _ZoneRules:
    rules = _ZONE_RULES.get(name)
    if rules is None:
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {name!r}: use an IANA name") from error
        fixed = name in _FIXED_ZONE_NAMES or name.startswith("Etc/GMT")
        rules = _ZONE_RULES.setdefault(name, _ZoneRules(zone, fixed))
    return rules


# --- the calendar --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """Working time in one reference zone, minus whole closed dates.

    ``closed_dates`` is normalised to a sorted tuple of distinct weekday dates, so two calendars
    with the same meaning compare (and hash) equal.
    """

    timezone: str = "UTC"
    closed_dates: tuple[date, ...] = ()
    _rules: _ZoneRules = field(init=False, repr=False, compare=False)
    _closed: tuple[int, ...] = field(init=False, repr=False, compare=False)
    # Open weekdays before each closed date: the key that inverts "working days before a date".
    _open_before_closed: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _closed_surplus: tuple[timedelta, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        name = self.timezone
        if isinstance(name, ZoneInfo):
            name = name.key
        if not isinstance(name, str):
            raise TypeError(f"timezone must be an IANA zone name, got {self.timezone!r}")
        rules = _zone_rules(name)
        closed: set[date] = set()
        for day in self.closed_dates:
            if isinstance(day, datetime) or not isinstance(day, date):
                raise TypeError(f"closed dates must be dates, got {day!r}")
            if day.weekday() < 5:
                closed.add(day)
        dates = tuple(sorted(closed))
        ordinals = tuple(day.toordinal() for day in dates)
        sums = [_ZERO]
        for ordinal in ordinals:
            sums.append(sums[-1] + rules.day_surplus(ordinal))
        object.__setattr__(self, "timezone", name)
        object.__setattr__(self, "closed_dates", dates)
        object.__setattr__(self, "_rules", rules)
        object.__setattr__(self, "_closed", ordinals)
        object.__setattr__(
            self,
            "_open_before_closed",
            tuple(_weekdays_before(ordinal) - i for i, ordinal in enumerate(ordinals)),
        )
        object.__setattr__(self, "_closed_surplus", tuple(sums))

    def __reduce__(self) -> tuple[type[WorkCalendar], tuple[str, tuple[date, ...]]]:
        # Rebuild from the public fields, so caches and task queues never carry the zone tables.
        return (WorkCalendar, (self.timezone, self.closed_dates))

    @property
    def zone(self) -> ZoneInfo:
        return self._rules.zone

    # Working days are numbered 0, 1, 2, ... in date order; these map dates to that numbering.

    def _is_working_date(self, ordinal: int) -> bool:
        if not _is_weekday(ordinal):
            return False
        i = bisect_left(self._closed, ordinal)
        return i == len(self._closed) or self._closed[i] != ordinal

    def _working_days_before(self, ordinal: int) -> int:
        return _weekdays_before(ordinal) - bisect_left(self._closed, ordinal)

    def _working_date(self, index: int) -> int:
        return _weekday_ordinal(index + bisect_right(self._open_before_closed, index))

    def _whole_days(self, first: int, end: int) -> timedelta:
        """Working time in the whole local dates [first, end)."""
        count = self._working_days_before(end) - self._working_days_before(first)
        if count <= 0:
            return _ZERO
        total = count * _DAY
        if not self._rules.fixed:
            closed = self._closed
            closed_surplus = (
                self._closed_surplus[bisect_left(closed, end)]
                - self._closed_surplus[bisect_left(closed, first)]
            )
            total += self._rules.weekday_surplus(first, end) - closed_surplus
        return total

    def _between(self, start: datetime, end: datetime) -> timedelta:
        if end <= start:
            return _ZERO
        rules = self._rules
        first, _, first_end = rules.locate(start)
        if end < first_end:
            return end - start if self._is_working_date(first) else _ZERO
        last, last_start, _ = rules.locate(end)
        total = self._whole_days(first + 1, last)
        if self._is_working_date(first):
            total += first_end - start
        if self._is_working_date(last):
            total += end - last_start
        return total

    def _advance(self, start: datetime, delta: timedelta) -> datetime:
        """Instant (naive UTC) when ``delta`` of working time has elapsed after ``start``.

        With ``delta == 0`` this is the next working instant.
        """
        rules = self._rules
        ordinal, _, day_end = rules.locate(start)
        if self._is_working_date(ordinal):
            left_today = day_end - start
            if delta < left_today:
                return start + delta
            delta -= left_today
        first = self._working_days_before(ordinal + 1)
        first_date = self._working_date(first)
        # Days are 24 h give or take a clock change, so the guess is off by a step or two at most.
        index = first + delta // _DAY
        while True:
            index_date = self._working_date(index)
            elapsed = self._whole_days(first_date, index_date)
            if elapsed > delta:
                index -= 1
                continue
            if self._whole_days(first_date, self._working_date(index + 1)) <= delta:
                index += 1
                continue
            return rules.day_start(index_date) + (delta - elapsed)

    def _to_local(self, instant: datetime) -> datetime:
        return instant.replace(tzinfo=UTC).astimezone(self._rules.zone)


_DEFAULT_CALENDAR = WorkCalendar()


# --- input checks --------------------------------------------------------------------------------


def _calendar(calendar: WorkCalendar | None) -> WorkCalendar:
    return _DEFAULT_CALENDAR if calendar is None else calendar


def _utc(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return (value - offset).replace(tzinfo=None, fold=0)


def _check_delta(delta: timedelta) -> None:
    if not isinstance(delta, timedelta):
        raise TypeError(f"delta must be a timedelta, got {type(delta).__name__}")
    if delta < _ZERO:
        raise ValueError(f"delta must not be negative, got {delta}")


# --- public API ----------------------------------------------------------------------------------


def add_working_time(
    start: datetime, delta: timedelta, calendar: WorkCalendar | None = None
) -> datetime:
    """The instant at which ``delta`` of working time has elapsed after ``start``.

    Starting in non-working time counts from the next working instant. A deadline reached
    exactly at the end of a working period is moved to the next working instant (Friday 20:00
    plus 4 h is Monday 00:00). ``delta == 0`` returns ``start`` itself even in non-working time:
    nothing has to elapse, so nothing moves. The result is expressed in the calendar's zone.
    """
    cal = _calendar(calendar)
    _check_delta(delta)
    instant = _utc(start, "start")
    if delta == _ZERO:
        return cal._to_local(instant)
    return cal._to_local(cal._advance(instant, delta))


def working_time_between(
    start: datetime, end: datetime, calendar: WorkCalendar | None = None
) -> timedelta:
    """Working time in [start, end); zero when ``end <= start``."""
    cal = _calendar(calendar)
    return cal._between(_utc(start, "start"), _utc(end, "end"))


def is_working_time(instant: datetime, calendar: WorkCalendar | None = None) -> bool:
    cal = _calendar(calendar)
    ordinal, _, _ = cal._rules.locate(_utc(instant, "instant"))
    return cal._is_working_date(ordinal)


def next_working_instant(instant: datetime, calendar: WorkCalendar | None = None) -> datetime:
    """``instant`` itself when it is working time, else the start of the next working period."""
    cal = _calendar(calendar)
    return cal._to_local(cal._advance(_utc(instant, "instant"), _ZERO))


def remaining_parts(
    now: datetime, due: datetime, calendar: WorkCalendar | None = None
) -> tuple[bool, int, int, int]:
    """(overdue, working days, hours, minutes) between now and due, rounded up to the minute;
    a working day is 24 working hours. The pieces describe_remaining (and translated words
    elsewhere) are made of."""
    cal = _calendar(calendar)
    now_utc, due_utc = _utc(now, "now"), _utc(due, "due")
    overdue = now_utc > due_utc
    amount = cal._between(due_utc, now_utc) if overdue else cal._between(now_utc, due_utc)
    minutes = -(-amount // _MINUTE)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    return overdue, days, hours, minutes


def describe_remaining(now: datetime, due: datetime, calendar: WorkCalendar | None = None) -> str:
    """Short words for the UI: "3 h 20 m left", "2 working days 3 h left", "overdue by 45 m".

    Measured in working time and rounded up to the minute, so "0 m left" never shows while time
    remains. A working day is 24 working hours. "due now" when no working time separates the
    two, which includes a weekend between a deadline and the Monday it resolves to.
    """
    overdue, days, hours, minutes = remaining_parts(now, due, calendar)
    if not (days or hours or minutes):
        return "due now"
    if days:
        words = f"{days} working day{'s' if days != 1 else ''}"
        if hours:
            words += f" {hours} h"
    elif hours:
        words = f"{hours} h {minutes} m" if minutes else f"{hours} h"
    else:
        words = f"{minutes} m"
    return f"overdue by {words}" if overdue else f"{words} left"


def explain_deadline(
    start: datetime,
    delta: timedelta,
    calendar: WorkCalendar | None = None,
    *,
    started_by: str = "received",
    zone_label: str | None = None,
) -> str:
    """How ``add_working_time(start, delta)`` was reached, in words a steward can check.

    ``started_by`` names the event that started the clock ("received", "resolved", ...).
    Every instant is in the calendar's zone, to the minute. ``zone_label`` (a friendly name,
    "Pacific Time") names that zone once at the end instead of an abbreviation per instant.

    For example "received Fri 22 Dec 20:00 UTC; 4 working hours that day; weekend not counted;
    25–26 Dec closed; due Wed 27 Dec 04:00 UTC". Only closed dates and the two ends are walked;
    stretches between them with more than one weekend are summarised, so a 2,000-hour
    explanation stays a few phrases long (plus one per run of closed dates).
    """
    cal = _calendar(calendar)
    _check_delta(delta)
    start_utc = _utc(start, "start")
    due_utc = start_utc if delta == _ZERO else cal._advance(start_utc, delta)
    local_start, local_due = cal._to_local(start_utc), cal._to_local(due_utc)
    show_year = local_start.year != local_due.year
    zoned = zone_label is None
    phrases = [f"{started_by} {_format_instant(local_start, show_year, zoned)}"]
    if delta == _ZERO:
        phrases.append("no working time needed")
    else:
        phrases.extend(_explain_span(cal, start_utc, due_utc, show_year))
    phrases.append(f"due {_format_instant(local_due, show_year, zoned)}")
    text = "; ".join(phrases)
    return text if zoned else f"{text} ({zone_label})"


# --- explanation helpers -------------------------------------------------------------------------


def _explain_span(cal: WorkCalendar, start: datetime, due: datetime, show_year: bool) -> list[str]:
    rules = cal._rules
    first, first_start, first_end = rules.locate(start)
    last, _, _ = rules.locate(due)
    if first == last:
        return [_working_phrase(due - start)]
    phrases: list[str] = []
    if cal._is_working_date(first) and start > first_start:
        phrases.append(f"{_working_phrase(first_end - start)} that day")
        first += 1
    # Closed dates split the stretch; everything between two of them is counted arithmetically.
    closed = cal._closed[bisect_left(cal._closed, first) : bisect_left(cal._closed, last)]
    cursor = first
    i = 0
    while i < len(closed):
        run_end = i
        while run_end + 1 < len(closed) and closed[run_end + 1] == closed[run_end] + 1:
            run_end += 1
        phrases.extend(_explain_open_stretch(cal, cursor, closed[i]))
        phrases.append(f"{_format_date_run(closed[i], closed[run_end], show_year)} closed")
        cursor = closed[run_end] + 1
        i = run_end + 1
    phrases.extend(_explain_open_stretch(cal, cursor, last))
    return phrases


def _explain_open_stretch(cal: WorkCalendar, first: int, end: int) -> list[str]:
    """Phrases for the dates [first, end), which hold no closed date."""
    if end <= first:
        return []
    weekends = _weekends_touched(first, end)
    if weekends > 1:
        days = cal._working_days_before(end) - cal._working_days_before(first)
        summary = _full_days_phrase(days, cal._whole_days(first, end))
        return [f"{summary} and {weekends} weekends not counted"]
    # At most one weekend means at most 12 dates, so walking them is cheap.
    phrases: list[str] = []
    ordinal = first
    while ordinal < end:
        working = _is_weekday(ordinal)
        run_end = ordinal
        while run_end < end and _is_weekday(run_end) == working:
            run_end += 1
        if working:
            phrases.append(_full_days_phrase(run_end - ordinal, cal._whole_days(ordinal, run_end)))
        else:
            phrases.append("weekend not counted")
        ordinal = run_end
    return phrases


def _weekends_touched(first: int, end: int) -> int:
    """Number of Saturday-Sunday pairs with at least one date in [first, end)."""
    # Week w (Monday-based, ordinal 1 in week 0) has its Saturday at 7w + 6, Sunday at 7w + 7.
    low = -((7 - first) // 7)  # smallest w with 7w + 7 >= first
    high = (end - 7) // 7  # largest w with 7w + 6 <= end - 1
    return max(0, high - low + 1)


def _full_days_phrase(days: int, length: timedelta) -> str:
    phrase = f"{days} full working day{'s' if days != 1 else ''}"
    if length != days * _DAY:
        phrase += f" ({_format_duration(length)}, clock change)"
    return phrase


def _working_phrase(amount: timedelta) -> str:
    if amount % _HOUR == _ZERO:
        hours = amount // _HOUR
        return f"{hours} working hour{'s' if hours != 1 else ''}"
    return f"{_format_duration(amount)} of working time"


def _format_duration(amount: timedelta) -> str:
    # Minutes, never seconds: rounded up, so that an instant shown rounded down to its minute
    # plus this duration reaches the next instant shown (00:56:39 + 23:03:21 reads as
    # 00:56 + 23 h 4 m = 24:00).
    minutes = -(-amount // _MINUTE)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{value} {unit}" for value, unit in ((hours, "h"), (minutes, "m"))]
    kept = [part for part in parts if not part.startswith("0 ")]
    return " ".join(kept) or "0 m"


def _format_instant(local: datetime, show_year: bool, zoned: bool = True) -> str:
    # Own month and day names: strftime would follow the process locale. Minutes only.
    clock = f"{local:%H:%M}"
    day = f"{_WEEKDAY_NAMES[local.weekday()]} {local.day} {_MONTH_NAMES[local.month - 1]}"
    if show_year:
        day += f" {local.year}"
    return f"{day} {clock} {local.tzname()}" if zoned else f"{day} {clock}"


def _format_date_run(first: int, last: int, show_year: bool) -> str:
    first_date, last_date = date.fromordinal(first), date.fromordinal(last)

    def label(day: date) -> str:
        text = f"{day.day} {_MONTH_NAMES[day.month - 1]}"
        return f"{text} {day.year}" if show_year else text

    if first == last:
        return label(first_date)
    if (first_date.year, first_date.month) == (last_date.year, last_date.month):
        return f"{first_date.day}–{label(last_date)}"
    return f"{label(first_date)} – {label(last_date)}"
