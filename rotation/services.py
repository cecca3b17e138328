"""Database-backed rotation: the roster, the settings row, overrides, and who is on duty.

``rotation/schedule.py`` answers the positional question: who serves on a day when nobody is
away. This module loads the roster (active engineers, alphabetical), the settings row and the
overrides once per question, and applies the overrides on top of that answer, day by day:

- **swap** (``engineer``, ``other``, ``starts_on``..``ends_on``): on those days, wherever
  ``engineer`` would serve, ``other`` serves in that seat instead, and vice versa. When both are
  on the team they trade seats (and so seniority); when neither is, nothing changes. Swaps apply
  first, in order of ``starts_on`` then id.
- **away** (``engineer``, ``starts_on``..``ends_on``): on those days the engineer does not serve.
  Their seat is covered by the next engineer in roster order after the team (the one who would
  join at the next change, then the one after, cycling), skipping anyone away that day or
  already serving. Seats are filled senior first, so when both stewards are away the next two
  engineers cover, in roster order. When nobody is left the seat stays empty (a smaller team).
- A cover takes the absentee's seat: the team keeps its order (most senior first), so the
  junior steward is still the junior for the assignment tie-break.
- Positions never move. An override changes who serves on its own days only; everybody's later
  turns stay where the schedule puts them (skipping someone does not shift the whole rotation).
- Overrides naming an engineer who is not on the active roster are ignored: inactive engineers
  never serve.
- Days are calendar days in the rotation's reference time zone (``settings.SUPPORT_TIMEZONE``,
  the working-time reference, UTC by default); override dates are inclusive.
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from rotation import schedule
from rotation.models import Engineer, RotationOverride, RotationSettings
from supportdesk import refdata

ONE_DAY = datetime.timedelta(days=1)
# A new request goes to the on-duty steward with fewer open requests, counted up to this many.
LOAD_COUNT_CAP = 200
DEFAULT_SCHEDULE_WEEKS = 12
# The calendar feed: how far back and ahead it reaches.
FEED_PAST_WEEKS = 12
FEED_FUTURE_WEEKS = 52
ICS_TOKEN_SALT = "rotation.ics-feed"  # noqa: S105 - a namespace, not a secret


# ---------------------------------------------------------------------------------------------
# Value objects


@dataclass(frozen=True)
class Change:
    """One override at work on a day: ``engineer`` does not serve, ``other`` serves for them."""

    kind: str  # RotationOverride.Kind
    engineer: Engineer
    other: Engineer | None
    reason: str = ""

    @property
    def text(self) -> str:
        if self.kind == RotationOverride.Kind.AWAY:
            cover = f"{self.other.roster_name} covers" if self.other else "nobody free to cover"
            text = f"{self.engineer.roster_name} away; {cover}"
        else:
            assert self.other is not None  # a swap always names who serves instead
            text = f"{self.other.roster_name} serves instead of {self.engineer.roster_name} (swap)"
        return f"{text} ({self.reason})" if self.reason else text


@dataclass(frozen=True)
class DutyDay:
    day: datetime.date
    team: tuple[Engineer, ...]  # who serves, most senior first, overrides applied
    rostered: tuple[Engineer, ...]  # who the schedule alone puts on duty
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class ShiftNote:
    """A stretch of days inside a shift where overrides change who serves."""

    first_day: datetime.date
    last_day: datetime.date  # inclusive
    team: tuple[Engineer, ...]
    changes: tuple[Change, ...]

    @property
    def text(self) -> str:
        return "; ".join(change.text for change in self.changes)


@dataclass(frozen=True)
class ShiftPlan:
    """One shift of the schedule page: the rostered team, who joins and leaves, and notes for
    the days on which overrides change that (an override may cover only part of a shift)."""

    index: int
    starts: datetime.date
    ends: datetime.date  # exclusive: the next change
    team: tuple[Engineer, ...]  # most senior first
    joining: Engineer
    leaving: Engineer | None  # None for the first shift of the rotation
    notes: tuple[ShiftNote, ...] = ()

    @property
    def last_day(self) -> datetime.date:
        return self.ends - ONE_DAY


@dataclass(frozen=True)
class ShiftChange:
    """The team on ``day`` differs from the day before: a hand-over. Regular shift changes and
    changes made by overrides (someone going away, coming back, a swap) alike."""

    day: datetime.date
    before: tuple[Engineer, ...]
    after: tuple[Engineer, ...]
    joining: tuple[Engineer, ...]
    leaving: tuple[Engineer, ...]
    is_shift_change: bool  # the rotation's own change day (vs. an override starting or ending)
    changes: tuple[Change, ...] = ()  # overrides in force on ``day``


@dataclass(frozen=True)
class DutyPeriod:
    starts: datetime.date
    ends: datetime.date  # exclusive, as iCalendar's all-day DTEND


# ---------------------------------------------------------------------------------------------
# Loading and applying overrides


@dataclass
class Rotation:
    """The roster, settings and overrides of one question, loaded once (3 queries)."""

    config: RotationSettings
    engineers: list[Engineer]  # roster order
    overrides: list[RotationOverride]
    _by_pk: dict[int, Engineer] = field(init=False, repr=False)
    _names: list[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_pk = {e.pk: e for e in self.engineers}
        # schedule.py works on names; the pk as a string is unique and maps straight back.
        self._names = [str(e.pk) for e in self.engineers]

    def engineer(self, name: str) -> Engineer:
        return self._by_pk[int(name)]

    def with_overrides(self, *, first_day: datetime.date, last_day: datetime.date) -> Rotation:
        return Rotation(
            config=self.config,
            engineers=self.engineers,
            overrides=_overrides(first_day=first_day, last_day=last_day),
        )

    @property
    def configured(self) -> bool:
        return len(self.engineers) >= self.config.team_size

    def _kwargs(self) -> dict[str, int]:
        return {
            "team_size": self.config.team_size,
            "tenure_weeks": self.config.tenure_weeks,
            "shift_weeks": self.config.shift_weeks,
        }

    def rostered_team(self, day: datetime.date) -> tuple[Engineer, ...]:
        if not self.configured or day < self.config.start_date:
            return ()
        names = schedule.on_duty(day, self._names, self.config.start_date, **self._kwargs())
        return tuple(self.engineer(name) for name in names)

    def is_shift_change(self, day: datetime.date) -> bool:
        start = self.config.start_date
        return day >= start and (day - start).days % (7 * self.config.shift_weeks) == 0

    def duty(self, day: datetime.date) -> DutyDay:
        rostered = self.rostered_team(day)
        if not rostered:
            return DutyDay(day=day, team=(), rostered=())
        active = [o for o in self.overrides if o.starts_on <= day <= o.ends_on]
        seats: list[Engineer | None] = list(rostered)
        changes: list[Change] = []

        for o in active:
            if o.kind != RotationOverride.Kind.SWAP:
                continue
            a = self._by_pk.get(o.engineer_id)
            b = self._by_pk.get(o.other_id) if o.other_id is not None else None
            if a is None or b is None:
                continue
            seat_a = seats.index(a) if a in seats else None
            seat_b = seats.index(b) if b in seats else None
            if seat_a is not None:
                seats[seat_a] = b
                changes.append(Change(o.kind, engineer=a, other=b, reason=o.reason))
            if seat_b is not None:
                seats[seat_b] = a
                changes.append(Change(o.kind, engineer=b, other=a, reason=o.reason))

        away = {o.engineer_id: o for o in active if o.kind == RotationOverride.Kind.AWAY}
        if away:
            n = len(self.engineers)
            # Roster order from the one after the rostered junior seat, cycling. One iterator
            # for all seats, so a second absentee gets the cover after the first one's.
            first = self.engineers.index(rostered[-1]) + 1
            candidates = (self.engineers[(first + j) % n] for j in range(n))
            for i, member in enumerate(seats):
                if member is None or member.pk not in away:
                    continue
                cover = next((c for c in candidates if c.pk not in away and c not in seats), None)
                seats[i] = cover
                reason = away[member.pk].reason
                changes.append(Change(RotationOverride.Kind.AWAY, member, cover, reason))
        team = tuple(s for s in seats if s is not None)
        return DutyDay(day=day, team=team, rostered=rostered, changes=tuple(changes))

    def days(self, first_day: datetime.date, last_day: datetime.date) -> Iterator[DutyDay]:
        day = first_day
        while day <= last_day:
            yield self.duty(day)
            day += ONE_DAY


def roster() -> list[Engineer]:
    """Active engineers in rotation order: alphabetical by name (DOMAIN.md)."""
    engineers = (
        Engineer.objects.filter(is_active=True, user__is_active=True)
        .select_related("user")
        .defer("user__password")  # today's stewards are cached (supportdesk.refdata)
    )
    return sorted(engineers, key=lambda e: (e.roster_name.casefold(), e.pk))


def _overrides(*, first_day: datetime.date, last_day: datetime.date) -> list[RotationOverride]:
    return list(
        RotationOverride.objects.filter(starts_on__lte=last_day, ends_on__gte=first_day).order_by(
            "starts_on", "pk"
        )
    )


def load_rotation(*, first_day: datetime.date, last_day: datetime.date) -> Rotation:
    """Everything needed for the days ``first_day``..``last_day`` (inclusive): three queries."""
    return Rotation(
        config=RotationSettings.load(),
        engineers=roster(),
        overrides=_overrides(first_day=first_day, last_day=last_day),
    )


def rotation_today(*, at: datetime.datetime | None = None) -> datetime.date:
    """The rotation's calendar day at ``at`` (default now) in the reference time zone."""
    at = at or timezone.now()
    return timezone.localdate(at, timezone=zoneinfo.ZoneInfo(settings.SUPPORT_TIMEZONE))


