"""Reads for the public status pages, the feed and the staff maintenance list.

The public reads fetch only public facts: an incident's title, hubs, severity, state and times,
its *public* timeline entries (never their authors), and reviewed reports once published.
Everything here runs a constant number of queries whatever the number of hubs or incidents."""

from __future__ import annotations

import datetime
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from accounts.roles import is_staff_member
from availability import status as rules
from availability.models import MaintenanceWindow
from communities.models import Hub
from incidents.models import Incident, IncidentReport, TimelineEntry
from supportdesk.errors import PermissionDenied

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

OPEN_STATES = [s.value for s in Incident.OPEN_STATES]


@dataclass
class HubRow:
    hub: Hub
    derived_status: str
    strip: rules.Strip
    open_incidents: list[Incident] = field(default_factory=list)
    active_windows: list[MaintenanceWindow] = field(default_factory=list)

    @property
    def status(self) -> str:
        return rules.effective_status(
            derived=self.derived_status, override=self.hub.status_override
        )

    @property
    def status_label(self) -> StrPromise:
        return rules.LABELS[self.status]

    @property
    def override_reason(self) -> str:
        return self.hub.status_override_reason if self.hub.status_override else ""


@dataclass
class CommunityGroup:
    name: str
    hubs: list[HubRow]
    slug: str = ""

    @property
    def problems(self) -> list[HubRow]:
        return [r for r in self.hubs if r.status != rules.Status.OPERATIONAL]

    @property
    def status(self) -> str:
        return rules.worst(r.status for r in self.hubs)


@dataclass
class StatusOverview:
    generated_at: datetime.datetime
    dates: list[datetime.date]
    communities: list[CommunityGroup]
    open_incidents: list[Incident]
    active_windows: list[MaintenanceWindow]
    upcoming_windows: list[MaintenanceWindow]
    past_incidents: list[Incident]

    @property
    def hub_rows(self) -> list[HubRow]:
        return [row for group in self.communities for row in group.hubs]

    @property
    def affected(self) -> list[HubRow]:
        return [r for r in self.hub_rows if r.status != rules.Status.OPERATIONAL]

    @property
    def overall(self) -> str:
        return rules.worst(r.status for r in self.hub_rows)

    @property
    def problem_rows(self) -> list[HubRow]:
        """Hubs that are not fully operational, worst first: the top of the status page."""
        return sorted(
            self.affected,
            key=lambda r: (-rules.RANK.get(r.status, 3), r.hub.community.name, r.hub.name),
        )


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def _public_timeline() -> Prefetch:
    # Only public entries, only the columns the page shows: no author, no internal notes.
    return Prefetch(
        "timeline",
        queryset=TimelineEntry.objects.filter(is_public=True)
        .only("id", "incident_id", "kind", "body", "occurred_at")
        .order_by("-occurred_at", "-pk"),
        to_attr="public_updates",
    )


def _public_hubs() -> Prefetch:
    return Prefetch(
        "hubs",
        queryset=Hub.objects.only("id", "slug", "name", "community_id").order_by("name"),
        to_attr="public_hubs",
    )


def public_incidents() -> QuerySet[Incident]:
    """Incidents with only their public facts loaded."""
    return (
        Incident.objects.select_related("report")
        .only(
            "id",
            "title",
            "severity",
            "state",
            "detected_by",
            "declared_at",
            "acknowledged_at",
            "resolved_at",
            "impact_started_at",
            "impact_ended_at",
            "report__id",
            "report__published_at",
        )
        .prefetch_related(_public_hubs(), _public_timeline())
    )


def _windows() -> QuerySet[MaintenanceWindow]:
    return (
        MaintenanceWindow.objects.filter(cancelled_at__isnull=True)
        .only("id", "title", "description", "starts_at", "ends_at", "cancelled_at")
        .prefetch_related(_public_hubs())
    )


def incident_span(incident: Incident, now: datetime.datetime):
    start = incident.impact_started_at or incident.declared_at
    end = incident.impact_ended_at or incident.resolved_at or now
    return start, max(end, start)


