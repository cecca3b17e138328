"""The SLO sweep (beat, every minute): nudge people about deadlines that are near or past.

Clocks swept (DOMAIN.md "Service level objectives"; the columns are set by slo/services.py):

| clock in the key             | column                       | rows (partial index)            |
| ---------------------------- | ---------------------------- | ------------------------------- |
| triage                       | request.triage_due_at        | status new, not triaged         |
| first_response / response    | request.response_due_at      | open (new, triaged, planned)    |
| incident_update              | incident.next_update_due_at  | open (triggered, acknowledged)  |

`response_due_at` is the answer the representative is waiting for: the first response while
none was sent (so it equals first_response_due_at then), later the answer to their last reply.
Sweeping it alone nudges the first response once and every later wait once, never twice for the
same deadline.

Thresholds: "near" once `nudge_at_percent` (default 75%) of the clock's working time is used,
"breach" once the deadline has passed. Recipients: the assignee (requests) or the External
Liaison and the Incident Commander (incidents); the stewards on duty when there is nobody; on a
breach the project managers too. One Notification per (clock, object, deadline, threshold,
recipient): its key is claimed in the transaction that decides to send, so a second tick or a
second worker sends nothing, and a reset clock (new deadline) gives new keys. A sweep that finds
a deadline already past sends the breach only, not a stale "near".

Reading only what is due. The rows are read through the partial indexes with
`due_at <= cutoff`, where cutoff = now + the near window converted to wall-clock time *with the
working-time calendar itself*: `add_working_time(now, (100 - percent)% of the target)`. A row is
near exactly when `working_time(now, due) <= (100 - percent)% of its span`, i.e. when
`due <= add_working_time(now, that much)`; so the cutoff is exact for rows computed under the
current policy, whatever weekends, closed dates or reduced-capacity weeks lie in between (a
deadline on Monday 04:00 whose 75% point is Friday 22:00 is read on Friday 22:00; a plain
`now + target` window would miss it). Calendars differ per community time zone and between the
incident and non-incident clocks, so the cutoff is the latest over the calendars in use (one per
distinct community time zone; the non-incident calendar closes a superset of the incident
calendar's days, so its cutoff is the later one). Rows are then decided exactly with
`nudge_instant(started, due)`. Caveat, by design: after an admin lowers a target, deadlines
computed under the old, longer target get their "near" nudge when they enter the current
window, which is later than 75% of their old span but still before the breach. The cost is the
number of due rows (overdue ones stay due until the clock stops; their already-claimed keys are
read in one query per batch), never the number of open requests.

Concurrency: rows are read in keyset batches, each batch in its own transaction with
`select_for_update(skip_locked=True, of=("self",))` on PostgreSQL, so two sweeps share the work
instead of doubling it; the unique key is the final guard. On SQLite the IMMEDIATE transactions
serialize the sweeps (skip_locked is ignored there). A batch costs the same few queries however
many rows it holds: the rows, their people, the keys already claimed, and one `notify_many`
(one bulk INSERT in one savepoint) for the rest. If that INSERT meets a key claimed meanwhile
(another worker), notify_many claims key by key and skips the taken ones, so each key is still
claimed once. One broken row is logged and counted and the sweep carries on: a row whose
decision or message fails is skipped before the claim, and if the batch claim fails for any
other reason than a taken key, each row's messages are claimed in a savepoint of their own.
"""

from __future__ import annotations

import datetime
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import dateformat, timezone

from accounts.models import User
from communities.models import Community
from incidents.models import Incident, RoleAssignment
from notifications.models import Notification
from notifications.services import notify_many
from rotation.services import current_stewards
from slo.models import SLOPolicy
from slo.services import Policies, calendar_for, clock_timezone, load_policies, nudge_instant
from supportdesk import worktime
from supportdesk.urlbuild import pk_url
from supportdesk.worktime import WorkCalendar
from tickets.models import SupportRequest

logger = logging.getLogger(__name__)

Clock = SLOPolicy.Clock
NEAR = "near"
BREACH = "breach"
BATCH_SIZE = 200


@dataclass
class SweepResult:
    """What one sweep did. `counts` keys: "<clock>:<threshold>" (notifications claimed),
    "rows" (due rows examined), "errors" (rows that failed and were skipped)."""

    counts: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return dict(sorted(self.counts.items()))


