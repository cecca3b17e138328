"""What the incident service modules share: the staff check, row locks, saving an incident
(which tells the apps above after commit, incidents/signals.py), writing a timeline entry (the
incident's audit log) and the links sent in messages. For incidents/services/ only."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.roles import is_staff_member
from incidents.models import Incident, IncidentReport, TimelineEntry
from incidents.signals import send_incident_changed


def _is_manager_or_admin(user) -> bool:
    return is_staff_member(user) and (user.is_project_manager or user.is_superuser)


def _lock_incident(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


def _lock_report(report: IncidentReport) -> IncidentReport:
    return IncidentReport.objects.select_for_update().select_related("incident").get(pk=report.pk)


def _save_incident(incident: Incident, *fields: str) -> None:
    incident.version += 1
    incident.save(update_fields=[*fields, "version", "updated_at"])
    # Hub statuses and the public status page derive from incidents (sent after commit).
    send_incident_changed(incident)


def _entry(
    incident: Incident,
    *,
    kind: str,
    body: str,
    author=None,
    at: datetime.datetime | None = None,
    is_public: bool = False,
    link_url: str = "",
) -> TimelineEntry:
    entry = TimelineEntry.objects.create(
        incident=incident,
        kind=kind,
        body=body,
        author=author,
        occurred_at=at or timezone.now(),
        is_public=is_public,
        link_url=link_url,
    )
    if is_public:
        # Public entries show on the status page (declaration included: hubs are set by then).
        send_incident_changed(incident)
    return entry


def incident_url(incident: Incident) -> str:
    return f"{settings.SITE_URL}{reverse('incidents:detail', args=[incident.pk])}"


def report_public_url(report: IncidentReport) -> str:
    return f"{settings.SITE_URL}{reverse('incidents:report_public', args=[report.pk])}"