def _hub_rows(
    hubs: list[Hub],
    *,
    now: datetime.datetime,
    dates: list[datetime.date],
    history: list[Incident],
    windows: list[MaintenanceWindow],
) -> list[HubRow]:
    spans: dict[int, list] = defaultdict(list)
    open_by_hub: dict[int, list[Incident]] = defaultdict(list)
    windows_by_hub: dict[int, list[MaintenanceWindow]] = defaultdict(list)
    for incident in history:
        start, end = incident_span(incident, now)
        severity = rules.Status.DEGRADED if incident.severity == "degraded" else rules.Status.OUTAGE
        for hub in incident.public_hubs:  # type: ignore[attr-defined]  # Prefetch to_attr
            spans[hub.pk].append((start, end, severity, incident.reference))
            if incident.state in OPEN_STATES:
                open_by_hub[hub.pk].append(incident)
    for window in windows:
        for hub in window.public_hubs:  # type: ignore[attr-defined]  # Prefetch to_attr
            if window.starts_at <= now:
                spans[hub.pk].append(
                    (window.starts_at, min(window.ends_at, now), rules.Status.MAINTENANCE, "")
                )
            if window.is_active_at(now):
                windows_by_hub[hub.pk].append(window)
    rows = []
    for hub in hubs:
        open_incidents = open_by_hub.get(hub.pk, [])
        derived = rules.derive_status(
            incident_severities=[i.severity for i in open_incidents],
            in_maintenance=bool(windows_by_hub.get(hub.pk)),
        )
        rows.append(
            HubRow(
                hub=hub,
                derived_status=derived,
                strip=rules.build_strip(dates=dates, spans=spans.get(hub.pk, [])),
                open_incidents=open_incidents,
                active_windows=windows_by_hub.get(hub.pk, []),
            )
        )
    return rows


def _history(now: datetime.datetime, since: datetime.datetime, hub: Hub | None = None):
    """Incidents whose impact touches [since, now], open ones included; and windows likewise."""
    incidents = public_incidents().filter(
        Q(state__in=OPEN_STATES)
        | Q(impact_ended_at__gte=since)
        | Q(impact_ended_at__isnull=True, resolved_at__gte=since),
        declared_at__lte=now,
    )
    windows = _windows().filter(ends_at__gte=since)
    if hub is not None:
        incidents = incidents.filter(hubs=hub)
        windows = windows.filter(hubs=hub)
    return list(incidents.order_by("-declared_at")), list(windows.order_by("starts_at"))


def status_overview(*, now: datetime.datetime | None = None, search: str = "") -> StatusOverview:
    """Everything the public status page shows. Five queries, whatever the size. `search`
    keeps only the hubs whose name, or whose community's name, contains it (ignoring case and
    accents): their history strips are the costly part, so only those are built."""
    now = now or timezone.now()
    dates = rules.history_dates(now.astimezone(datetime.UTC).date())
    since = datetime.datetime.combine(dates[0], datetime.time.min, tzinfo=datetime.UTC)
    hubs = list(
        Hub.objects.filter(is_active=True, community__is_active=True)
        .select_related("community")
        .only(
            "id",
            "slug",
            "name",
            "url",
            "status_override",
            "status_override_reason",
            "community__id",
            "community__name",
            "community__slug",
        )
        .order_by("community__name", "name")
    )
    needle = _fold(search)
    if needle:
        hubs = [
            h
            for h in hubs
            if needle in _fold(h.name) or needle in h.slug or needle in _fold(h.community.name)
        ]
    history, windows = _history(now, since)
    rows = _hub_rows(hubs, now=now, dates=dates, history=history, windows=windows)
    groups: dict[int, CommunityGroup] = {}
    for row in rows:
        community = row.hub.community
        groups.setdefault(
            community.pk, CommunityGroup(name=community.name, hubs=[], slug=community.slug)
        )
        groups[community.pk].hubs.append(row)
    # Communities with a hub in trouble first (worst first), then by name.
    ordered = sorted(groups.values(), key=lambda g: -rules.RANK.get(g.status, 3))
    return StatusOverview(
        generated_at=now,
        dates=dates,
        communities=ordered,
        open_incidents=[i for i in history if i.state in OPEN_STATES],
        active_windows=[w for w in windows if w.is_active_at(now)],
        upcoming_windows=[w for w in windows if w.starts_at > now],
        past_incidents=[i for i in history if i.state not in OPEN_STATES],
    )


@dataclass
class HubDetail:
    row: HubRow
    incidents: list[Incident]
    windows: list[MaintenanceWindow]
    dates: list[datetime.date]


def hub_detail(*, slug: str, now: datetime.datetime | None = None) -> HubDetail | None:
    now = now or timezone.now()
    hub = (
        Hub.objects.filter(slug=slug, is_active=True, community__is_active=True)
        .select_related("community")
        .only(
            "id",
            "slug",
            "name",
            "url",
            "status_override",
            "status_override_reason",
            "community__id",
            "community__name",
        )
        .first()
    )
    if hub is None:
        return None
    dates = rules.history_dates(now.astimezone(datetime.UTC).date())
    since = datetime.datetime.combine(dates[0], datetime.time.min, tzinfo=datetime.UTC)
    history, windows = _history(now, since, hub=hub)
    [row] = _hub_rows([hub], now=now, dates=dates, history=history, windows=windows)
    return HubDetail(
        row=row,
        incidents=history,
        windows=[w for w in windows if w.ends_at > now],
        dates=dates,
    )


