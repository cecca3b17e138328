"""Paging: nobody misses an incident (DOMAIN.md, SLO table "incident acknowledgement", and the
severity calibration paragraph).

An incident opened by an alert, by hub events or by declaration pages the on-duty stewards at
once, on every channel they have (notifications.channels.paging_channels_for_user), with a
signed one-click acknowledge link. While nobody acknowledges, the severity's escalation policy
(EscalationPolicy / EscalationStep, admin-edited data) runs on: by default after 15 working
minutes the stewards again and the engineering channel, after 30 the project managers.
Outside working time the first page still goes out, but escalation waits for working time
(the minutes are working minutes), unless the policy escalates out of hours, which only an
outage's may. Acknowledging clears `next_page_at`, which stops the chain. Every page and
escalation is an internal timeline entry.

Exactly once: the first page is claimed inside the declaring transaction; later steps are run
by `incident_paging_sweep` (beat, every minute) on the incident row locked with
`select_for_update(skip_locked=True)`, re-checked after the lock, and `page_steps_done`
advances in the same transaction as the notification claims and the timeline entry. A second
beat or worker either skips the locked row or finds the step done; the notification keys
(`page:<incident>:<step>:...`) are the final guard.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from incidents.models import EscalationPolicy, EscalationStep, Incident, TimelineEntry
from notifications.channels import paging_channels_for_user
from notifications.models import Notification
from notifications.services import absolute_url, notify_many
from rotation.services import current_stewards
from slo.services import incident_calendar
from supportdesk import worktime
from supportdesk.errors import DomainError
from supportdesk.zones import format_utc

logger = logging.getLogger(__name__)

Target = EscalationStep.Target
ACK_SALT = "incidents.page-acknowledge"
ACK_LINK_MAX_AGE = datetime.timedelta(days=7)
SWEEP_BATCH = 200

# Used when an admin deleted a severity's policy: paging must never silently stop.
DEFAULT_STEPS = (
    (0, Target.STEWARDS),
    (15, Target.STEWARDS),
    (15, Target.ENGINEERING),
    (30, Target.MANAGERS),
)


@dataclass(frozen=True)
class Plan:
    """A severity's policy as this incident runs it."""

    out_of_hours: bool
    steps: tuple[EscalationStep, ...]


def plan_for(incident: Incident) -> Plan:
    policy = (
        EscalationPolicy.objects.filter(severity=incident.severity)
        .prefetch_related("steps")
        .first()
    )
    if policy is None:
        return Plan(
            out_of_hours=False,
            steps=tuple(EscalationStep(after_minutes=m, target=t) for m, t in DEFAULT_STEPS),
        )
    out_of_hours = policy.escalate_out_of_hours and incident.severity == Incident.Severity.OUTAGE
    return Plan(out_of_hours=out_of_hours, steps=tuple(policy.steps.all()))


def step_due_at(incident: Incident, step: EscalationStep, *, plan: Plan, calendar):
    """When a step is due: at once for 0 minutes; else after that many working minutes (wall
    clock minutes when the policy escalates out of hours)."""
    minutes = datetime.timedelta(minutes=step.after_minutes)
    if not minutes:
        return incident.declared_at
    if plan.out_of_hours:
        return incident.declared_at + minutes
    return worktime.add_working_time(incident.declared_at, minutes, calendar)


# --- the acknowledge link ------------------------------------------------------------------------


def ack_token(*, incident: Incident, user) -> str:
    return signing.dumps({"i": incident.pk, "u": user.pk}, salt=ACK_SALT, compress=True)


def ack_path(*, incident: Incident, user) -> str:
    return reverse(
        "incidents:page_ack", args=[incident.pk, ack_token(incident=incident, user=user)]
    )


def check_ack_token(*, incident_id: int, token: str) -> None:
    """Raise DomainError unless `token` is a live acknowledge link for this incident."""
    try:
        payload = signing.loads(token, salt=ACK_SALT, max_age=int(ACK_LINK_MAX_AGE.total_seconds()))
    except signing.SignatureExpired:
        raise DomainError(
            gettext("This acknowledge link has expired; use the incident page.")
        ) from None
    except signing.BadSignature:
        raise DomainError(gettext("This acknowledge link is not valid.")) from None
    if not isinstance(payload, dict) or payload.get("i") != incident_id:
        raise DomainError(gettext("This acknowledge link is for another incident."))


# --- running the policy --------------------------------------------------------------------------


def paging_start(incident: Incident, *, at: datetime.datetime) -> int:
    """Called when an incident opens (in its transaction): the first page goes out at once and
    the rest of the chain is scheduled. Returns how many notifications were claimed."""
    return _run_due_steps(incident, now=at)


