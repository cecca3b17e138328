"""Rotation hand-over (beat, hourly): the digest for the stewards who join and leave, and the
"now on duty" post when the team changes.

- The working day before a change of team (a regular shift change, or one made by an override:
  someone away, back, or a swap; see rotation.services.shift_changes_between), the joining and
  the leaving stewards get a digest built from the database: open requests and incidents, the
  deadlines that fall on the new team's first working day, and everything overdue. A change
  announced too late for that (an override entered on the day) gets its digest on the day.
- On the day of the change: who is now on duty, to the chat webhook if one is configured and by
  e-mail to the whole team.

Working days are weekdays that are not closed dates (reduced-capacity days are working days:
the team is less strict then, not absent). Days are the rotation's days
(rotation.services.rotation_today). Every message is a Notification claimed under a key naming
the change day, so hourly runs, two workers or a re-run send each once.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident
from notifications.models import Notification
from notifications.services import notify
from rotation.services import ShiftChange, roster, rotation_today, shift_changes_between
from slo.services import calendar_for
from supportdesk import worktime
from supportdesk.worktime import WorkCalendar
from tickets.models import SupportRequest
from tickets.ordering import due_order

ONE_DAY = datetime.timedelta(days=1)
DIGEST_LIMIT = 50


@dataclass
class DeadlineItem:
    reference: str
    title: str
    clock: str
    due: datetime.datetime
    url: str
    assignee: str = ""
    remaining: str = ""  # "3 h left", "overdue by 2 working days"


@dataclass
class HandoverDigest:
    change: ShiftChange
    first_working_day: datetime.date  # the new team's first working day
    generated_at: datetime.datetime
    calendar: WorkCalendar
    open_request_count: int = 0
    open_requests: list = field(default_factory=list)  # the first DIGEST_LIMIT, soonest due
    open_incidents: list = field(default_factory=list)
    due_on_first_day: list[DeadlineItem] = field(default_factory=list)
    overdue: list[DeadlineItem] = field(default_factory=list)


def is_working_day(day: datetime.date, calendar: WorkCalendar) -> bool:
    return day.weekday() < 5 and day not in calendar.closed_dates


def next_working_day(day: datetime.date, calendar: WorkCalendar) -> datetime.date:
    """The first working day after `day`."""
    day += ONE_DAY
    while not is_working_day(day, calendar):
        day += ONE_DAY
    return day


def working_day_on_or_after(day: datetime.date, calendar: WorkCalendar) -> datetime.date:
    return day if is_working_day(day, calendar) else next_working_day(day, calendar)


def _day_window(
    day: datetime.date, calendar: WorkCalendar
) -> tuple[datetime.datetime, datetime.datetime]:
    zone = calendar.zone
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(day + ONE_DAY, datetime.time.min, tzinfo=zone)
    return start, end


def handover_digest(
    *,
    change: ShiftChange,
    now: datetime.datetime | None = None,
    calendar: WorkCalendar | None = None,
    limit: int = DIGEST_LIMIT,
) -> HandoverDigest:
    """What the incoming and outgoing stewards need to know, read from the database. Each list
    is one indexed query, capped at `limit`."""

    now = now or timezone.now()
    calendar = calendar or calendar_for(incident=True)
    first_day = working_day_on_or_after(change.day, calendar)
    window = _day_window(first_day, calendar)
    digest = HandoverDigest(
        change=change, first_working_day=first_day, generated_at=now, calendar=calendar
    )

    open_requests = SupportRequest.objects.filter(status__in=SupportRequest.OPEN_STATUSES)
    digest.open_request_count = open_requests.count()
    digest.open_requests = list(
        open_requests.select_related("community", "assignee").order_by(*due_order(), "pk")[:limit]
    )
    digest.open_incidents = list(
        Incident.objects.filter(state__in=Incident.OPEN_STATES).order_by("-declared_at")[:limit]
    )

    triage = SupportRequest.objects.filter(status="new", triaged_at__isnull=True)
    waiting = open_requests
    updates = Incident.objects.filter(state__in=Incident.OPEN_STATES)
    for bucket, condition in (
        (digest.due_on_first_day, {"__range": window}),
        (digest.overdue, {"__lt": now}),
    ):
        ((lookup, value),) = condition.items()
        items = []
        for r in (
            triage.filter(**{f"triage_due_at{lookup}": value})
            .select_related("assignee")
            .order_by("triage_due_at")[:limit]
        ):
            items.append(_request_item(r, "Triage", r.triage_due_at))
        for r in (
            waiting.filter(**{f"response_due_at{lookup}": value})
            .select_related("assignee")
            .order_by("response_due_at")[:limit]
        ):
            clock = "First response" if r.first_responded_at is None else "Response"
            items.append(_request_item(r, clock, r.response_due_at))
        for i in updates.filter(**{f"next_update_due_at{lookup}": value}).order_by(
            "next_update_due_at"
        )[:limit]:
            items.append(
                DeadlineItem(
                    reference=i.reference,
                    title=i.title,
                    clock="Community update",
                    due=i.next_update_due_at,
                    url=reverse("incidents:detail", args=[i.pk]),
                )
            )
        items = sorted(items, key=lambda item: item.due)[:limit]
        for item in items:
            item.remaining = worktime.describe_remaining(now, item.due, calendar)
        bucket.extend(items)
    return digest


def _request_item(r, clock: str, due: datetime.datetime) -> DeadlineItem:
    return DeadlineItem(
        reference=r.reference,
        title=r.subject,
        clock=clock,
        due=due,
        url=reverse("tickets:desk_request", args=[r.pk]),
        assignee=r.assignee.display_name if r.assignee_id else "",
    )


def _users(engineers) -> list:
    return [e.user for e in engineers if e.user.is_active]


def _names(engineers) -> str:
    names = [e.roster_name for e in engineers]
    return " and ".join(names) if names else "nobody"


@transaction.atomic
def handover_notify_due(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Send the hand-over digests and "now on duty" posts that are due today. Idempotent."""
    now = now or timezone.now()
    today = rotation_today(at=now)
    calendar = calendar_for(incident=True)
    counts = {"digests": 0, "on_duty": 0}

    # Changes whose working day before is today: every day up to the next working day.
    upcoming: list[ShiftChange] = []
    if is_working_day(today, calendar):
        upcoming = shift_changes_between(today + ONE_DAY, next_working_day(today, calendar))
    changes_today = shift_changes_between(today, today)

    for change in upcoming + changes_today:  # today's: a late change still gets its digest
        people = _users(change.joining) + _users(change.leaving)
        if not people:
            continue
        digest = None
        for user in {u.pk: u for u in people}.values():
            key = f"rotation:handover:{change.day.isoformat()}:user:{user.pk}"
            if Notification.objects.filter(key=key).exists():
                continue
            digest = digest or handover_digest(change=change, now=now, calendar=calendar)
            if _send_digest(digest, user=user, key=key):
                counts["digests"] += 1

    for change in changes_today:
        counts["on_duty"] += _announce_on_duty(change)
    return counts


