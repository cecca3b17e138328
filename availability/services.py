"""Every state change of the availability app (DOMAIN.md "Availability, alerting and status"):

- hub status: derived from open incidents and running maintenance windows, stored on the hub,
  refreshed whenever either changes (`on_incident_changed`, the maintenance services, beat);
  an override with a reason wins;
- maintenance windows: scheduled by staff (with warnings about heavy use and reduced capacity),
  announced to the representatives of the affected communities when scheduled, when they start
  and when they end (beat), or when cancelled;
- monitoring: Alertmanager alerts and hub events, de-duplicated, grouped into one open incident
  per hub, suppressed during maintenance. The rule "N server starts fail in a row within M
  minutes on one hub" is evaluated here from the events hubs post.

Each service writes an AvailabilityLog row (the audit trail) and invalidates the status cache."""

from __future__ import annotations

import datetime
import secrets
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from accounts.roles import is_staff_member
from availability import status as rules
from availability.models import (
    Alert,
    AlertIntegration,
    AvailabilityLog,
    AvailabilitySettings,
    HubEvent,
    MaintenanceWindow,
)
from availability.selectors import hub_statuses_compute
from communities.models import Hub, Membership
from incidents.models import Incident, TimelineEntry
from notifications.services import notify
from supportdesk.errors import ConcurrentEdit, DomainError, InvalidTransition, PermissionDenied
from supportdesk.events import emit as emit_event

Status = Hub.Status
OPEN_STATES = [s.value for s in Incident.OPEN_STATES]
# A window may be scheduled to start "now": allow for the time it takes to fill in the form.
START_TOLERANCE = datetime.timedelta(minutes=15)
# Hub events may come from machines whose clocks drift a little.
CLOCK_SKEW = datetime.timedelta(minutes=5)
MAX_ALERTS_PER_PAYLOAD = 1000


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


def _when(instant: datetime.datetime, zone: str = "UTC") -> str:
    local = instant.astimezone(zoneinfo.ZoneInfo(zone))
    return local.strftime("%a %d %b %Y %H:%M ") + (local.tzname() or zone)


# =============================================================================================
# Hub status
# =============================================================================================


@transaction.atomic
def hub_statuses_refresh(
    *, hub_ids: Iterable[int] | None = None, at: datetime.datetime | None = None
) -> int:
    """Store the derived status of each hub whose status changed; returns how many changed."""
    stored: dict[int, str] = {}
    derived = hub_statuses_compute(hub_ids=hub_ids, at=at, stored=stored)
    changed: dict[str, list[int]] = defaultdict(list)
    for hub_id, new in derived.items():
        if stored.get(hub_id) != new:
            changed[new].append(hub_id)
    for new, ids in changed.items():
        Hub.objects.filter(pk__in=ids).update(status=new)
    AvailabilityLog.objects.bulk_create(
        [
            AvailabilityLog(
                kind=AvailabilityLog.Kind.STATUS_CHANGED,
                hub_id=hub_id,
                detail=f"{rules.LABELS.get(stored.get(hub_id), '?')} → {rules.LABELS[new]}",
                data={"from": stored.get(hub_id), "to": new},
                created_at=timezone.now(),
            )
            for new, ids in changed.items()
            for hub_id in ids
        ]
    )
    count = sum(len(ids) for ids in changed.values())
    if count:
        rules.invalidate()
    return count


def hub_status_refresh(*, hub: Hub, at: datetime.datetime | None = None) -> str:
    """Derive and store one hub's status; returns it (not counting an override)."""
    hub_statuses_refresh(hub_ids=[hub.pk], at=at)
    hub.refresh_from_db(fields=["status"])
    return hub.status


def on_incident_changed(incident: Incident) -> None:
    """Call after any change to an incident the public can see: declared, acknowledged,
    resolved, closed, hubs or severity changed, a public timeline entry added, a report
    published. Refreshes stored hub statuses and the status page. Cheap and idempotent.

    Every active hub is refreshed, not only the incident's current ones: a hub just removed
    from the incident must go back to operational too."""
    _incidents_changed()


def incident_changed_received(sender, *, incident: Incident, **kwargs) -> None:
    """Receiver of incidents.signals.incident_changed (connected in availability/apps.py)."""
    on_incident_changed(incident)


def _incidents_changed() -> None:
    hub_statuses_refresh()
    rules.invalidate()