def incident_paging_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Run every escalation step that has come due on an unacknowledged incident (beat, every
    minute). Reads through the partial index on triggered incidents; idempotent."""
    now = now or timezone.now()
    counts = {"incidents": 0, "notifications": 0, "errors": 0}
    ids = list(
        Incident.objects.filter(state=Incident.State.TRIGGERED, next_page_at__lte=now)
        .order_by("next_page_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for pk in ids:
        try:
            with transaction.atomic():
                incident = (
                    Incident.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(pk=pk, state=Incident.State.TRIGGERED, next_page_at__lte=now)
                    .first()
                )
                if incident is None:  # another worker has it, or it was acknowledged
                    continue
                counts["incidents"] += 1
                counts["notifications"] += _run_due_steps(incident, now=now)
        except Exception:  # one incident must not stop the others
            logger.exception("paging sweep: incident %s failed", pk)
            counts["errors"] += 1
    return counts


def _run_due_steps(incident: Incident, *, now: datetime.datetime) -> int:
    """Run the steps due by `now` (the caller holds the row lock or created the row in this
    transaction), then store how far the chain got and when it continues."""
    plan = plan_for(incident)
    calendar = incident_calendar()
    done = incident.page_steps_done
    claimed = 0
    while done < len(plan.steps):
        step = plan.steps[done]
        if step_due_at(incident, step, plan=plan, calendar=calendar) > now:
            break
        claimed += _page(incident, step=step, index=done, now=now)
        done += 1
    incident.page_steps_done = done
    incident.next_page_at = (
        step_due_at(incident, plan.steps[done], plan=plan, calendar=calendar)
        if done < len(plan.steps)
        else None
    )
    Incident.objects.filter(pk=incident.pk).update(
        page_steps_done=incident.page_steps_done, next_page_at=incident.next_page_at
    )
    return claimed


def _recipients(incident: Incident, target: str, *, now) -> list:
    if target == Target.STEWARDS:
        people = [e.user for e in current_stewards(at=now) if e.user.is_active]
        people = [u for u in people if u.pk != incident.declared_by_id] or people
        if not people:
            logger.warning("%s: nobody on duty; paging every engineer", incident.reference)
            return _engineers()
        return people
    if target == Target.ENGINEERING:
        return _engineers()
    return list(User.objects.filter(is_project_manager=True, is_staff=True, is_active=True))


def _engineers() -> list:
    return list(User.objects.filter(engineer__is_active=True, is_active=True).order_by("pk"))


def _page(incident: Incident, *, step: EscalationStep, index: int, now) -> int:
    chat = step.by_chat and bool(settings.SLACK_WEBHOOK_URL)
    if step.target == Target.ENGINEERING and chat:
        people = []  # the channel is the team chat itself
    else:
        people = _recipients(incident, step.target, now=now)
    hubs = ", ".join(h.name for h in incident.hubs.all())
    war_room = reverse("incidents:detail", args=[incident.pk])
    if step.after_minutes:
        subject = (
            f"[{incident.reference}] ESCALATED: not acknowledged after {step.after_minutes} "
            f"working minutes: {incident.title}"
        )
    else:
        subject = (
            f"[{incident.reference}] PAGE ({incident.get_severity_display()}): {incident.title}"
        )
    summary = (
        f"{incident.get_severity_display()} on {hubs}: {incident.get_symptom_display().lower()} "
        f"({incident.get_detected_by_display().lower()}, "
        f"{format_utc(incident.declared_at)})."
    )
    messages = []
    for user in people:
        ack = ack_path(incident=incident, user=user)
        body = (
            f"{summary}\n\nAcknowledge (one click, signed in): {absolute_url(ack)}\n"
            f"War room: {absolute_url(war_room)}"
        )
        for channel in paging_channels_for_user(user=user, email=step.by_email, in_app=step.in_app):
            messages.append(
                {
                    "key": f"page:{incident.pk}:{index}:user:{user.pk}:{channel}",
                    "kind": "incident_page",
                    "subject": subject,
                    "body": body,
                    "user": user,
                    "channel": channel,
                    # In the app the link itself acknowledges; the e-mail carries both links.
                    "url": ack if channel == Notification.Channel.IN_APP else war_room,
                    "incident": incident,
                }
            )
    if chat:
        messages.append(
            {
                "key": f"page:{incident.pk}:{index}:chat",
                "kind": "incident_page",
                "subject": subject,
                "body": f"{summary}\nAcknowledge from the war room.",
                "channel": Notification.Channel.WEBHOOK,
                "url": war_room,
                "incident": incident,
            }
        )
    claimed = [n for n in notify_many(messages=messages) if n is not None]
    names = ", ".join(u.display_name for u in people) or "nobody"
    ways = sorted({n.get_channel_display().lower() for n in claimed})
    who = step.get_target_display().lower()
    if step.after_minutes:
        text = (
            f"Not acknowledged after {step.after_minutes} working minutes: escalated to {who} "
            f"({names})"
        )
    else:
        text = f"Paged {who} ({names})"
    if ways:
        text += f" by {', '.join(ways)}"
    TimelineEntry.objects.create(
        incident=incident,
        kind=TimelineEntry.Kind.PAGE,
        body=text + ".",
        occurred_at=now,
        is_public=False,
    )
    return len(claimed)
