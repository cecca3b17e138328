"""The time-box sweep (DOMAIN.md, SLO table; the rule and the countdown pages show are in
slo/timebox.py): every minute, with the SLO sweep (desk/tasks.py), each time-box that ran out
nudges the steward once, with the two actions as buttons on the page the nudge links to; for an
incident still open, the team and the project manager are alerted automatically
(incidents/services/lifecycle.py's incident_escalate, which is idempotent).

Once, whatever the sweeps do: each row is locked with skip_locked and stamped
(request.timebox_expired_at, incident.escalated_at) in the transaction that claims the
notifications, whose keys are the final guard. It reads requests and incidents and drives
their services, so it lives here, at the top of the layers."""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident
from incidents.selectors import current_roles
from incidents.services.lifecycle import incident_escalate
from notifications.services import absolute_url, notify_many
from rotation.services import current_stewards
from tickets.models import SupportRequest

logger = logging.getLogger(__name__)

BATCH = 200


def timebox_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    counts = {"requests": 0, "incidents": 0, "errors": 0}
    for pk in _due_request_ids(now):
        try:
            with transaction.atomic():
                counts["requests"] += _expire_request(pk, now=now)
        except Exception:  # one row must not stop the others
            logger.exception("time-box sweep: request %s failed", pk)
            counts["errors"] += 1
    for pk in _due_incident_ids(now):
        try:
            with transaction.atomic():
                counts["incidents"] += _expire_incident(pk, now=now)
        except Exception:
            logger.exception("time-box sweep: incident %s failed", pk)
            counts["errors"] += 1
    return counts


def _due_requests(now):
    return (
        SupportRequest.objects.filter(
            status="triaged",
            timebox_expired_at__isnull=True,
            timebox_due_at__lte=now,
            engineering_issue_url="",
        )
        .exclude(category="incident")
        .order_by("timebox_due_at", "pk")
    )


def _due_request_ids(now) -> list[int]:
    return list(_due_requests(now).values_list("pk", flat=True)[:BATCH])


def _stewards(now) -> list:
    return [e.user for e in current_stewards(at=now) if e.user.is_active]


def _expire_request(pk: int, *, now) -> int:
    r = (
        _due_requests(now)
        .filter(pk=pk)
        .select_related("assignee", "community")
        .select_for_update(skip_locked=True, of=("self",))
        .first()
    )
    if r is None:  # another worker has it, or it is done already
        return 0
    SupportRequest.objects.filter(pk=r.pk).update(timebox_expired_at=now)
    people = [r.assignee] if r.assignee_id and r.assignee.is_active else _stewards(now)
    page = reverse("tickets:desk_request", args=[r.pk])
    declare = f"{reverse('incidents:declare')}?request={r.pk}"
    body = (
        f"The 30-minute time-box of {r.reference} ({r.subject}, {r.community.name}) ran out "
        "without a fix. Choose the next step:\n\n"
        f"- Open an engineering issue: {absolute_url(page)}#issue\n"
        f"- Alert the team and the project manager (declare an incident): "
        f"{absolute_url(declare)}"
    )
    due = r.timebox_due_at.astimezone(datetime.UTC).isoformat()
    messages = [
        {
            "key": f"timebox:request:{r.pk}:{due}:user:{user.pk}",
            "kind": "timebox_expired",
            "subject": f"[{r.reference}] Time-box over: open an issue or alert the team",
            "body": body,
            "user": user,
            "url": f"{page}#timebox",
            "support_request": r,
        }
        for user in people
    ]
    return sum(n is not None for n in notify_many(messages=messages))


def _due_incident_ids(now) -> list[int]:
    return list(
        Incident.objects.filter(
            state__in=Incident.OPEN_STATES, escalated_at__isnull=True, escalation_due_at__lte=now
        )
        .order_by("escalation_due_at", "pk")
        .values_list("pk", flat=True)[:BATCH]
    )


def _expire_incident(pk: int, *, now) -> int:
    incident = (
        Incident.objects.filter(
            pk=pk,
            state__in=Incident.OPEN_STATES,
            escalated_at__isnull=True,
            escalation_due_at__lte=now,
        )
        .select_for_update(skip_locked=True, of=("self",))
        .first()
    )
    if incident is None:
        return 0
    # Unresolved after 30 minutes: the team and the project manager, automatically.
    incident_escalate(incident=incident, by=None)
    roles = current_roles(incident=incident)
    people = [roles.commander] if roles.commander else _stewards(now)
    page = reverse("incidents:detail", args=[incident.pk])
    messages = [
        {
            "key": f"timebox:incident:{incident.pk}:user:{user.pk}",
            "kind": "timebox_expired",
            "subject": f"[{incident.reference}] Time-box over: the team and the PM are alerted",
            "body": (
                f"{incident.reference} ({incident.title}) is not fixed after 30 working minutes. "
                "The engineering team and the project manager have been alerted automatically. "
                f"War room: {absolute_url(page)}"
            ),
            "user": user,
            "url": f"{page}#timebox",
            "incident": incident,
        }
        for user in people
        if user is not None and user.is_active
    ]
    notify_many(messages=messages)
    return 1