@transaction.atomic
def hub_status_override_set(*, hub: Hub, by, status: str, reason: str) -> Hub:
    if not is_staff_member(by):
        raise PermissionDenied("Only the support team can override a hub's status.")
    reason = (reason or "").strip()
    if status not in Status.values:
        raise DomainError("Choose a status.", field="status")
    if not reason:
        raise DomainError("Say why the status is overridden: it is shown publicly.", field="reason")
    hub = Hub.objects.select_for_update().get(pk=hub.pk)
    hub.status_override = status
    hub.status_override_reason = reason[:300]
    hub.save(update_fields=["status_override", "status_override_reason"])
    _log(
        AvailabilityLog.Kind.OVERRIDE_SET,
        actor=by,
        hub=hub,
        detail=f"{rules.LABELS[status]}: {reason}",
        status=status,
    )
    rules.invalidate()
    return hub


@transaction.atomic
def hub_status_override_clear(*, hub: Hub, by) -> Hub:
    if not is_staff_member(by):
        raise PermissionDenied("Only the support team can override a hub's status.")
    hub = Hub.objects.select_for_update().get(pk=hub.pk)
    if not hub.status_override:
        return hub
    previous = hub.status_override
    hub.status_override = ""
    hub.status_override_reason = ""
    hub.save(update_fields=["status_override", "status_override_reason"])
    _log(AvailabilityLog.Kind.OVERRIDE_CLEARED, actor=by, hub=hub, previous=previous)
    rules.invalidate()
    return hub


# =============================================================================================
# Maintenance windows
# =============================================================================================


class MaintenanceNeedsConfirmation(DomainError):
    """The window is valid but falls at a time to think twice about; the caller must confirm."""

    status_code = 409

    def __init__(self, warnings: list[str]):
        super().__init__("Please confirm: " + " ".join(warnings), field="accept_warnings")
        self.warnings = warnings


def _local_dates(start: datetime.datetime, end: datetime.datetime, zone) -> list[datetime.date]:
    first = start.astimezone(zone).date()
    last = (end - datetime.timedelta(microseconds=1)).astimezone(zone).date()
    count = min((last - first).days, 366)
    return [first + datetime.timedelta(days=n) for n in range(count + 1)]


def _format_dates(dates: list[datetime.date]) -> str:
    shown = ", ".join(f"{d:%a %d %b}" for d in dates[:5])
    return shown + (f" and {len(dates) - 5} more" if len(dates) > 5 else "")


def maintenance_check(
    *,
    hubs: Iterable[Hub],
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    exclude: MaintenanceWindow | None = None,
) -> list[str]:
    """Warnings about a planned window (DOMAIN.md: "scheduled outside heavy use"):
    weekday daytime of heavy use in an affected community's time zone; reduced capacity
    (weekends, year edges, overlapping team holidays); another window on the same hubs."""
    from slo.models import CalendarSettings
    from slo.services import reduced_capacity_dates

    hubs = list(hubs)
    config = AvailabilitySettings.load()
    warnings: list[str] = []
    communities = {h.community_id: h.community for h in hubs}
    for community in sorted(communities.values(), key=lambda c: c.name):
        zone = zoneinfo.ZoneInfo(community.timezone)
        busy = []
        for day in _local_dates(starts_at, ends_at, zone):
            if day.weekday() >= 5:
                continue
            busy_start = datetime.datetime.combine(
                day, datetime.time(config.heavy_use_start_hour), tzinfo=zone
            )
            busy_end = datetime.datetime.combine(day, datetime.time(0), tzinfo=zone) + (
                datetime.timedelta(hours=config.heavy_use_end_hour)
            )
            if starts_at < busy_end and ends_at > busy_start:
                busy.append(day)
        if busy:
            warnings.append(
                f"It falls on weekday daytime, when {community.name} uses its hubs most "
                f"({config.heavy_use_start_hour:02d}:00–{config.heavy_use_end_hour:02d}:00 "
                f"{community.timezone}, Monday to Friday): {_format_dates(busy)}."
            )

    zone = zoneinfo.ZoneInfo(CalendarSettings.load().reference_timezone)
    dates = _local_dates(starts_at, ends_at, zone)
    reduced = set(reduced_capacity_dates({d.year for d in dates}))
    weekend = [d for d in dates if d.weekday() >= 5]
    other = [d for d in dates if d in reduced and d.weekday() < 5]
    if weekend or other:
        reasons = []
        if weekend:
            reasons.append(f"weekend: {_format_dates(weekend)}")
        if other:
            reasons.append(f"year-end week or team holidays: {_format_dates(other)}")
        warnings.append(
            "It falls in a reduced-capacity period (" + "; ".join(reasons) + "): fewer "
            "engineers are around if something goes wrong."
        )

    overlapping = (
        MaintenanceWindow.objects.filter(
            cancelled_at__isnull=True,
            hubs__in=hubs,
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
        )
        .exclude(pk=getattr(exclude, "pk", None))
        .distinct()
        .order_by("starts_at")
    )
    for window in overlapping:
        warnings.append(
            f"It overlaps the window “{window.title}” ({_when(window.starts_at)} to "
            f"{_when(window.ends_at)}) on the same hubs."
        )
    return warnings