@dataclass(frozen=True)
class Nudge:
    """One decided nudge for one row, before its keys are claimed."""

    clock: str  # the key's clock label
    threshold: str
    obj_type: str
    obj: object
    due: datetime.datetime
    calendar: WorkCalendar
    recipients: tuple  # users
    excused: bool = False

    def key(self, suffix: str) -> str:
        due = self.due.astimezone(datetime.UTC).isoformat()
        return f"slo:{self.clock}:{self.obj_type}:{self.obj.pk}:{due}:{self.threshold}:{suffix}"


class _Sweep:
    """State shared by the clocks of one sweep: the instant, policies, and lazily loaded
    calendars and people (so the query count does not depend on the number of rows)."""

    def __init__(self, *, now: datetime.datetime, policies: Policies) -> None:
        self.now = now
        self.policies = policies
        self._calendars: dict[tuple[str | None, bool], WorkCalendar] = {}
        self._stewards: list | None = None
        self._managers: list | None = None
        self._timezones: list[str | None] | None = None
        # Per sweep, not per row: a reverse() costs about 60 function calls, and the text of a
        # deadline is the same for every row due at that instant (often many after an outage).
        self.urls = {
            "request": pk_url("tickets:desk_request"),
            "incident": pk_url("incidents:detail"),
        }
        self._due_texts: dict[tuple[datetime.datetime, int], tuple[str, str]] = {}

    def calendar(self, *, timezone_name: str | None, incident: bool) -> WorkCalendar:
        # The same choice as slo.services.request_calendar / incident_calendar, memoised.
        key = (timezone_name, incident)
        if key not in self._calendars:
            self._calendars[key] = calendar_for(
                timezone_name=timezone_name, incident=incident, around=self.now.date()
            )
        return self._calendars[key]

    def community_timezones(self) -> list[str | None]:
        """The zones request clocks run in: the reference zone (None), and the own zone of any
        community an admin gave a calendar of its own."""
        if self._timezones is None:
            own = (
                Community.objects.filter(own_calendar=True)
                .order_by()
                .values_list("timezone", flat=True)
                .distinct()
            )
            self._timezones = [None, *sorted(set(own))]
        return self._timezones

    def stewards(self) -> list:
        if self._stewards is None:
            self._stewards = [e.user for e in current_stewards(at=self.now) if e.user.is_active]
        return self._stewards

    def managers(self) -> list:
        if self._managers is None:
            self._managers = list(
                User.objects.filter(is_project_manager=True, is_active=True, is_staff=True)
            )
        return self._managers

    def due_text(self, due: datetime.datetime, calendar: WorkCalendar) -> tuple[str, str]:
        """(working time remaining, the deadline in the current time zone) for a message."""
        key = (due, id(calendar))
        if key not in self._due_texts:
            self._due_texts[key] = (
                worktime.describe_remaining(self.now, due, calendar),
                # As the template's date filter wrote it.
                dateformat.format(timezone.localtime(due), "D j M Y H:i T"),
            )
        return self._due_texts[key]

    def window(self, policy_clock: str) -> datetime.timedelta:
        percent = self.policies.nudge_percent[policy_clock]
        return self.policies.target(policy_clock) * max(100 - percent, 0) / 100

    def cutoff(self, policy_clock: str, calendars: Iterable[WorkCalendar]) -> datetime.datetime:
        """Every row whose near instant has come has its deadline at or before this."""
        window = self.window(policy_clock)
        if not window:
            return self.now
        return max(
            [self.now] + [worktime.add_working_time(self.now, window, cal) for cal in calendars]
        )

    def threshold(self, *, started, due, policy_clock: str, calendar: WorkCalendar) -> str | None:
        if due <= self.now:
            return BREACH
        percent = self.policies.nudge_percent[policy_clock]
        if percent >= 100 or started is None or started >= due:
            return None
        if self.now >= nudge_instant(started=started, due=due, percent=percent, calendar=calendar):
            return NEAR
        return None


@dataclass(frozen=True)
class _Clock:
    """How one clock is read and routed."""

    policy: str
    obj_type: str
    due_field: str
    queryset: Callable[[], QuerySet]
    label: Callable[[object], str]
    started: Callable[[object], datetime.datetime | None]
    calendars: Callable[[_Sweep], list[WorkCalendar]]
    row_calendar: Callable[[_Sweep, object], WorkCalendar]
    owners: Callable[[object], list]
    prefetch: Callable[[list], None] = lambda rows: None
    # A deadline missed in or because of reduced capacity: its nudges go to the owner only.
    excused: Callable[[object], bool] = lambda row: False


