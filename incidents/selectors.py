"""Permission-scoped reads for incidents and their reports.

Who sees what:
- staff (engineers, project managers, admins): every incident, every timeline entry;
- members of a community (representatives, hub administrators): incidents touching one of their
  community's hubs, read-only, and only the public timeline entries;
- everybody, without logging in: reviewed (published) reports, which never contain internal
  entries (see incidents/report.py).
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When

from accounts.models import User
from accounts.roles import is_staff_member, member_community_ids
from communities.models import Membership
from incidents.models import Incident, IncidentReport, RoleAssignment, TimelineEntry
from slo.models import CalendarSettings


# --- Incidents --------------------------------------------------------------------------------
def incident_queryset_for(user: User | AnonymousUser) -> QuerySet[Incident]:
    """The incidents `user` may read (none for anonymous users and outsiders)."""
    if is_staff_member(user):
        return Incident.objects.all()
    community_ids = member_community_ids(user)
    if not community_ids:
        return Incident.objects.none()
    return Incident.objects.filter(
        pk__in=Incident.objects.filter(hubs__community_id__in=community_ids).values("pk")
    )


def can_view_incidents(user: User | AnonymousUser) -> bool:
    """Whether `user` has any incident scope at all (staff, or a member of a community)."""
    return is_staff_member(user) or bool(member_community_ids(user))


def incident_list(*, user: User | AnonymousUser, filters: dict | None = None) -> QuerySet[Incident]:
    """Open incidents first (newest first), then the rest, newest first. Constant query count:
    hubs and the current commander are prefetched."""
    filters = filters or {}
    qs = incident_queryset_for(user)
    state = filters.get("state")
    if state in Incident.State.values:
        qs = qs.filter(state=state)
    return (
        qs.annotate(
            open_rank=Case(
                When(state__in=Incident.OPEN_STATES, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("open_rank", "-declared_at", "-pk")
        .prefetch_related(
            "hubs__community",
            Prefetch(
                "roles",
                queryset=RoleAssignment.objects.filter(
                    ended_at__isnull=True, role=RoleAssignment.Role.COMMANDER
                ).select_related("user"),
                to_attr="current_commanders",
            ),
        )
    )


def incident_for_user(*, user: User | AnonymousUser, pk: int) -> Incident:
    """One incident in `user`'s scope; raises Incident.DoesNotExist otherwise (a 404 upstream,
    so an id outside the scope does not reveal that the incident exists)."""
    return incident_queryset_for(user).prefetch_related("hubs__community").get(pk=pk)


def timeline_for(*, incident: Incident, user: User | AnonymousUser) -> QuerySet[TimelineEntry]:
    entries = incident.timeline.select_related("author")
    if not is_staff_member(user):
        entries = entries.filter(is_public=True)
    return entries


@dataclass
class CurrentRoles:
    commander: User | None = None
    liaison: User | None = None
    smes: list[User] = field(default_factory=list)

    def holds(self, user, role: str) -> bool:
        if user is None:
            return False
        if role == RoleAssignment.Role.SME:
            return any(u.pk == user.pk for u in self.smes)
        holder = self.commander if role == RoleAssignment.Role.COMMANDER else self.liaison
        return holder is not None and holder.pk == user.pk


def current_roles(*, incident: Incident) -> CurrentRoles:
    roles = CurrentRoles()
    for assignment in incident.roles.filter(ended_at__isnull=True).select_related("user"):
        if assignment.role == RoleAssignment.Role.COMMANDER:
            roles.commander = assignment.user
        elif assignment.role == RoleAssignment.Role.LIAISON:
            roles.liaison = assignment.user
        else:
            roles.smes.append(assignment.user)
    return roles


def role_history(*, incident: Incident) -> QuerySet[RoleAssignment]:
    return incident.roles.select_related("user", "assigned_by").order_by("started_at", "pk")


def representative_memberships(*, incident: Incident) -> list[Membership]:
    """The representatives of every active community owning one of the incident's hubs."""
    return list(
        Membership.objects.filter(
            role=Membership.Role.REPRESENTATIVE,
            community__is_active=True,
            community__hubs__incidents=incident,
            user__is_active=True,
        )
        .select_related("user", "community")
        .distinct()
        .order_by("community__name", "user__username")
    )