def _representatives(hub_ids: Iterable[int]) -> list[tuple[object, list[Hub]]]:
    """(representative, their community's affected hubs) for every affected community."""
    hubs = list(Hub.objects.filter(pk__in=list(hub_ids)).select_related("community"))
    by_community: dict[int, list[Hub]] = defaultdict(list)
    for hub in hubs:
        by_community[hub.community_id].append(hub)
    memberships = (
        Membership.objects.filter(
            community_id__in=list(by_community),
            community__is_active=True,
            role=Membership.Role.REPRESENTATIVE,
            user__is_active=True,
        )
        .select_related("user", "community")
        .order_by("user_id")
    )
    return [(m.user, by_community[m.community_id]) for m in memberships]


STAGES = {
    "scheduled": "Planned maintenance",
    "started": "Maintenance has started",
    "ended": "Maintenance is over",
    "cancelled": "Maintenance cancelled",
}


def _announce(window: MaintenanceWindow, stage: str) -> int:
    """E-mail each representative of the affected communities once for this stage."""
    status_url = reverse("availability:status")
    told = 0
    for user, hubs in _representatives(window.hubs.values_list("pk", flat=True)):
        community = hubs[0].community
        zone = community.timezone
        hub_names = ", ".join(h.name for h in hubs)
        lines = [f"Hello {user.display_name},", ""]
        if stage == "scheduled":
            lines.append(f"We have planned maintenance on {hub_names}: {window.title}.")
        elif stage == "started":
            lines.append(f"The planned maintenance on {hub_names} has started: {window.title}.")
        elif stage == "ended":
            lines.append(f"The maintenance on {hub_names} is over: {window.title}.")
            lines.append("The hubs should work as usual again; tell us if anything is amiss.")
        else:
            lines.append(f"The planned maintenance on {hub_names} is cancelled: {window.title}.")
        if stage in ("scheduled", "started"):
            lines += [
                "",
                f"From: {_when(window.starts_at, zone)} ({_when(window.starts_at)})",
                f"To:   {_when(window.ends_at, zone)} ({_when(window.ends_at)})",
            ]
            if stage == "scheduled":
                lines.append("Users may be unable to use the hubs during this window.")
        if window.description and stage == "scheduled":
            lines += ["", window.description]
        lines += ["", f"Status of every hub: {settings.SITE_URL}{status_url}"]
        sent = notify(
            key=f"maintenance:{window.pk}:{stage}:user:{user.pk}",
            kind=f"maintenance_{stage}",
            subject=f"{STAGES[stage]}: {hub_names} – {window.title}"[:255],
            body="\n".join(lines),
            user=user,
            url=status_url,
        )
        told += sent is not None
    return told


