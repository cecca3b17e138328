"""Alertmanager alerts (DOMAIN.md "Availability, alerting and status"): integrations and their
tokens, alerts de-duplicated, grouped into one open incident per hub, suppressed during
maintenance. The incident is declared and its timeline written by incidents' own services."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from availability import messages
from availability.models import Alert, AlertIntegration, AvailabilityLog, MaintenanceWindow
from availability.services.common import (
    OPEN_STATES,
    _declare_from_monitoring,
    _log,
    _open_incident_for,
)
from availability.services.hub_status import _incidents_changed
from communities.models import Hub
from incidents.models import Incident
from incidents.services import live_log
from supportdesk.errors import DomainError

MAX_ALERTS_PER_PAYLOAD = 1000


@transaction.atomic
def alert_integration_create(
    *, name: str, hub_label: str = "hub", by=None
) -> tuple[AlertIntegration, str]:
    """A new integration and its bearer token. The token is returned once and stored hashed."""
    name = (name or "").strip()
    hub_label = (hub_label or "").strip() or "hub"
    if not name:
        raise DomainError(gettext("Give the integration a name."), field="name")
    if AlertIntegration.objects.filter(name=name).exists():
        raise DomainError(
            gettext("An integration called “%(name)s” exists already.") % {"name": name},
            field="name",
        )
    token = secrets.token_urlsafe(32)
    integration = AlertIntegration.objects.create(
        name=name[:100], hub_label=hub_label[:64], token_hash=AlertIntegration.hash_token(token)
    )
    _log(AvailabilityLog.Kind.INTEGRATION_CREATED, actor=by, detail=name, hub_label=hub_label)
    return integration, token


@dataclass(frozen=True)
class IncomingAlert:
    """One alert of an Alertmanager webhook payload (version 4), already validated."""

    status: str
    fingerprint: str
    labels: dict
    annotations: dict
    starts_at: datetime.datetime
    ends_at: datetime.datetime | None = None
    generator_url: str = ""

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "") or self.fingerprint

    @property
    def summary(self) -> str:
        return self.annotations.get("summary") or self.annotations.get("description") or ""


@dataclass
class AlertsReceipt:
    received: int = 0
    recorded: int = 0
    duplicates: int = 0
    suppressed: int = 0
    incidents_opened: list[int] = field(default_factory=list)
    incidents_updated: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "received": self.received,
            "recorded": self.recorded,
            "duplicates": self.duplicates,
            "suppressed": self.suppressed,
            "incidents_opened": self.incidents_opened,
            "incidents_updated": self.incidents_updated,
            "notes": self.notes,
        }


def _hubs_in_maintenance(hub_ids: Iterable[int], at: datetime.datetime) -> set[int]:
    return set(
        MaintenanceWindow.hubs.through.objects.filter(
            hub_id__in=list(hub_ids),
            maintenancewindow__cancelled_at__isnull=True,
            maintenancewindow__starts_at__lte=at,
            maintenancewindow__ends_at__gt=at,
        ).values_list("hub_id", flat=True)
    )


def _safe_link(url: str) -> str:
    return url if url.startswith(("https://", "http://")) else ""


@transaction.atomic
def alerts_receive(*, integration: AlertIntegration, alerts: list[IncomingAlert]) -> AlertsReceipt:
    """Record a batch of alerts from one integration.

    - An alert already recorded (same fingerprint, status and start) is a replay: skipped.
    - The hub comes from the integration's label (default "hub"); an alert without a known hub
      is recorded, with a note, and opens nothing.
    - A firing alert joins the hub's open incident (whoever opened it) or opens one, detected
      by alert; inside one of the hub's maintenance windows it is recorded only.
    - A resolved alert is written to the incident its firing alert joined; it does not resolve
      the incident: a person verifies that service is back."""
    now = timezone.now()
    receipt = AlertsReceipt(received=len(alerts))
    if len(alerts) > MAX_ALERTS_PER_PAYLOAD:
        raise DomainError(
            gettext("At most %(limit)s alerts per payload.") % {"limit": MAX_ALERTS_PER_PAYLOAD},
            field="alerts",
        )
    label = integration.hub_label
    slugs = {a.labels.get(label) for a in alerts if a.labels.get(label)}
    # Lock the hubs (in a fixed order, so two batches cannot deadlock): two payloads for the
    # same hub arriving at once must not open two incidents.
    hubs = {
        h.slug: h
        for h in Hub.objects.select_for_update()
        .filter(slug__in=slugs, is_active=True)
        .order_by("pk")
    }
    in_maintenance = _hubs_in_maintenance([h.pk for h in hubs.values()], now)
    opened: dict[int, Incident] = {}
    updated: set[int] = set()

    for index, incoming in enumerate(alerts):
        if Alert.objects.filter(
            integration=integration,
            fingerprint=incoming.fingerprint,
            status=incoming.status,
            starts_at=incoming.starts_at,
        ).exists():
            receipt.duplicates += 1
            continue
        slug = incoming.labels.get(label, "")
        hub = hubs.get(slug)
        alert = Alert(
            integration=integration,
            fingerprint=incoming.fingerprint,
            status=incoming.status,
            name=incoming.name[:200],
            labels=incoming.labels,
            annotations=incoming.annotations,
            starts_at=incoming.starts_at,
            ends_at=incoming.ends_at,
            hub=hub,
            received_at=now,
        )
        where = f"alerts.{index} ({incoming.name})"
        if hub is None:
            receipt.notes.append(
                f"{where}: no active hub with slug “{slug}”; recorded only."
                if slug
                else f"{where}: no “{label}” label; recorded only."
            )
        elif incoming.status == Alert.Status.FIRING:
            if hub.pk in in_maintenance:
                alert.suppressed_by_maintenance = True
                receipt.suppressed += 1
                receipt.notes.append(f"{where}: {hub.slug} is in maintenance; no incident.")
            else:
                incident = _open_incident_for(hub)
                if incident is None:
                    incident = _declare_from_monitoring(
                        hub=hub,
                        title=messages.alert_incident_title(hub=hub, alert_name=incoming.name),
                        symptom=incoming.labels.get("symptom", Incident.Symptom.OTHER)
                        if incoming.labels.get("symptom") in Incident.Symptom.values
                        else Incident.Symptom.OTHER,
                        affected_users=0,
                        reason=messages.alert_incident_reason(alert_name=incoming.name),
                        summary=incoming.summary,
                        impact_started_at=incoming.starts_at,
                        now=now,
                    )
                    opened[incident.pk] = incident
                elif incident.pk not in opened:
                    updated.add(incident.pk)
                alert.incident = incident
                live_log.incident_record_alert(
                    incident=incident,
                    body=messages.alert_firing(
                        alert_name=incoming.name, hub=hub, summary=incoming.summary
                    ),
                    at=incoming.starts_at,
                    link_url=_safe_link(incoming.generator_url),
                )
        else:
            firing = (
                Alert.objects.filter(
                    integration=integration,
                    fingerprint=incoming.fingerprint,
                    status=Alert.Status.FIRING,
                    incident__state__in=OPEN_STATES,
                )
                .select_related("incident")
                .order_by("-received_at", "-pk")
                .first()
            )
            if firing is not None and firing.incident is not None:  # the filter: always
                alert.incident = firing.incident
                updated.add(firing.incident.pk)
                live_log.incident_record_alert(
                    incident=firing.incident,
                    body=messages.alert_resolved(alert_name=incoming.name, hub=hub),
                    at=incoming.ends_at or now,
                    link_url=_safe_link(incoming.generator_url),
                )
        try:
            with transaction.atomic():
                alert.save()
        except IntegrityError:
            # The same alert recorded by a concurrent request: a replay after all.
            receipt.duplicates += 1
            continue
        receipt.recorded += 1

    receipt.incidents_opened = sorted(opened)
    receipt.incidents_updated = sorted(updated - set(opened))
    if opened or updated:
        _incidents_changed()
    return receipt
