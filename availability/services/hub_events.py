"""Hub events (DOMAIN.md "Availability, alerting and status"): what hubs report about
themselves, recorded once, and the team's rule evaluated on them: "N server starts fail in a
row within M minutes on one hub" opens an incident (through incidents' own services)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from availability import messages
from availability.models import AvailabilitySettings, HubEvent, MaintenanceWindow
from availability.services.common import _declare_from_monitoring, _open_incident_for
from availability.services.hub_status import _incidents_changed
from communities.models import Hub
from incidents.models import Incident
from incidents.services import live_log
from supportdesk.errors import DomainError

# Hub events may come from machines whose clocks drift a little.
CLOCK_SKEW = datetime.timedelta(minutes=5)


@dataclass
class HubEventReceipt:
    event: HubEvent
    duplicate: bool = False
    incident: Incident | None = None
    opened_incident: bool = False
    note: str = ""


def _failure_streak(hub: Hub, event: HubEvent, config: AvailabilitySettings) -> list[HubEvent]:
    """The last `threshold` events up to this one when they are all failures not yet counted
    towards an incident and span at most the window; else []."""
    recent = list(
        HubEvent.objects.filter(hub=hub, occurred_at__lte=event.occurred_at)
        .exclude(occurred_at=event.occurred_at, pk__gt=event.pk)
        .order_by("-occurred_at", "-pk")[: config.failure_threshold]
    )
    if len(recent) < config.failure_threshold:
        return []
    if any(e.kind != HubEvent.Kind.SERVER_START_FAILED or e.incident_id for e in recent):
        return []
    window = datetime.timedelta(minutes=config.failure_window_minutes)
    if recent[0].occurred_at - recent[-1].occurred_at > window:
        return []
    return recent


@transaction.atomic
def hub_event_record(
    *,
    hub: Hub,
    kind: str,
    user: str = "",
    occurred_at: datetime.datetime | None = None,
) -> HubEventReceipt:
    """Record an event a hub reports, and evaluate the team's rule: `failure_threshold` server
    starts failing in a row (no success in between) within `failure_window_minutes` open an
    incident, unless the hub has one open already or is in maintenance. Failures that counted
    towards an incident do not count again, so one more failure after it is resolved does not
    reopen it at once."""
    now = timezone.now()
    occurred_at = occurred_at or now
    user = (user or "").strip()[:150]
    if kind not in HubEvent.Kind.values:
        raise DomainError(
            gettext("Unknown event type “%(kind)s”; expected one of: %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(HubEvent.Kind.values)},
            field="type",
        )
    if occurred_at > now + CLOCK_SKEW:
        raise DomainError(gettext("The event is in the future."), field="at")
    hub = Hub.objects.select_for_update().get(pk=hub.pk)
    existing = HubEvent.objects.filter(
        hub=hub, kind=kind, user=user, occurred_at=occurred_at
    ).first()
    if existing is not None:
        return HubEventReceipt(
            event=existing, duplicate=True, incident=existing.incident, note="Already recorded."
        )
    event = HubEvent.objects.create(
        hub=hub, kind=kind, user=user, occurred_at=occurred_at, received_at=now
    )
    receipt = HubEventReceipt(event=event)
    if kind != HubEvent.Kind.SERVER_START_FAILED:
        return receipt
    config = AvailabilitySettings.load()
    streak = _failure_streak(hub, event, config)
    if not streak:
        return receipt
    first, last = streak[-1].occurred_at, streak[0].occurred_at
    in_window = MaintenanceWindow.objects.filter(
        hubs=hub, cancelled_at__isnull=True, starts_at__lte=last, ends_at__gt=first
    ).exists()
    if in_window:
        receipt.note = f"{hub.name} is in maintenance: failures recorded, no incident opened."
        return receipt
    minutes = max(1, round((last - first).total_seconds() / 60))
    users = sorted({e.user for e in streak if e.user})
    incident = _open_incident_for(hub)
    if incident is not None:
        receipt.note = f"{incident.reference} is already open for {hub.name}."
    else:
        incident = _declare_from_monitoring(
            hub=hub,
            title=messages.failures_incident_title(hub=hub, count=len(streak)),
            symptom=Incident.Symptom.START_SERVERS,
            affected_users=len(users),
            reason=messages.failures_incident_reason(
                count=len(streak),
                minutes=minutes,
                threshold=config.failure_threshold,
                window=config.failure_window_minutes,
            ),
            summary=messages.FAILURES_SUMMARY,
            impact_started_at=first,
            now=now,
        )
        receipt.opened_incident = True
        receipt.note = f"Opened {incident.reference}."
    live_log.incident_record_alert(
        incident=incident,
        body=messages.failures_rule_matched(
            hub=hub, count=len(streak), minutes=minutes, users=users
        ),
        at=last,
    )
    HubEvent.objects.filter(pk__in=[e.pk for e in streak]).update(incident=incident)
    event.incident = incident
    receipt.incident = incident
    _incidents_changed()
    return receipt