@transaction.atomic
def maintenance_schedule(
    *,
    by,
    hubs: Iterable[Hub],
    title: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    description: str = "",
    accept_warnings: bool = False,
) -> MaintenanceWindow:
    """Schedule a window and tell the affected communities. Raises MaintenanceNeedsConfirmation
    (with the warnings) unless `accept_warnings`, when the window falls at a bad time."""
    if not is_staff_member(by):
        raise PermissionDenied("Only the support team schedules maintenance.")
    hubs = list(Hub.objects.filter(pk__in=[h.pk for h in hubs]).select_related("community"))
    title = (title or "").strip()
    now = timezone.now()
    if not hubs:
        raise DomainError("Choose the hubs the maintenance affects.", field="hubs")
    if any(not h.is_active for h in hubs):
        raise DomainError("Maintenance can only be planned for active hubs.", field="hubs")
    if not title:
        raise DomainError("Give the maintenance a short title.", field="title")
    if starts_at is None or ends_at is None:
        raise DomainError("Give the start and the end.", field="starts_at")
    if ends_at <= starts_at:
        raise DomainError("The window must end after it starts.", field="ends_at")
    if starts_at < now - START_TOLERANCE:
        raise DomainError("The window cannot start in the past.", field="starts_at")
    warnings = maintenance_check(hubs=hubs, starts_at=starts_at, ends_at=ends_at)
    if warnings and not accept_warnings:
        raise MaintenanceNeedsConfirmation(warnings)
    window = MaintenanceWindow.objects.create(
        title=title[:200],
        description=(description or "").strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=by,
        warnings=warnings,
        announced_at=now,
    )
    window.hubs.set(hubs)
    told = _announce(window, "scheduled")
    _log(
        AvailabilityLog.Kind.MAINTENANCE_SCHEDULED,
        actor=by,
        window=window,
        detail=f"{window.title}: {_when(starts_at)} to {_when(ends_at)}",
        hubs=[h.slug for h in hubs],
        warnings=warnings,
        told=told,
    )
    hub_statuses_refresh(hub_ids=[h.pk for h in hubs])
    rules.invalidate()
    emit_event("maintenance_scheduled", window=window, hubs=hubs)
    return window


@transaction.atomic
def maintenance_cancel(
    *, window: MaintenanceWindow, by, expected_version: int | None = None
) -> MaintenanceWindow:
    """Cancel a window that has not ended; tell the communities if they were told of it."""
    if not is_staff_member(by):
        raise PermissionDenied("Only the support team cancels maintenance.")
    window = MaintenanceWindow.objects.select_for_update().get(pk=window.pk)
    if expected_version is not None and window.version != expected_version:
        raise ConcurrentEdit("Somebody changed this window meanwhile; reload and try again.")
    now = timezone.now()
    if window.cancelled_at is not None:
        raise InvalidTransition("This window is already cancelled.")
    if window.ends_at <= now:
        raise InvalidTransition("This window is over; it can no longer be cancelled.")
    window.cancelled_at = now
    window.cancelled_by = by
    window.version = F("version") + 1
    window.save(update_fields=["cancelled_at", "cancelled_by", "version"])
    window.refresh_from_db()
    told = _announce(window, "cancelled") if window.announced_at else 0
    _log(
        AvailabilityLog.Kind.MAINTENANCE_CANCELLED,
        actor=by,
        window=window,
        detail=window.title,
        told=told,
    )
    hub_statuses_refresh(hub_ids=list(window.hubs.values_list("pk", flat=True)))
    rules.invalidate()
    return window