def public_incident(*, pk: int) -> Incident | None:
    return public_incidents().filter(pk=pk).first()


def published_report(incident: Incident):
    """The incident's report when it has been published, else None."""
    report = getattr(incident, "report", None)
    if report is None or report.published_at is None:
        return None
    return (
        IncidentReport.objects.published()
        .only(
            "id",
            "incident_id",
            "summary",
            "impact",
            "impact_started_at",
            "impact_ended_at",
            "timeline_markdown",
            "analysis",
            "published_at",
        )
        .prefetch_related("action_items")
        .get(pk=report.pk)
    )


def feed_incidents(*, limit: int = 50) -> list[Incident]:
    return list(public_incidents().order_by("-declared_at")[:limit])


def feed_windows(*, limit: int = 50) -> list[MaintenanceWindow]:
    return list(
        MaintenanceWindow.objects.only(
            "id", "title", "description", "starts_at", "ends_at", "cancelled_at", "created_at"
        )
        .prefetch_related(_public_hubs())
        .order_by("-starts_at")[:limit]
    )


# --- derived status ---------------------------------------------------------------------------


def hub_statuses_compute(
    *,
    hub_ids: Iterable[int] | None = None,
    at: datetime.datetime | None = None,
    stored: dict[int, str] | None = None,
) -> dict[int, str]:
    """The derived status of each hub (all active hubs by default). Three queries. Fills
    `stored` (if given) with the status each hub has stored now."""
    at = at or timezone.now()
    hubs = Hub.objects.filter(is_active=True)
    if hub_ids is not None:
        hubs = Hub.objects.filter(pk__in=list(hub_ids))
    current = dict(hubs.values_list("pk", "status"))
    if stored is not None:
        stored.update(current)
    ids = list(current)
    severities: dict[int, list[str]] = defaultdict(list)
    for hub_id, severity in Incident.hubs.through.objects.filter(
        hub_id__in=ids, incident__state__in=OPEN_STATES
    ).values_list("hub_id", "incident__severity"):
        severities[hub_id].append(severity)
    in_maintenance = set(
        MaintenanceWindow.hubs.through.objects.filter(
            hub_id__in=ids,
            maintenancewindow__cancelled_at__isnull=True,
            maintenancewindow__starts_at__lte=at,
            maintenancewindow__ends_at__gt=at,
        ).values_list("hub_id", flat=True)
    )
    return {
        hub_id: rules.derive_status(
            incident_severities=severities.get(hub_id, []),
            in_maintenance=hub_id in in_maintenance,
        )
        for hub_id in ids
    }


# --- staff ------------------------------------------------------------------------------------


def maintenance_list(*, user, now: datetime.datetime | None = None) -> dict:
    """Upcoming and running windows, and the last 20 that ended or were cancelled."""
    if not is_staff_member(user):
        raise PermissionDenied(gettext("Only the support team schedules maintenance."))
    now = now or timezone.now()
    base = MaintenanceWindow.objects.select_related("created_by", "cancelled_by").prefetch_related(
        Prefetch("hubs", queryset=Hub.objects.select_related("community").order_by("name"))
    )
    current = list(base.filter(cancelled_at__isnull=True, ends_at__gt=now).order_by("starts_at"))
    past = list(
        base.filter(Q(cancelled_at__isnull=False) | Q(ends_at__lte=now)).order_by("-starts_at")[:20]
    )
    return {"current": current, "past": past}


def hubs_for_override(*, user) -> list[Hub]:
    """Active hubs, each with `derived_status` (computed now, not the stored column)."""
    if not is_staff_member(user):
        raise PermissionDenied(gettext("Only the support team overrides hub status."))
    hubs = list(
        Hub.objects.filter(is_active=True)
        .select_related("community")
        .order_by("community__name", "name")
    )
    derived = hub_statuses_compute(hub_ids=[h.pk for h in hubs])
    # Two attributes the override page shows beside each hub (not model fields).
    for hub in hubs:
        status = derived.get(hub.pk, hub.status)
        hub.derived_status = status  # type: ignore[attr-defined]
        hub.derived_status_label = rules.LABELS[status]  # type: ignore[attr-defined]
    return hubs