def _send_digest(digest: HandoverDigest, *, user, key: str) -> bool:
    change = digest.change
    joining = any(e.user_id == user.pk for e in change.joining)
    context = {
        "digest": digest,
        "user": user,
        "joining": joining,
        "joining_names": _names(change.joining),
        "leaving_names": _names(change.leaving),
        "team_names": _names(change.after),
        "zone": digest.calendar.zone,
    }
    subject = (
        f"Support hand-over on {change.day:%a %d %b}: "
        f"{_names(change.joining)} joining, {_names(change.leaving)} leaving"
    )
    return (
        notify(
            key=key,
            kind="handover",
            subject=subject,
            body=render_to_string("notifications/email/handover_digest.txt", context).strip(),
            user=user,
            url=reverse("tickets:queue"),
        )
        is not None
    )


def _announce_on_duty(change: ShiftChange) -> int:
    day = change.day.isoformat()
    subject = f"Now on support duty: {_names(change.after)}"
    body = render_to_string(
        "notifications/email/on_duty.txt",
        {
            "change": change,
            "team_names": _names(change.after),
            "joining_names": _names(change.joining),
            "leaving_names": _names(change.leaving),
        },
    ).strip()
    url = reverse("rotation:schedule")
    sent = 0
    if settings.SLACK_WEBHOOK_URL:
        sent += bool(
            notify(
                key=f"rotation:on_duty:{day}:webhook",
                kind="on_duty",
                subject=subject,
                body=body,
                channel=Notification.Channel.WEBHOOK,
                url=url,
            )
        )
    for user in _users(roster()):
        sent += bool(
            notify(
                key=f"rotation:on_duty:{day}:user:{user.pk}",
                kind="on_duty",
                subject=subject,
                body=body,
                user=user,
                url=url,
            )
        )
    return sent