# ---------------------------------------------------------------------------------------------
# Who is on duty


def stewards_on(day: datetime.date) -> list[Engineer]:
    """The stewards serving on `day`, most senior first, overrides applied ([] before the
    rotation starts or while the roster is smaller than the team). Every staff page shows
    today's, so they are cached per day (supportdesk.refdata drops them on any change)."""
    return refdata.cached(f"rotation:stewards:{day.isoformat()}", lambda: _stewards_on(day))


def _stewards_on(day: datetime.date) -> list[Engineer]:
    return list(load_rotation(first_day=day, last_day=day).duty(day).team)


def current_stewards(*, at: datetime.datetime | None = None) -> list[Engineer]:
    return stewards_on(rotation_today(at=at))


def assignee_for_new_request(*, at: datetime.datetime | None = None):
    """The on-duty steward with fewer open requests; on a tie the more junior one (who joined
    the rotation last and is learning). None when nobody is on duty.

    Each steward's load is counted up to LOAD_COUNT_CAP open requests: past that both are
    swamped and the tie-break decides. The count then reads at most that many index entries
    per steward, so a submission costs the same at 100,000 or 1,000,000 requests (issue 21)."""
    from tickets.models import SupportRequest  # noqa: PLC0415 - upward import: a listed layer exception

    stewards = current_stewards(at=at)
    if not stewards:
        return None
    # One query: a capped count per steward, each a LIMIT subquery on request_assignee_load_idx.
    parts: list[str] = []
    params: list[Any] = []
    for steward in stewards:
        capped = (
            SupportRequest.objects.filter(
                assignee_id=steward.user_id, status__in=SupportRequest.OPEN_STATUSES
            )
            .order_by()
            .values("pk")[:LOAD_COUNT_CAP]
        )
        sql, sql_params = capped.query.sql_with_params()
        # The SQL is the ORM's own; every value in it is a parameter.
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS load_{len(parts)})")  # noqa: S608
        params.extend(sql_params)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        counts = cursor.fetchone()
    load = {steward.user_id: count for steward, count in zip(stewards, counts, strict=True)}
    # stewards is most senior first, so reversed() puts the junior first for equal loads.
    junior_first = list(reversed(stewards))
    chosen = min(junior_first, key=lambda s: load[s.user_id])
    return chosen.user


