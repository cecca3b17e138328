"""What the availability service modules share: the audit log, and the open incident that
monitoring (alerts and hub events) joins or opens through incidents' own services."""

from __future__ import annotations

import datetime

from django.utils import timezone

from availability.models import AvailabilityLog
from communities.models import Hub
from incidents.models import Incident
from incidents.rules import symptom_flags
from incidents.services import lifecycle
from tickets.rules import meets_incident_definition

OPEN_STATES = [s.value for s in Incident.OPEN_STATES]


def _log(kind: str, *, actor=None, hub=None, window=None, incident=None, detail="", **data):
    return AvailabilityLog.objects.create(
        kind=kind,
        actor=actor,
        hub=hub,
        window=window,
        incident=incident,
        detail=detail[:500],
        data=data,
        created_at=timezone.now(),
    )


def _open_incident_for(hub: Hub) -> Incident | None:
    return (
        Incident.objects.select_for_update()
        .filter(hubs=hub, state__in=OPEN_STATES)
        .order_by("-declared_at", "-pk")
        .first()
    )


def _declare_from_monitoring(
    *,
    hub: Hub,
    title: str,
    symptom: str,
    affected_users: int,
    reason: str,
    summary: str,
    impact_started_at: datetime.datetime,
    now: datetime.datetime,
) -> Incident:
    meets = meets_incident_definition(affected_users=affected_users, **symptom_flags(symptom))
    incident = lifecycle.incident_declare(
        by=None,
        hubs=[hub],
        title=title,
        symptom=symptom,
        affected_users=affected_users,
        detected_by=Incident.Detection.ALERT,
        summary=summary,
        override_reason="" if meets else reason,
        impact_started_at=min(impact_started_at, now),
        at=now,
    )
    _log(
        AvailabilityLog.Kind.INCIDENT_OPENED,
        hub=hub,
        incident=incident,
        detail=title,
        reason=reason,
    )
    return incident