def maintenance_announce_due(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Beat: announce windows that have started or ended since the last run, once each, and
    refresh the status of their hubs. Safe to run twice or in two workers at once: each window
    is locked (skipped when another worker holds it) and stamped as announced; notify() keys
    make a second e-mail impossible anyway."""
    now = now or timezone.now()
    started = ended = 0
    due = MaintenanceWindow.objects.filter(cancelled_at__isnull=True).filter(
        Q(start_announced_at__isnull=True, starts_at__lte=now)
        | Q(end_announced_at__isnull=True, ends_at__lte=now)
    )
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            window = (
                MaintenanceWindow.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, cancelled_at__isnull=True)
                .first()
            )
            if window is None:
                continue
            fields = []
            if window.start_announced_at is None and window.starts_at <= now:
                # Started and already over (beat was down): the "over" e-mail says it all.
                if window.ends_at > now:
                    told = _announce(window, "started")
                    _log(
                        AvailabilityLog.Kind.MAINTENANCE_STARTED,
                        window=window,
                        detail=window.title,
                        told=told,
                    )
                    started += 1
                window.start_announced_at = now
                fields.append("start_announced_at")
            if window.end_announced_at is None and window.ends_at <= now:
                told = _announce(window, "ended")
                _log(
                    AvailabilityLog.Kind.MAINTENANCE_ENDED,
                    window=window,
                    detail=window.title,
                    told=told,
                )
                window.end_announced_at = now
                fields.append("end_announced_at")
                ended += 1
            if fields:
                window.version = F("version") + 1
                window.save(update_fields=[*fields, "version"])
                hub_statuses_refresh(hub_ids=list(window.hubs.values_list("pk", flat=True)), at=now)
                rules.invalidate()
    return {"started": started, "ended": ended}


# =============================================================================================
# Monitoring: integrations, Alertmanager alerts, hub events
# =============================================================================================


@transaction.atomic
def alert_integration_create(
    *, name: str, hub_label: str = "hub", by=None
) -> tuple[AlertIntegration, str]:
    """A new integration and its bearer token. The token is returned once and stored hashed."""
    name = (name or "").strip()
    hub_label = (hub_label or "").strip() or "hub"
    if not name:
        raise DomainError("Give the integration a name.", field="name")
    if AlertIntegration.objects.filter(name=name).exists():
        raise DomainError(f"An integration called “{name}” exists already.", field="name")
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


def _open_incident_for(hub: Hub) -> Incident | None:
    return (
        Incident.objects.select_for_update()
        .filter(hubs=hub, state__in=OPEN_STATES)
        .order_by("-declared_at", "-pk")
        .first()
    )


def _hubs_in_maintenance(hub_ids: Iterable[int], at: datetime.datetime) -> set[int]:
    return set(
        MaintenanceWindow.hubs.through.objects.filter(
            hub_id__in=list(hub_ids),
            maintenancewindow__cancelled_at__isnull=True,
            maintenancewindow__starts_at__lte=at,
            maintenancewindow__ends_at__gt=at,
        ).values_list("hub_id", flat=True)
    )


def _timeline_alert(
    incident: Incident, *, body: str, at: datetime.datetime, link_url: str = ""
) -> TimelineEntry:
    """An internal "alert" entry in the incident's timeline, written by the system.
    incidents.services.incident_add_timeline_entry is for people (staff, manual kinds only),
    so the system entry is written here, the same way incidents.services writes its own."""
    entry = TimelineEntry.objects.create(
        incident=incident,
        kind=TimelineEntry.Kind.ALERT,
        body=body,
        link_url=link_url if len(link_url) <= 200 else "",
        occurred_at=min(at, timezone.now()),
        author=None,
        is_public=False,
    )
    Incident.objects.filter(pk=incident.pk).update(version=F("version") + 1)
    return entry


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
    from incidents.services import incident_declare, meets_incident_definition

    meets = meets_incident_definition(symptom=symptom, affected_users=affected_users)
    incident = incident_declare(
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
        raise DomainError(f"At most {MAX_ALERTS_PER_PAYLOAD} alerts per payload.", field="alerts")
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
                        title=f"{hub.name}: {incoming.name}",
                        symptom=incoming.labels.get("symptom", Incident.Symptom.OTHER)
                        if incoming.labels.get("symptom") in Incident.Symptom.values
                        else Incident.Symptom.OTHER,
                        affected_users=0,
                        reason=f"Opened by the monitoring alert “{incoming.name}”: an alert "
                        "cannot count affected users; a person confirms the impact.",
                        summary=incoming.summary,
                        impact_started_at=incoming.starts_at,
                        now=now,
                    )
                    opened[incident.pk] = incident
                elif incident.pk not in opened:
                    updated.add(incident.pk)
                alert.incident = incident
                body = f"Alert firing: **{incoming.name}** on {hub.name}."
                if incoming.summary:
                    body += f"\n\n{incoming.summary}"
                _timeline_alert(
                    incident,
                    body=body,
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
            if firing is not None:
                alert.incident = firing.incident
                updated.add(firing.incident_id)
                _timeline_alert(
                    firing.incident,
                    body=f"Alert resolved: **{incoming.name}** on {hub.name}. The incident "
                    "stays open until a person verifies that service is back.",
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
            f"Unknown event type “{kind}”; expected one of: {', '.join(HubEvent.Kind.values)}.",
            field="type",
        )
    if occurred_at > now + CLOCK_SKEW:
        raise DomainError("The event is in the future.", field="at")
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
            title=f"{hub.name}: {len(streak)} server starts failed in a row",
            symptom=Incident.Symptom.START_SERVERS,
            affected_users=len(users),
            reason=f"{len(streak)} server starts failed in a row within {minutes} minutes "
            f"(the rule: {config.failure_threshold} within {config.failure_window_minutes}).",
            summary="Server starts are failing.",
            impact_started_at=first,
            now=now,
        )
        receipt.opened_incident = True
        receipt.note = f"Opened {incident.reference}."
    _timeline_alert(
        incident,
        body=(
            f"Rule matched: {len(streak)} server starts failed in a row on {hub.name} within "
            f"{minutes} minutes" + (f" (users: {', '.join(users)})." if users else ".")
        ),
        at=last,
    )
    HubEvent.objects.filter(pk__in=[e.pk for e in streak]).update(incident=incident)
    event.incident = incident
    receipt.incident = incident
    _incidents_changed()
    return receipt