# ---------------------------------------------------------------------------------------------
# The schedule ahead, and hand-overs


def _notes(days: list[DutyDay]) -> tuple[ShiftNote, ...]:
    notes: list[ShiftNote] = []
    for d in days:
        if not d.changes:
            continue
        last = notes[-1] if notes else None
        if (
            last is not None
            and last.last_day + ONE_DAY == d.day
            and last.team == d.team
            and last.changes == d.changes
        ):
            notes[-1] = ShiftNote(last.first_day, d.day, last.team, last.changes)
        else:
            notes.append(ShiftNote(d.day, d.day, d.team, d.changes))
    return tuple(notes)


def upcoming_shifts(
    *, first_day: datetime.date | None = None, weeks: int = DEFAULT_SCHEDULE_WEEKS
) -> list[ShiftPlan]:
    """The shifts overlapping ``weeks`` weeks from ``first_day`` (default today), whole, each
    with its rostered team, who joins and who leaves, and notes where overrides change it."""
    first_day = first_day or rotation_today()
    base = Rotation(config=RotationSettings.load(), engineers=roster(), overrides=[])
    if not base.configured:
        return []
    config = base.config
    plain = schedule.shifts(
        base._names,
        config.start_date,
        first_day=first_day,
        weeks=weeks,
        team_size=config.team_size,
        tenure_weeks=config.tenure_weeks,
        shift_weeks=config.shift_weeks,
    )
    if not plain:
        return []
    rotation = base.with_overrides(first_day=plain[0].starts, last_day=plain[-1].ends - ONE_DAY)
    plans = []
    for s in plain:
        days = list(rotation.days(s.starts, s.ends - ONE_DAY))
        plans.append(
            ShiftPlan(
                index=s.index,
                starts=s.starts,
                ends=s.ends,
                team=tuple(rotation.engineer(name) for name in s.team),
                joining=rotation.engineer(s.joining),
                leaving=rotation.engineer(s.leaving) if s.leaving is not None else None,
                notes=_notes(days),
            )
        )
    return plans


