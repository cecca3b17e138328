"""The live log (DOMAIN.md "The incident timeline"): entries people write in the war room
(notes, commands, actions, fixes, communications, back-filled at an editable time), the impact
start, and the entries the system writes when a linked issue changes or monitoring reports.

Staff write entries; they are internal unless marked public. Public entries show on the status
page and pre-fill the report's timeline (incidents/services/reports.py); internal ones never
reach a representative or a public page."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, pgettext

from accounts.models import User
from accounts.roles import check_staff
from incidents import messages
from incidents.models import Incident, IncidentReport, TimelineEntry
from incidents.services.common import _entry, _lock_incident, _save_incident
from incidents.services.reports import _with_impact_lines
from supportdesk.errors import DomainError, InvalidTransition
from supportdesk.events import emit as emit_event

State = Incident.State
Kind = TimelineEntry.Kind
Review = IncidentReport.Review

# Kinds a person writes in the war room; the others are written by the services themselves.
MANUAL_KINDS = (Kind.NOTE, Kind.COMMAND, Kind.ACTION, Kind.FIX, Kind.COMMUNICATION)


@transaction.atomic
def incident_add_timeline_entry(
    *,
    incident: Incident,
    by: User,
    kind: str,
    body: str,
    occurred_at: datetime.datetime | None = None,
    link_url: str = "",
    is_public: bool = False,
) -> TimelineEntry:
    """A note, command run, action taken, fix (with its pull request) or communication, at an
    editable time so the timeline can be back-filled."""
    check_staff(by, gettext_noop("write in the incident timeline"))
    if kind not in MANUAL_KINDS:
        raise DomainError(gettext("Choose what kind of entry this is."), field="kind")
    body = (body or "").strip()
    if not body:
        raise DomainError(gettext("The entry is empty."), field="body")
    link_url = (link_url or "").strip()
    if kind == Kind.FIX and not link_url:
        raise DomainError(gettext("A fix needs the link to its pull request."), field="link_url")
    now = timezone.now()
    occurred_at = occurred_at or now
    if occurred_at > now + datetime.timedelta(minutes=5):
        raise DomainError(gettext("An entry cannot be in the future."), field="occurred_at")
    incident = _lock_incident(incident)
    if incident.state == State.CLOSED:
        raise InvalidTransition(
            gettext("%(reference)s is closed; its timeline is final.")
            % {"reference": incident.reference}
        )
    entry = _entry(
        incident,
        kind=kind,
        body=body,
        author=by,
        at=occurred_at,
        is_public=bool(is_public),
        link_url=link_url,
    )
    _save_incident(incident)
    emit_event("incident_link_added", incident=incident, url=link_url)
    return entry


@transaction.atomic
def incident_set_impact_start(*, incident: Incident, by: User, at: datetime.datetime) -> Incident:
    """Back-fill the best guess of when users were first hit (not when it was reported)."""
    check_staff(by, gettext_noop("change the impact start"))
    incident = _lock_incident(incident)
    if incident.state == State.CLOSED:
        raise InvalidTransition(
            pgettext("incident", "%(reference)s is closed.") % {"reference": incident.reference}
        )
    if at is None or at > timezone.now():
        raise DomainError(gettext("Impact cannot start in the future."), field="at")
    if incident.impact_ended_at and at > incident.impact_ended_at:
        raise DomainError(gettext("Impact cannot start after it ended."), field="at")
    previous = incident.impact_started_at
    incident.impact_started_at = at
    _save_incident(incident, "impact_started_at")
    # One impact window everywhere: a draft report follows (a published one is history).
    report = IncidentReport.objects.select_for_update().filter(incident=incident).first()
    if report is not None and report.review_state != Review.REVIEWED:
        report.impact_started_at = at
        report.timeline_markdown = _with_impact_lines(
            report.timeline_markdown, at, report.impact_ended_at
        )
        report.version += 1
        report.save(
            update_fields=["impact_started_at", "timeline_markdown", "version", "updated_at"]
        )
    _entry(
        incident,
        kind=Kind.NOTE,
        author=by,
        body=messages.impact_start_changed(previous=previous, at=at, by=by),
    )
    return incident


@transaction.atomic
def incident_record_external_change(
    *, incident: Incident, body: str, link_url: str = "", at: datetime.datetime | None = None
) -> TimelineEntry | None:
    """A linked engineering issue or pull request changed (GitHub told us): an internal entry
    by the system. Nothing is added to a closed incident, whose timeline is final."""
    incident = _lock_incident(incident)
    if incident.state == State.CLOSED:
        return None
    entry = _entry(incident, kind=Kind.NOTE, body=body, at=at, link_url=link_url[:200])
    _save_incident(incident)
    return entry


@transaction.atomic
def incident_record_alert(
    *, incident: Incident, body: str, at: datetime.datetime, link_url: str = ""
) -> TimelineEntry:
    """Monitoring saw something about an open incident (an alert fired or resolved, a hub's
    failure rule matched): an internal "alert" entry by the system, never in the future. The
    wording is the caller's (availability); a link longer than the column is left out.
    `incident_add_timeline_entry` is for people (staff, manual kinds only)."""
    incident = _lock_incident(incident)
    entry = _entry(
        incident,
        kind=Kind.ALERT,
        body=body,
        at=min(at, timezone.now()),
        link_url=link_url if len(link_url) <= 200 else "",
    )
    _save_incident(incident)
    return entry