# --- requests ------------------------------------------------------------------------------------


def _requests_open(where: Q) -> Callable[[], QuerySet]:
    def queryset() -> QuerySet:
        return SupportRequest.objects.filter(where).select_related("community", "assignee")

    return queryset


def _request_calendars(sweep: _Sweep) -> list[WorkCalendar]:
    return [sweep.calendar(timezone_name=tz, incident=False) for tz in sweep.community_timezones()]


def _request_row_calendar(sweep: _Sweep, r) -> WorkCalendar:
    return sweep.calendar(
        timezone_name=clock_timezone(r.community), incident=r.category == "incident"
    )


def _request_owners(r) -> list:
    return [r.assignee] if r.assignee_id and r.assignee.is_active else []


def _awaiting_since(r) -> datetime.datetime | None:
    # Mirrors slo.services: the first response is awaited since receipt, a later answer since
    # the representative's earliest unanswered message.
    if r.first_responded_at is None:
        return r.received_at
    return r.unanswered_since or r.received_at


TRIAGE = _Clock(
    policy=Clock.TRIAGE,
    obj_type="request",
    due_field="triage_due_at",
    queryset=_requests_open(Q(status="new", triaged_at__isnull=True)),
    label=lambda r: "triage",
    started=lambda r: r.received_at,
    calendars=_request_calendars,
    row_calendar=_request_row_calendar,
    owners=_request_owners,
    excused=lambda r: r.triage_excused,
)

RESPONSE = _Clock(
    policy=Clock.FIRST_RESPONSE,
    obj_type="request",
    due_field="response_due_at",
    queryset=_requests_open(Q(status__in=["new", "triaged", "planned"])),
    label=lambda r: "first_response" if r.first_responded_at is None else "response",
    started=_awaiting_since,
    calendars=_request_calendars,
    row_calendar=_request_row_calendar,
    owners=_request_owners,
    excused=lambda r: r.response_excused,
)


# --- incidents -----------------------------------------------------------------------------------


def _incidents_open() -> QuerySet:
    return Incident.objects.filter(state__in=["triggered", "acknowledged"])


def _prefetch_incident_roles(rows: list) -> None:
    roles: dict[int, list] = {}
    assignments = (
        RoleAssignment.objects.filter(
            incident__in=rows,
            ended_at__isnull=True,
            role__in=[RoleAssignment.Role.LIAISON, RoleAssignment.Role.COMMANDER],
        )
        .select_related("user")
        .order_by("incident_id", "-role", "pk")  # liaison before commander
    )
    for a in assignments:
        roles.setdefault(a.incident_id, []).append(a.user)
    for incident in rows:
        incident._sweep_owners = [u for u in roles.get(incident.pk, []) if u.is_active]


INCIDENT_UPDATE = _Clock(
    policy=Clock.INCIDENT_UPDATE,
    obj_type="incident",
    due_field="next_update_due_at",
    queryset=_incidents_open,
    label=lambda i: "incident_update",
    started=lambda i: i.last_update_sent_at or i.declared_at,
    calendars=lambda sweep: [sweep.calendar(timezone_name=None, incident=True)],
    row_calendar=lambda sweep, i: sweep.calendar(timezone_name=None, incident=True),
    owners=lambda i: i._sweep_owners,
    prefetch=_prefetch_incident_roles,
)

CLOCKS = (TRIAGE, RESPONSE, INCIDENT_UPDATE)


# --- the sweep -----------------------------------------------------------------------------------


def slo_sweep(*, now: datetime.datetime | None = None, batch_size: int = BATCH_SIZE) -> SweepResult:
    """Nudge about every near or past triage, response and incident-update deadline, once."""
    now = now or timezone.now()
    sweep = _Sweep(now=now, policies=load_policies())
    result = SweepResult()
    for clock in CLOCKS:
        try:
            _sweep_clock(clock, sweep, result, batch_size)
        except Exception as exc:  # one clock failing must not stop the others
            logger.exception("SLO sweep: the %s clock failed", clock.policy)
            result.counts["errors"] += 1
            result.errors.append(f"{clock.policy}: {type(exc).__name__}: {exc}")
    if result.errors:
        logger.error("SLO sweep finished with %s error(s): %s", len(result.errors), result.errors)
    return result