def shift_changes_between(start_day: datetime.date, end_day: datetime.date) -> list[ShiftChange]:
    """Every day in ``start_day``..``end_day`` (both inclusive) on which the serving team differs
    from the day before, with who joins and who leaves, overrides applied.

    Read-only and deterministic for a given database state, so a hand-over digest can call it
    for "today" (``shift_changes_between(today, today)``) or catch up over a range. The first
    day of the rotation counts as a change from nobody.
    """
    if end_day < start_day:
        return []
    rotation = load_rotation(first_day=start_day - ONE_DAY, last_day=end_day)
    previous = rotation.duty(start_day - ONE_DAY)
    result = []
    for today in rotation.days(start_day, end_day):
        if set(today.team) != set(previous.team):
            result.append(
                ShiftChange(
                    day=today.day,
                    before=previous.team,
                    after=today.team,
                    joining=tuple(e for e in today.team if e not in previous.team),
                    leaving=tuple(e for e in previous.team if e not in today.team),
                    is_shift_change=rotation.is_shift_change(today.day),
                    changes=today.changes,
                )
            )
        previous = today
    return result


# ---------------------------------------------------------------------------------------------
# Duty periods and the calendar feed


def duty_periods_for(
    *, engineer: Engineer, first_day: datetime.date, last_day: datetime.date
) -> list[DutyPeriod]:
    """The runs of consecutive days ``engineer`` serves within ``first_day``..``last_day``,
    overrides applied (an absence splits a tenure; covering for someone adds a period)."""
    rotation = load_rotation(first_day=first_day, last_day=last_day)
    return _periods(rotation, engineer=engineer, first_day=first_day, last_day=last_day)


