"""Deadlines: the organisation's calendar from the database, and the due timestamps of every
request and incident, computed from supportdesk/worktime.py when the event that starts, stops or
resets a clock happens. Stored in indexed columns, so "what is due" is one range query.

Clocks (DOMAIN.md "Service level objectives"):

| column                        | starts                            | stops / resets             |
| ----------------------------- | --------------------------------- | -------------------------- |
| request.triage_due_at         | received (8 wh)                   | triaged                    |
| request.first_response_due_at | received (24 wh)                  | first public reply         |
| request.response_due_at       | received; earliest unanswered msg | public reply from the team |
| request.timebox_due_at        | triaged (30 working minutes)      | issue linked, resolved     |
| request.auto_close_due_at     | resolved (48 wh)                  | reply (reopens), closed    |
| incident.next_update_due_at   | declared; the ack; each update    | resolved (3 wh)            |
| incident.escalation_due_at    | declared (30 working minutes)     | escalated, resolved        |
| incident.auto_close_due_at    | resolved (48 wh)                  | confirmed, closed          |

Reduced capacity (DOMAIN.md, corrected 2026-12-01): clocks keep running through it; a request
deadline missed in or because of it is excused (`*_excused`, stored with the deadline; the
sweep then nudges the assignee only, pages say "missed (reduced capacity)", the dashboard counts
it apart). An admin may pause non-incident clocks in it instead (CalendarSettings, default off).
Weekends and closed dates never count, for every clock.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from rotation.models import Engineer
from slo.models import CalendarSettings, ClosedDate, SLOPolicy
from supportdesk import capacity, refdata, safecache, worktime
from supportdesk.worktime import WorkCalendar
from supportdesk.zones import zone_name

Clock = SLOPolicy.Clock
HOUR = datetime.timedelta(hours=1)


@dataclass(frozen=True)
class Policies:
    """A snapshot of the objectives, loaded once per operation."""

    targets: dict[str, datetime.timedelta]
    nudge_percent: dict[str, int]

    def target(self, clock: str) -> datetime.timedelta:
        return self.targets[clock]


def load_policies() -> Policies:
    """The objectives now (cached: see supportdesk.refdata)."""
    return refdata.cached("slo:policies", _load_policies)


def _load_policies() -> Policies:
    targets: dict[str, datetime.timedelta] = {
        c: datetime.timedelta(minutes=m) for c, m in SLOPolicy.DEFAULT_MINUTES.items()
    }
    nudge: dict[str, int] = dict.fromkeys(targets, 75)
    for policy in SLOPolicy.objects.all():
        targets[policy.clock] = datetime.timedelta(minutes=policy.target_minutes)
        nudge[policy.clock] = policy.nudge_at_percent
    return Policies(targets=targets, nudge_percent=nudge)


def reduced_capacity_dates(
    years: Iterable[int], *, config: CalendarSettings | None = None
) -> list[datetime.date]:
    """Year edges and the days when at least the configured share of the roster has a public
    holiday. The holiday computation is pure but not free, so it is cached per roster.
    `config`: the CalendarSettings row when the caller has read it already."""
    config = config or CalendarSettings.load()
    countries = sorted(Engineer.objects.filter(is_active=True).values_list("country", flat=True))
    years = sorted(set(years))
    share = config.holiday_overlap_percent
    key = f"slo:reduced:{','.join(map(str, years))}:{','.join(countries)}:{share}"
    return safecache.cached(
        key,
        lambda: capacity.reduced_capacity_dates(years, countries, share=share / 100),
        timeout=24 * 3600,
    )


def calendar_for(
    *, timezone_name: str | None = None, incident: bool = False, around: datetime.date | None = None
) -> WorkCalendar:
    """The working-time calendar for a clock. `around` bounds which years of reduced capacity are
    loaded (the year before it to two after: far more than any clock spans)."""
    return calendar_pair(timezone_name=timezone_name, around=around, kinds=(incident,))[incident]


def calendar_pair(
    *,
    timezone_name: str | None = None,
    around: datetime.date | None = None,
    kinds: Iterable[bool] = (False, True),
) -> dict[bool, WorkCalendar]:
    """calendar_for for several kinds at once, keyed by `incident`, from one read of the
    settings and the closed dates (a page that shows incidents and other requests needs both)."""
    basis = calendar_basis(around=around or timezone.now().date())
    zone = timezone_name or basis.reference_timezone
    calendars = {}
    for incident in kinds:
        dates = basis.closed
        if not incident and basis.pause:
            dates = basis.closed | basis.reduced
        calendars[incident] = WorkCalendar(timezone=zone, closed_dates=tuple(dates))
    return calendars


@dataclass(frozen=True)
class CalendarBasis:
    """What every calendar near one day is made of: whole dates, the same in every zone."""

    reference_timezone: str
    closed: frozenset[datetime.date]
    # Reduced-capacity days (year edges, overlapping holidays): clocks run through them and a
    # deadline missed in or because of them is excused (DOMAIN.md, corrected 2026-12-01)...
    reduced: frozenset[datetime.date]
    # ... unless an admin chose to pause non-incident clocks in them instead (default off).
    pause: bool = False


def calendar_basis(*, around: datetime.date) -> CalendarBasis:
    """The settings, closed dates and reduced-capacity days from the year before `around` to two
    after (far more than any clock spans). Cached per day: see supportdesk.refdata."""

    def build() -> CalendarBasis:
        config = CalendarSettings.load()
        first, last = around - datetime.timedelta(days=400), around + datetime.timedelta(days=800)
        closed = ClosedDate.objects.filter(date__range=(first, last)).values_list("date", flat=True)
        years = range(first.year, last.year + 1)
        return CalendarBasis(
            reference_timezone=config.reference_timezone,
            closed=frozenset(closed),
            reduced=frozenset(reduced_capacity_dates(years, config=config)),
            pause=config.pause_during_reduced_capacity,
        )

    return refdata.cached(f"slo:calendar:{around.isoformat()}", build)


def clock_timezone(community) -> str | None:
    """The zone a community's clocks run in: the team's reference zone (None) for everyone,
    unless an admin explicitly gave the community a calendar of its own (DOMAIN.md: its own
    zone only formats the times shown to it)."""
    return community.timezone if community.own_calendar else None


def request_calendar(support_request) -> WorkCalendar:
    incident = support_request.category == "incident"
    return calendar_for(timezone_name=clock_timezone(support_request.community), incident=incident)


def incident_calendar() -> WorkCalendar:
    return calendar_for(incident=True)


def refresh_request_deadlines(
    support_request,
    *,
    calendar: WorkCalendar | None = None,
    policies: Policies | None = None,
    reduced: frozenset[datetime.date] | None = None,
) -> list[str]:
    """Recompute a request's deadline columns, and whether missing each would be excused, from
    its event timestamps. Returns the names of the fields it sets (the caller saves them). Pure
    given the calendar, the policies and the reduced-capacity dates."""
    r = support_request
    calendar = calendar or request_calendar(r)
    policies = policies or load_policies()
    add = worktime.add_working_time
    is_open = r.status in ("new", "triaged", "planned")

    r.triage_due_at = add(r.received_at, policies.target(Clock.TRIAGE), calendar)
    r.first_response_due_at = add(r.received_at, policies.target(Clock.FIRST_RESPONSE), calendar)
    r.timebox_due_at = (
        add(r.triaged_at, policies.target(Clock.TIMEBOX), calendar) if r.triaged_at else None
    )
    r.auto_close_due_at = (
        add(r.resolved_at, policies.target(Clock.AUTO_CLOSE), calendar)
        if r.status == "resolved" and r.resolved_at
        else None
    )
    if is_open:
        waiting_since = _awaiting_response_since(r)
        r.response_due_at = (
            add(waiting_since, policies.target(Clock.FIRST_RESPONSE), calendar)
            if waiting_since
            else None
        )
    else:
        r.response_due_at = None

    pending = []
    if r.status == "new" and r.triaged_at is None:
        pending.append(r.triage_due_at)
    if is_open and r.response_due_at:
        pending.append(r.response_due_at)
    if r.auto_close_due_at:
        pending.append(r.auto_close_due_at)
    r.next_due_at = min(pending) if pending else None
    reduced = reduced_capacity_for(calendar) if reduced is None else reduced
    r.triage_excused = is_excused(r.received_at, r.triage_due_at, calendar, reduced)
    r.first_response_excused = is_excused(r.received_at, r.first_response_due_at, calendar, reduced)
    r.response_excused = (
        is_excused(_awaiting_response_since(r), r.response_due_at, calendar, reduced)
        if r.response_due_at
        else False
    )
    return [
        "triage_due_at",
        "first_response_due_at",
        "timebox_due_at",
        "auto_close_due_at",
        "response_due_at",
        "next_due_at",
        "triage_excused",
        "first_response_excused",
        "response_excused",
    ]


def reduced_capacity_for(calendar: WorkCalendar) -> frozenset[datetime.date]:
    """The reduced-capacity dates around today (cached with the calendar basis)."""
    return calendar_basis(around=timezone.now().date()).reduced


def is_excused(
    started: datetime.datetime | None,
    due: datetime.datetime | None,
    calendar: WorkCalendar,
    reduced: frozenset[datetime.date],
) -> bool:
    """DOMAIN.md: a deadline missed in or because of a reduced-capacity period is excused. It is
    "in" one when it falls on a reduced-capacity date, "because of" one when its clock ran
    through one (dates in the clock's zone, both ends included). Stored with the deadline, so
    a miss is known to be excused the moment it happens and reports can count it apart."""
    if started is None or due is None or not reduced:
        return False
    first = timezone.localtime(started, calendar.zone).date()
    last = timezone.localtime(due, calendar.zone).date()
    if (last - first).days > 60:  # never for the objectives' spans; keep the loop bounded
        return any(first <= day <= last for day in reduced)
    return any(
        first + datetime.timedelta(days=n) in reduced for n in range((last - first).days + 1)
    )


def _awaiting_response_since(r) -> datetime.datetime | None:
    """When the representative started waiting for an answer, or None if they are not: the
    request itself until the first response, then their earliest unanswered message."""
    if r.first_responded_at is None:
        return r.received_at
    return r.unanswered_since


def refresh_incident_deadlines(
    incident, *, calendar: WorkCalendar | None = None, policies: Policies | None = None
) -> list[str]:
    calendar = calendar or incident_calendar()
    policies = policies or load_policies()
    add = worktime.add_working_time
    is_open = incident.state in ("triggered", "acknowledged")
    if is_open:
        # DOMAIN.md lifecycle step 6: the acknowledgement to the community is the first update
        # and (re)starts the update clock (incident_acknowledge sets last_update_sent_at).
        # Before it, the clock counts from the declaration, so nobody forgets the community.
        since = incident.last_update_sent_at or incident.declared_at
        incident.next_update_due_at = add(since, policies.target(Clock.INCIDENT_UPDATE), calendar)
        incident.escalation_due_at = add(
            incident.declared_at, policies.target(Clock.TIMEBOX), calendar
        )
    else:
        incident.next_update_due_at = None
    incident.auto_close_due_at = (
        add(incident.resolved_at, policies.target(Clock.AUTO_CLOSE), calendar)
        if incident.state == "resolved" and incident.resolved_at
        else None
    )
    return ["next_update_due_at", "escalation_due_at", "auto_close_due_at"]


def nudge_instant(
    *, started: datetime.datetime, due: datetime.datetime, percent: int, calendar: WorkCalendar
) -> datetime.datetime:
    """The instant at which `percent` of the working time between `started` and `due` is used."""
    span = worktime.working_time_between(started, due, calendar)
    return worktime.add_working_time(started, span * percent / 100, calendar)


def remaining_text(due: datetime.datetime | None, *, calendar: WorkCalendar, now=None) -> str:
    if due is None:
        return ""
    return worktime.describe_remaining(now or timezone.now(), due, calendar)


def is_overdue(due: datetime.datetime | None, *, now=None) -> bool:
    return due is not None and due <= (now or timezone.now())


def explain(
    started: datetime.datetime,
    clock: str,
    *,
    calendar: WorkCalendar,
    policies: Policies | None = None,
) -> str:
    """Why a deadline is where it is, in words a steward can check: every instant in the
    clock's zone, to the minute, the zone named once by its friendly name."""
    policies = policies or load_policies()
    return worktime.explain_deadline(
        started,
        policies.target(clock),
        calendar,
        started_by=CLOCK_STARTED_BY.get(clock, "from"),
        zone_label=zone_name(calendar.timezone),
    )


# The event each clock counts from, as the explanation names it.
CLOCK_STARTED_BY: dict[str, str] = {
    Clock.TRIAGE: "received",
    Clock.FIRST_RESPONSE: "received",
    Clock.AUTO_CLOSE: "resolved",
    Clock.TIMEBOX: "triaged",
    Clock.INCIDENT_UPDATE: "last update",
}