def _sweep_clock(clock: _Clock, sweep: _Sweep, result: SweepResult, batch_size: int) -> None:
    due_field = clock.due_field
    cutoff = sweep.cutoff(clock.policy, clock.calendars(sweep))
    after: tuple[datetime.datetime, int] | None = None
    while True:
        with transaction.atomic():
            rows_qs = clock.queryset().filter(**{f"{due_field}__lte": cutoff})
            if after is not None:
                rows_qs = rows_qs.filter(
                    Q(**{f"{due_field}__gt": after[0]})
                    | Q(**{due_field: after[0], "pk__gt": after[1]})
                )
            rows = list(
                rows_qs.select_for_update(skip_locked=True, of=("self",)).order_by(due_field, "pk")[
                    :batch_size
                ]
            )
            if not rows:
                return
            result.counts["rows"] += len(rows)
            clock.prefetch(rows)
            _process_batch(clock, sweep, result, rows)
        after = (getattr(rows[-1], due_field), rows[-1].pk)
        if len(rows) < batch_size:
            return


def _process_batch(clock: _Clock, sweep: _Sweep, result: SweepResult, rows: list) -> None:
    """Decide each row, then claim the whole batch's messages at once (the caller's transaction
    holds the rows' locks, so the claims commit with the decisions). The keys come first and
    only the nudges with a key still free are written out: a row stays due until its clock
    stops, so most rows of a sweep were nudged by an earlier one."""
    planned: list[Nudge] = []
    for row in rows:
        try:
            nudge = _decide(clock, sweep, row)
            if nudge is not None:
                planned.append(nudge)
        except Exception as exc:  # noqa: BLE001 - one broken row must not stop the sweep
            _row_failed(result, clock, row, exc)
    keys = [key for nudge in planned for key, _ in _recipients(nudge)]
    claimed = set(Notification.objects.filter(key__in=keys).values_list("key", flat=True))
    todo: list[tuple[Nudge, list[dict]]] = []
    for nudge in planned:
        if all(key in claimed for key, _ in _recipients(nudge)):
            continue
        try:
            unclaimed = [m for m in _messages(nudge, sweep) if m["key"] not in claimed]
        except Exception as exc:  # noqa: BLE001
            _row_failed(result, clock, nudge.obj, exc)
            continue
        if unclaimed:
            todo.append((nudge, unclaimed))
    if not todo:
        return
    try:
        outcomes = notify_many(messages=[m for _, messages in todo for m in messages])
    except Exception:  # find the row at fault; the others are claimed
        logger.warning(
            "SLO sweep: claiming a batch of %s %s rows (%s) failed; claiming row by row",
            len(todo),
            clock.obj_type,
            clock.policy,
            exc_info=True,
        )
        for nudge, messages in todo:
            try:
                with transaction.atomic():
                    _count(result, nudge, notify_many(messages=messages))
            except Exception as exc:  # noqa: BLE001
                _row_failed(result, clock, nudge.obj, exc)
        return
    position = 0
    for nudge, messages in todo:
        _count(result, nudge, outcomes[position : position + len(messages)])
        position += len(messages)


def _count(result: SweepResult, nudge: Nudge, outcomes: list) -> None:
    """Count the notifications actually claimed (None: the key was taken meanwhile)."""
    result.counts[f"{nudge.clock}:{nudge.threshold}"] += sum(n is not None for n in outcomes)


def _row_failed(result: SweepResult, clock: _Clock, row, exc: Exception) -> None:
    logger.exception("SLO sweep: %s %s (%s) failed", clock.obj_type, row.pk, clock.policy)
    result.counts["errors"] += 1
    result.errors.append(f"{clock.policy}:{clock.obj_type}:{row.pk}: {type(exc).__name__}: {exc}")


def _decide(clock: _Clock, sweep: _Sweep, row) -> Nudge | None:
    due = getattr(row, clock.due_field)
    calendar = clock.row_calendar(sweep, row)
    threshold = sweep.threshold(
        started=clock.started(row), due=due, policy_clock=clock.policy, calendar=calendar
    )
    if threshold is None:
        return None
    excused = clock.excused(row)
    people = list(clock.owners(row)) or list(sweep.stewards())
    if threshold == BREACH and not excused:
        # An excused miss (reduced capacity) goes to the assigned steward only: no escalation.
        people += sweep.managers()
    unique = list({u.pk: u for u in people}.values())
    if not unique:
        logger.warning(
            "SLO sweep: nobody to nudge about %s %s (%s): no owner, nobody on duty",
            clock.obj_type,
            row.pk,
            clock.policy,
        )
    return Nudge(
        clock=clock.label(row),
        threshold=threshold,
        obj_type=clock.obj_type,
        obj=row,
        due=due,
        calendar=calendar,
        recipients=tuple(unique),
        excused=excused,
    )