def _periods(
    rotation: Rotation, *, engineer: Engineer, first_day: datetime.date, last_day: datetime.date
) -> list[DutyPeriod]:
    periods: list[DutyPeriod] = []
    for d in rotation.days(first_day, last_day):
        if engineer not in d.team:
            continue
        if periods and periods[-1].ends == d.day:
            periods[-1] = DutyPeriod(periods[-1].starts, d.day + ONE_DAY)
        else:
            periods.append(DutyPeriod(d.day, d.day + ONE_DAY))
    return periods


def feed_periods(*, engineer: Engineer, today: datetime.date | None = None) -> list[DutyPeriod]:
    """The periods of the calendar feed: those touching the last FEED_PAST_WEEKS weeks or the
    next FEED_FUTURE_WEEKS weeks, each whole, so an event keeps its dates (and UID) as the
    window moves day by day."""
    today = today or rotation_today()
    base = Rotation(config=RotationSettings.load(), engineers=roster(), overrides=[])
    config = base.config
    margin = datetime.timedelta(weeks=2 * config.tenure_weeks)
    window_start = today - datetime.timedelta(weeks=FEED_PAST_WEEKS)
    window_end = today + datetime.timedelta(weeks=FEED_FUTURE_WEEKS)
    first = max(config.start_date, window_start - margin)
    if window_end + margin < first:
        return []
    rotation = base.with_overrides(first_day=first, last_day=window_end + margin)
    periods = _periods(rotation, engineer=engineer, first_day=first, last_day=window_end + margin)
    return [p for p in periods if p.ends > window_start and p.starts < window_end]


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")


def ics_text(value: str) -> str:
    """A value for one iCalendar content line: line breaks and other control characters (which
    icalendar refuses, or which would start a new property) become one space. icalendar escapes
    the rest (commas, semicolons, backslashes)."""
    return _CONTROL_CHARACTERS.sub(" ", value).strip()


def ics_calendar(*, engineer: Engineer, today: datetime.date | None = None) -> bytes:
    """An iCalendar of ``engineer``'s duty periods: one all-day event each, with a UID made of
    the engineer and the first day, so calendar apps update events instead of duplicating.
    Names are people's input: every text value goes through `ics_text`."""
    name = ics_text(engineer.roster_name)
    host = urlsplit(settings.SITE_URL).hostname or "supportdesk"
    calendar = Calendar()
    calendar.add("prodid", "-//supportdesk//support rotation//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Support duty: {name}")
    stamp = timezone.now()
    for period in feed_periods(engineer=engineer, today=today):
        event = Event()
        event.add("uid", f"rotation-{engineer.pk}-{period.starts:%Y%m%d}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", period.starts)
        event.add("dtend", period.ends)
        event.add("summary", "Support steward duty")
        event.add(
            "description",
            f"{name} is a support steward from {period.starts:%d %b %Y} "
            f"to {period.ends - ONE_DAY:%d %b %Y} (inclusive). Schedule: "
            f"{settings.SITE_URL}{reverse('rotation:schedule')}",
        )
        # Duty is background, not a meeting: it should not block the day as busy.
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()


def ics_token_for(*, engineer: Engineer) -> str:
    """An unguessable, stable token for ``engineer``'s subscription URL: calendar apps cannot
    log in, so the signed token is the credential (rotating SECRET_KEY revokes every token)."""
    return signing.dumps(engineer.pk, salt=ICS_TOKEN_SALT)


def engineer_from_ics_token(token: str) -> Engineer | None:
    """The active engineer a feed token names, or None when it is forged or they have left."""
    try:
        pk = signing.loads(token, salt=ICS_TOKEN_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(pk, int):
        return None
    return (
        Engineer.objects.select_related("user")
        .filter(pk=pk, is_active=True, user__is_active=True)
        .first()
    )