def user_is_member_of_affected_community(*, user: User | AnonymousUser, incident: Incident) -> bool:
    community_ids = member_community_ids(user)
    return bool(community_ids) and incident.hubs.filter(community_id__in=community_ids).exists()


def user_represents_affected_community(*, user: User | AnonymousUser, incident: Incident) -> bool:
    if not (user and user.is_authenticated):
        return False
    return Membership.objects.filter(
        user=user,
        role=Membership.Role.REPRESENTATIVE,
        community__hubs__incidents=incident,
    ).exists()


# --- Reports ----------------------------------------------------------------------------------
def published_report_list() -> QuerySet[IncidentReport]:
    return (
        IncidentReport.objects.published()
        .select_related("incident")
        .prefetch_related("incident__hubs__community")
        .order_by("-published_at", "-pk")
    )


def report_for_public(*, user: User | AnonymousUser, pk: int) -> IncidentReport:
    """A published report; staff may also preview unpublished ones. Raises DoesNotExist."""
    qs = IncidentReport.objects.select_related("incident", "owner").prefetch_related(
        "incident__hubs__community", "action_items__owner"
    )
    if not is_staff_member(user):
        qs = qs.published()
    return qs.get(pk=pk)


# --- Metrics ----------------------------------------------------------------------------------
def _mean(values: list[datetime.timedelta]) -> datetime.timedelta | None:
    if not values:
        return None
    return sum(values, datetime.timedelta()) / len(values)


def incident_metrics(
    *, start: datetime.datetime, end: datetime.datetime, timezone_name: str | None = None
) -> list[dict]:
    """Incidents declared in [start, end), per hub and month (of declaration, in the reference
    time zone). An incident on two hubs counts for both. Times are wall-clock durations measured
    from the declaration: time_to_acknowledge, time_to_resolve (means, None when no incident of
    the group reached that state), and impact duration (impact end - impact start). The
    detection source counts are what shows whether alerts catch outages before communities do.
    Two queries, whatever the number of incidents."""
    zone = zoneinfo.ZoneInfo(timezone_name or CalendarSettings.load().reference_timezone)
    incidents = Incident.objects.filter(
        declared_at__gte=start, declared_at__lt=end
    ).prefetch_related("hubs")
    groups: dict[tuple[int, datetime.date], dict] = {}
    samples: dict[tuple[int, datetime.date], dict[str, list]] = defaultdict(
        lambda: {"ack": [], "resolve": [], "impact": []}
    )
    for incident in incidents:
        month = incident.declared_at.astimezone(zone).date().replace(day=1)
        for hub in incident.hubs.all():
            key = (hub.pk, month)
            row = groups.setdefault(
                key,
                {
                    "hub_id": hub.pk,
                    "hub": hub.name,
                    "community_id": hub.community_id,
                    "month": month,
                    "incidents": 0,
                    "by_detection": dict.fromkeys(Incident.Detection.values, 0),
                    "incident_ids": [],
                },
            )
            row["incidents"] += 1
            row["by_detection"][incident.detected_by] += 1
            row["incident_ids"].append(incident.pk)
            if incident.acknowledged_at:
                samples[key]["ack"].append(incident.acknowledged_at - incident.declared_at)
            if incident.resolved_at:
                samples[key]["resolve"].append(incident.resolved_at - incident.declared_at)
            if incident.impact_ended_at:
                samples[key]["impact"].append(incident.impact_ended_at - incident.impact_started_at)
    rows = []
    for key, row in groups.items():
        row["mean_time_to_acknowledge"] = _mean(samples[key]["ack"])
        row["mean_time_to_resolve"] = _mean(samples[key]["resolve"])
        row["mean_impact_duration"] = _mean(samples[key]["impact"])
        rows.append(row)
    rows.sort(key=lambda r: (r["month"], r["hub"], r["hub_id"]))
    return rows