CLOCK_NAMES = {
    "triage": "Triage",
    "first_response": "First response",
    "response": "Response",
    "incident_update": "Community update",
}


def _recipients(nudge: Nudge) -> list[tuple[str, object | None]]:
    """(key, user) of each notification of a nudge: one per person, and one chat post (user
    None) when a webhook is set."""
    out = [(nudge.key(f"user:{u.pk}"), u) for u in nudge.recipients]
    if settings.SLACK_WEBHOOK_URL and not nudge.excused:
        out.append((nudge.key("webhook"), None))
    return out


def _messages(nudge: Nudge, sweep: _Sweep) -> list[dict]:
    """notify() keyword arguments for each recipient, plus one chat post when a webhook is set."""
    obj = nudge.obj
    is_request = nudge.obj_type == "request"
    url = sweep.urls[nudge.obj_type](obj.pk)
    clock_name = CLOCK_NAMES.get(nudge.clock, nudge.clock)
    remaining, due_text = sweep.due_text(nudge.due, nudge.calendar)
    if nudge.threshold == BREACH and nudge.excused:
        subject = f"[{obj.reference}] {clock_name} missed (reduced capacity): {_title(obj)}"
    elif nudge.threshold == BREACH:
        subject = f"[{obj.reference}] {clock_name} overdue: {_title(obj)}"
    else:
        subject = f"[{obj.reference}] {clock_name} due soon ({remaining}): {_title(obj)}"
    common = {
        "kind": f"slo_{nudge.threshold}",
        "subject": subject,
        "body": _body(nudge, clock_name=clock_name, remaining=remaining, due=due_text),
        "url": url,
        "support_request": obj if is_request else None,
        "incident": None if is_request else obj,
    }
    messages = []
    for key, user in _recipients(nudge):
        if user is None:
            messages.append({**common, "key": key, "channel": Notification.Channel.WEBHOOK})
        else:
            messages.append({**common, "key": key, "user": user})
    return messages


# get_FOO_display() rebuilds a dict of every choice on each call.
_STATUS_LABELS = dict(SupportRequest.Status.choices)
_STATE_LABELS = dict(Incident.State.choices)


def _body(nudge: Nudge, *, clock_name: str, remaining: str, due: str) -> str:
    """The nudge's text. Plain Python rather than a template: a sweep writes one per due row
    (a thousand after an outage), and the template engine cost about a millisecond each."""
    obj = nudge.obj
    is_request = nudge.obj_type == "request"
    breach = nudge.threshold == BREACH
    lines = [
        f"{clock_name} is {'overdue' if breach else 'due soon'} for {obj.reference}: {_title(obj)}",
        "",
    ]
    if is_request:
        assignee = (
            obj.assignee.display_name if obj.assignee_id else "nobody yet (you are on support duty)"
        )
        lines += [
            f"Community: {obj.community.name}",
            f"Status: {_STATUS_LABELS.get(obj.status, obj.status)}",
            f"Assignee: {assignee}",
        ]
    else:
        lines.append(f"State: {_STATE_LABELS.get(obj.state, obj.state)}")
    lines += [f"Due: {due} ({remaining})", ""]
    if breach and nudge.excused:
        lines.append(
            "The objective has been missed (reduced capacity): excused, and you alone are told, "
            "nobody is escalated to. Answer when you can."
        )
    elif breach:
        whom = "to the representative" if is_request else "to the community"
        lines.append(
            "The objective has been missed. It is not a contract: say where things stand "
            f"{whom} as soon as you can."
        )
    elif not is_request:
        lines.append("Send the community an update: current state, what was tried, next steps.")
    elif nudge.clock == "triage":
        lines.append("Read it, decide whether it is an incident, and categorise it.")
    else:
        lines.append("Send the representative what you have found so far.")
    return "\n".join(lines)


def _title(obj) -> str:
    return getattr(obj, "subject", None) or getattr(obj, "title", "")
