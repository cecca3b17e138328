"""Every state change of an incident and its report (DOMAIN.md "Lifecycle of an incident",
"The incident report"). Views, the API, alert handling and beat tasks all call these, so each
rule lives here once. Every transition writes a timeline entry (the incident's audit log).

State machine, enforced here (InvalidTransition otherwise):

    triggered --acknowledge--> acknowledged --resolve--> resolved --close--> closed

Closing needs a reviewed report AND (the community confirmed OR the 48-working-hour auto-close
deadline passed). `incident_auto_close_due` (beat) closes what qualifies.

Who may do what (PermissionDenied otherwise; the views check the same things first):
- every staff member may declare, acknowledge, add timeline entries and SMEs, escalate, resolve,
  close, and write and review reports (the desk works as a team; any staff may review);
- community updates are sent by the External Liaison or the Incident Commander; only while the
  incident has neither may any staff member send them (e.g. an alert-declared incident);
- a hand-off of the commander or liaison role is made by the current commander, the current
  holder of that role, a project manager or an admin; while an incident has no commander any
  staff member may take the role;
- the community's confirmation that service is back comes from one of its representatives, or
  from staff recording it on their behalf.

Linked requests: acknowledgements, updates, the resolution message and the published report
are posted on every open linked request through tickets.services.request_reply (which e-mails
its requester); the other representatives of the affected communities are e-mailed here, so
nobody gets the same message twice.

Published reports: the report's timeline is pre-filled from PUBLIC timeline entries only (see
`report_create`). Internal entries are shown beside the editor for reference, never copied, so
an internal entry can reach the public archive only if an author deliberately types it in.
"""

from __future__ import annotations

import datetime
import re

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.roles import is_staff_member
from incidents import paging
from incidents.models import ActionItem, Incident, IncidentReport, RoleAssignment, TimelineEntry
from incidents.selectors import (
    current_roles,
    representative_memberships,
    user_represents_affected_community,
)
from incidents.selectors import incident_metrics as incident_metrics  # re-exported for callers
from incidents.signals import incident_changed
from notifications.services import notify
from slo.services import refresh_incident_deadlines
from supportdesk.errors import ConcurrentEdit, DomainError, InvalidTransition, PermissionDenied
from supportdesk.events import emit as emit_event
from tickets import services as tickets_services
from tickets.canned import empty_sections, fill_placeholders, refuse_unfilled
from tickets.models import CannedResponse, SupportRequest

State = Incident.State
Role = RoleAssignment.Role
Kind = TimelineEntry.Kind
Review = IncidentReport.Review

# Kinds a person writes in the war room; the others are written by the services themselves.
MANUAL_KINDS = (Kind.NOTE, Kind.COMMAND, Kind.ACTION, Kind.FIX, Kind.COMMUNICATION)
# What a report needs before review (the editor marks these fields as required; a draft may
# be saved without them). The others (impact text, timeline) are optional.
REPORT_REQUIRED_FOR_REVIEW = {
    "owner": "owner",
    "summary": "summary",
    "analysis": "analysis",
    "impact_started_at": "impact start",
    "impact_ended_at": "impact end",
}
REPORT_FIELDS = (
    "owner",
    "summary",
    "impact",
    "impact_started_at",
    "impact_ended_at",
    "timeline_markdown",
    "analysis",
)

# Used only when an admin has deleted or deactivated every canned response of a purpose.
FALLBACK_TEMPLATES = {
    CannedResponse.Purpose.INCIDENT_ACK: (
        "Hi {representative_name},\n\nWe are treating this as an incident: {hub} is "
        "significantly degraded. We think it is related to {context}.\n\nFollow progress at "
        "{link}. Incidents come before all our other work.\n\n{steward_name}"
    ),
    CannedResponse.Purpose.INCIDENT_UPDATE: (
        "Hi {representative_name},\n\nAn update on the incident affecting {hub}.\n\n"
        "**Current state:** {context}\n\n**What we have tried:** \n\n**Next steps:** \n\n"
        "Follow progress at {link}.\n\n{steward_name}"
    ),
    CannedResponse.Purpose.INCIDENT_RESOLVED: (
        "Hi {representative_name},\n\nService on {hub} is back. {context}\n\nWe will write an "
        "incident report and share it with you once it has been reviewed.\n\n{steward_name}"
    ),
}


# --- Small helpers ----------------------------------------------------------------------------
SYMPTOM_FLAGS = {
    Incident.Symptom.LOGIN: "cannot_log_in",
    Incident.Symptom.START_SERVERS: "cannot_start_servers",
    Incident.Symptom.RUN_CODE: "cannot_run_code",
    Incident.Symptom.DASK_GATEWAY: "cannot_use_dask",
}


def meets_incident_definition(*, symptom: str, affected_users: int) -> bool:
    """DOMAIN.md's definition, asked of the one rule in tickets/services.py."""
    flag = SYMPTOM_FLAGS.get(symptom)
    flags = {flag: True} if flag else {}
    return tickets_services.meets_incident_definition(affected_users=affected_users, **flags)


def _require_staff(user, action: str) -> None:
    if not is_staff_member(user):
        raise PermissionDenied(f"Only the support team can {action}.")


def _is_manager_or_admin(user) -> bool:
    return is_staff_member(user) and (user.is_project_manager or user.is_superuser)


def _lock_incident(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


def _lock_report(report: IncidentReport) -> IncidentReport:
    return IncidentReport.objects.select_for_update().select_related("incident").get(pk=report.pk)


def _save_incident(incident: Incident, *fields: str) -> None:
    incident.version += 1
    incident.save(update_fields=[*fields, "version", "updated_at"])
    # Hub statuses and the public status page derive from incidents.
    incident_changed.send(sender=Incident, incident=incident)


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
        incident_changed.send(sender=Incident, incident=incident)
    return entry


def _name(user) -> str:
    return user.display_name if user is not None else "the system"


def _when(instant: datetime.datetime) -> str:
    return timezone.localtime(instant, datetime.UTC).strftime("%d %b %Y %H:%M UTC")


def incident_url(incident: Incident) -> str:
    return f"{settings.SITE_URL}{reverse('incidents:detail', args=[incident.pk])}"


def report_public_url(report: IncidentReport) -> str:
    return f"{settings.SITE_URL}{reverse('incidents:report_public', args=[report.pk])}"


def canned_template(purpose: str) -> tuple[CannedResponse | None, str]:
    canned = CannedResponse.objects.filter(purpose=purpose, is_active=True).order_by("pk").first()
    return canned, (canned.body if canned else FALLBACK_TEMPLATES[purpose])


def placeholder_values(incident: Incident, *, by=None, hubs=None, community=None) -> dict:
    """Values for a canned response about `incident`; {representative_name} is left for each
    recipient (see `_personalise`)."""
    hubs = list(hubs if hubs is not None else incident.hubs.all())
    return {
        "reference": incident.reference,
        "subject": incident.title,
        "hub": ", ".join(h.name for h in hubs) or "your hub",
        "community": community.name if community else "",
        "steward_name": by.display_name if by else "The support team",
        "link": incident_url(incident),
        # The templates end the sentence themselves ("related to {context}.").
        "context": incident.summary.strip().rstrip(".") or incident.get_symptom_display().lower(),
    }


def prefill_update_body(incident: Incident, *, by) -> str:
    """The incident_update canned response with everything but the recipient's name filled."""
    _, body = canned_template(CannedResponse.Purpose.INCIDENT_UPDATE)
    values = placeholder_values(incident, by=by)
    values["context"] = incident.get_state_display()
    return fill_placeholders(body, values)


def prefill_resolution_message(incident: Incident, *, by) -> str:
    _, body = canned_template(CannedResponse.Purpose.INCIDENT_RESOLVED)
    values = placeholder_values(incident, by=by)
    values["context"] = "Thank you for your patience."
    return fill_placeholders(body, values)


def check_update_complete(body: str) -> None:
    """A community update says the current state, what was tried and the next steps: a section
    of the template left empty, or a placeholder left in braces, refuses the send (each named).
    {representative_name} is filled in per recipient."""
    refuse_unfilled(body, allowed=("representative_name",))
    empty = empty_sections(body)
    if empty:
        raise DomainError(
            f"Not sent: write something under {', '.join(repr(e) for e in empty)}; "
            "every part of the update is required.",
            field="body",
        )


def _greeting_name(user) -> str:
    """How a message greets a representative (as tickets/services.py does: the first name)."""
    return user.first_name or user.display_name


def _personalise(text: str, name: str) -> str:
    return fill_placeholders(text, {"representative_name": name or "there"})


def _tell_representatives(
    incident: Incident,
    *,
    key: str,
    kind: str,
    subject: str,
    body_for,
    url: str = "",
    skip_user_ids: frozenset[int] = frozenset(),
) -> int:
    """E-mail every representative of the affected communities, except those already told
    through their own request (`skip_user_ids`). `body_for(membership)` builds the text; `key`
    is formatted with the recipient's user id, so a retry sends nothing twice."""
    sent = 0
    for membership in representative_memberships(incident=incident):
        user = membership.user
        if user.pk in skip_user_ids:
            continue
        if notify(
            key=key.format(uid=user.pk),
            kind=kind,
            subject=subject,
            body=body_for(membership),
            user=user,
            url=url or incident_url(incident),
            incident=incident,
        ):
            sent += 1
    return sent


def _post_to_linked_requests(
    incident: Incident, *, by, body: str, canned=None, exclude_requester_ids=frozenset()
) -> frozenset[int]:
    """A public reply from the team on every open request linked to the incident, through
    tickets.services.request_reply (which stops the request's response clocks and e-mails the
    requester). Returns the requesters' ids, so they are not e-mailed a second time."""
    told = set()
    linked = (
        SupportRequest.objects.filter(incident=incident)
        .exclude(status=SupportRequest.Status.CLOSED)
        .select_related("requester")
        .order_by("pk")
    )
    for support_request in linked:
        if support_request.requester_id in exclude_requester_ids:
            continue
        tickets_services.request_reply(
            request=support_request,
            by=by,
            body=_personalise(body, _greeting_name(support_request.requester)),
            canned_response=canned,
        )
        told.add(support_request.requester_id)
    return frozenset(told)


def _resolve_linked_requests(incident: Incident, *, by, body: str, canned=None) -> frozenset[int]:
    """Service is back, so the requests that reported it are resolved too: the resolution
    message goes out through tickets.services.request_resolve (one e-mail per requester, and
    the request's own auto-close clock starts). Returns the requesters' ids."""
    told = set()
    linked = (
        SupportRequest.objects.filter(incident=incident, status__in=SupportRequest.OPEN_STATUSES)
        .exclude(status=SupportRequest.Status.NEW)
        .select_related("requester")
        .order_by("pk")
    )
    for support_request in linked:
        tickets_services.request_resolve(
            request=support_request,
            by=by,
            body=_personalise(body, _greeting_name(support_request.requester)),
            expected_version=None,
        )
        told.add(support_request.requester_id)
    # Anything else still linked and not closed (already resolved) hears it as a reply.
    others = _post_to_linked_requests(
        incident, by=by, body=body, canned=canned, exclude_requester_ids=told
    )
    return frozenset(told | others)


def _close_linked_requests(incident: Incident, *, by) -> None:
    """Closing the incident closes the requests that are resolved with it. Without a person
    (automatic close), each request's own auto-close clock, started at the same moment, does."""
    if not is_staff_member(by):
        return
    for support_request in SupportRequest.objects.filter(
        incident=incident, status=SupportRequest.Status.RESOLVED
    ).order_by("pk"):
        tickets_services.request_close(request=support_request, by=by)


# --- Declaring --------------------------------------------------------------------------------
@transaction.atomic
def incident_declare(
    *,
    by,
    hubs,
    title: str,
    symptom: str,
    affected_users: int,
    detected_by: str,
    summary: str = "",
    from_request: SupportRequest | None = None,
    override_reason: str = "",
    impact_started_at: datetime.datetime | None = None,
    at: datetime.datetime | None = None,
    severity: str = Incident.Severity.OUTAGE,
) -> Incident:
    """Open an incident. `by=None` is the system (an alert): the incident then has no commander
    until somebody takes command or acknowledges it. Otherwise `by` becomes Incident Commander
    and External Liaison. Either way the on-duty stewards are paged at once and the escalation
    policy of its severity runs until somebody acknowledges (incidents/paging.py)."""
    if by is not None:
        _require_staff(by, "declare incidents")
    at = at or timezone.now()
    hubs = list(hubs)
    title = (title or "").strip()
    override_reason = (override_reason or "").strip()
    if not title:
        raise DomainError("Give the incident a short title.", field="title")
    if not hubs:
        raise DomainError("Choose at least one affected hub.", field="hubs")
    if symptom not in Incident.Symptom.values:
        raise DomainError("Choose the symptom.", field="symptom")
    if detected_by not in Incident.Detection.values:
        raise DomainError("Say how the incident was detected.", field="detected_by")
    if severity not in Incident.Severity.values:
        raise DomainError("Choose the severity.", field="severity")
    if affected_users is None or affected_users < 0:
        raise DomainError(
            "The number of affected users cannot be negative.", field="affected_users"
        )
    meets = meets_incident_definition(symptom=symptom, affected_users=affected_users)
    if not meets and not override_reason:
        raise DomainError(
            "This does not meet the incident definition: two or more users of a hub cannot log "
            "in, start their servers, run code, or use Dask Gateway. To declare it anyway, "
            "confirm the override with a reason.",
            field="override_reason",
        )
    impact_started_at = impact_started_at or at
    if impact_started_at > at:
        raise DomainError(
            "Impact cannot start after the incident is declared.", field="impact_started_at"
        )
    if from_request is not None:
        if by is None:
            raise DomainError("Only a member of the team declares an incident from a request.")
        linked = SupportRequest.objects.filter(pk=from_request.pk).values_list(
            "incident_id", flat=True
        )
        if linked and linked[0]:
            raise DomainError(
                f"{from_request.reference} is already linked to INC-{linked[0]}.", field="request"
            )

    incident = Incident(
        title=title[:200],
        summary=(summary or "").strip(),
        symptom=symptom,
        affected_users=affected_users,
        detected_by=detected_by,
        definition_override_reason="" if meets else override_reason[:500],
        declared_by=by,
        declared_at=at,
        impact_started_at=impact_started_at,
        severity=severity,
    )
    refresh_incident_deadlines(incident)
    incident.save()
    incident.hubs.set(hubs)

    if by is not None:
        for role in (Role.COMMANDER, Role.LIAISON):
            RoleAssignment.objects.create(
                incident=incident,
                role=role,
                user=by,
                assigned_by=by,
                reason="Declared the incident",
                started_at=at,
            )
    hub_names = ", ".join(h.name for h in hubs)
    _entry(
        incident,
        kind=Kind.STATE,
        author=by,
        at=at,
        is_public=True,
        body=(
            f"Incident declared ({incident.get_detected_by_display().lower()}): "
            f"{incident.get_symptom_display().lower()} on {hub_names}."
        ),
    )
    internal = [f"Declared by {_name(by)}; about {affected_users} users affected."]
    if by is None:
        internal.append("No Incident Commander yet: somebody must take command.")
    if not meets:
        internal.append(f"Declared although the definition is not met. Reason: {override_reason}")
    if from_request is not None:
        internal.append(f"Reported in {from_request.reference}: {from_request.subject}")
    _entry(incident, kind=Kind.NOTE, author=by, at=at, body="\n\n".join(internal))
    if from_request is not None:
        tickets_services.request_link_incident(request=from_request, incident=incident, by=by)
    emit_event("incident_declared", incident=incident)
    paging.paging_start(incident, at=at)
    return incident


# --- Transitions ------------------------------------------------------------------------------
@transaction.atomic
def incident_acknowledge(*, incident: Incident, by) -> Incident:
    """triggered -> acknowledged. Sends the acknowledgement canned response to the affected
    communities' representatives, and posts it on linked requests. Whoever acknowledges an
    incident that has no commander (declared by an alert) becomes its commander and liaison."""
    _require_staff(by, "acknowledge incidents")
    incident = _lock_incident(incident)
    if incident.state != State.TRIGGERED:
        raise InvalidTransition(
            f"{incident.reference} is {incident.get_state_display().lower()}; only a triggered "
            "incident can be acknowledged."
        )
    now = timezone.now()
    paged = incident.page_steps_done
    incident.state = State.ACKNOWLEDGED
    incident.acknowledged_at = now
    incident.next_page_at = None  # stops the paging chain
    # DOMAIN.md step 6: the acknowledgement to the community is the first update and starts
    # the update clock (every 3 working hours from now).
    incident.last_update_sent_at = now
    fields = refresh_incident_deadlines(incident)
    _save_incident(
        incident, "state", "acknowledged_at", "next_page_at", "last_update_sent_at", *fields
    )
    if paged:
        minutes = int((now - incident.declared_at).total_seconds() // 60)
        _entry(
            incident,
            kind=Kind.PAGE,
            author=by,
            at=now,
            body=f"Acknowledged by {_name(by)} {minutes} min after it opened: paging stopped.",
        )
    roles = current_roles(incident=incident)
    for role, holder in ((Role.COMMANDER, roles.commander), (Role.LIAISON, roles.liaison)):
        if holder is None:
            RoleAssignment.objects.create(
                incident=incident,
                role=role,
                user=by,
                assigned_by=by,
                reason="Acknowledged an incident that had no holder of this role",
                started_at=now,
            )

    canned, template = canned_template(CannedResponse.Purpose.INCIDENT_ACK)
    hubs = list(incident.hubs.select_related("community"))

    def body_for(membership):
        community_hubs = [h for h in hubs if h.community_id == membership.community_id]
        values = placeholder_values(
            incident, by=by, hubs=community_hubs, community=membership.community
        )
        values["representative_name"] = _greeting_name(membership.user)
        return fill_placeholders(template, values)

    via_requests = _post_to_linked_requests(
        incident,
        by=by,
        body=fill_placeholders(template, placeholder_values(incident, by=by, hubs=hubs)),
        canned=canned,
    )
    told = len(via_requests) + _tell_representatives(
        incident,
        key=f"incident:{incident.pk}:ack:user:{{uid}}",
        kind="incident_ack",
        subject=f"[{incident.reference}] We are on it: {incident.title}",
        body_for=body_for,
        skip_user_ids=via_requests,
    )
    _entry(
        incident,
        kind=Kind.STATE,
        author=by,
        at=now,
        is_public=True,
        body="Acknowledged: the team is working on it.",
    )
    _entry(
        incident,
        kind=Kind.COMMUNICATION,
        author=by,
        at=now,
        body=(
            f"Acknowledgement sent to {told} representative(s) by {_name(by)}: the first "
            "community update; the next is due within 3 working hours."
        ),
    )
    return incident


@transaction.atomic
def incident_resolve(
    *,
    incident: Incident,
    by,
    impact_ended_at: datetime.datetime,
    verification_note: str,
    message: str = "",
) -> Incident:
    """acknowledged -> resolved: records impact end and how the fix was verified, and tells the
    representatives (the given message, else the incident_resolved canned response)."""
    _require_staff(by, "resolve incidents")
    incident = _lock_incident(incident)
    if incident.state != State.ACKNOWLEDGED:
        raise InvalidTransition(
            f"{incident.reference} is {incident.get_state_display().lower()}; only an "
            "acknowledged incident can be resolved."
        )
    now = timezone.now()
    verification_note = (verification_note or "").strip()
    if not verification_note:
        raise DomainError("Say how the fix was verified.", field="verification_note")
    if (message or "").strip():
        refuse_unfilled(message, field="message", allowed=("representative_name",))
    if impact_ended_at is None:
        raise DomainError("Give the end of impact.", field="impact_ended_at")
    if impact_ended_at > now:
        raise DomainError("Impact end cannot be in the future.", field="impact_ended_at")
    if impact_ended_at < incident.impact_started_at:
        raise DomainError(
            f"Impact end is before impact start ({_when(incident.impact_started_at)}).",
            field="impact_ended_at",
        )
    incident.state = State.RESOLVED
    incident.resolved_at = now
    incident.impact_ended_at = impact_ended_at
    incident.verification_note = verification_note
    fields = refresh_incident_deadlines(incident)
    _save_incident(
        incident, "state", "resolved_at", "impact_ended_at", "verification_note", *fields
    )

    canned = None
    text = (message or "").strip()
    if not text:
        canned, _ = canned_template(CannedResponse.Purpose.INCIDENT_RESOLVED)
        text = prefill_resolution_message(incident, by=by)
    via_requests = _resolve_linked_requests(incident, by=by, body=text, canned=canned)
    _tell_representatives(
        incident,
        key=f"incident:{incident.pk}:resolved:user:{{uid}}",
        kind="incident_resolved",
        subject=f"[{incident.reference}] Resolved: {incident.title}",
        body_for=lambda m: _personalise(text, _greeting_name(m.user)),
        skip_user_ids=via_requests,
    )
    _entry(
        incident,
        kind=Kind.STATE,
        author=by,
        at=now,
        is_public=True,
        body=(
            f"Resolved: service restored, impact ended {_when(impact_ended_at)}.\n\n"
            f"How it was verified: {verification_note}"
        ),
    )
    emit_event("incident_resolved", incident=incident)
    return incident


@transaction.atomic
def incident_community_confirm(*, incident: Incident, by) -> Incident:
    """The community confirms that service is back (a representative, or staff on their
    behalf). Confirming twice changes nothing."""
    if not (is_staff_member(by) or user_represents_affected_community(user=by, incident=incident)):
        raise PermissionDenied(
            "Only a representative of an affected community, or the support team, can confirm."
        )
    incident = _lock_incident(incident)
    if incident.state != State.RESOLVED:
        raise InvalidTransition("Only a resolved incident can be confirmed.")
    if incident.community_confirmed_at:
        return incident
    now = timezone.now()
    incident.community_confirmed_at = now
    fields = refresh_incident_deadlines(incident)
    _save_incident(incident, "community_confirmed_at", *fields)
    _entry(
        incident,
        kind=Kind.STATE,
        author=by,
        at=now,
        is_public=True,
        body="The community confirmed that service is back.",
    )
    return incident


def _close_blocker(incident: Incident, *, now: datetime.datetime) -> str | None:
    """Why `incident` cannot close now, or None."""
    if incident.state != State.RESOLVED:
        return (
            f"{incident.reference} is {incident.get_state_display().lower()}; only a resolved "
            "incident can be closed."
        )
    report = IncidentReport.objects.filter(incident=incident).first()
    if report is None or report.review_state != Review.REVIEWED:
        return "An incident closes only once its report has been reviewed."
    if incident.community_confirmed_at is None and not (
        incident.auto_close_due_at and incident.auto_close_due_at <= now
    ):
        due = f" (until {_when(incident.auto_close_due_at)})" if incident.auto_close_due_at else ""
        return f"Waiting for the community to confirm that service is back{due}."
    return None


def _close(incident: Incident, *, by, now: datetime.datetime, automatically: bool) -> None:
    incident.state = State.CLOSED
    incident.closed_at = now
    fields = refresh_incident_deadlines(incident)
    _save_incident(incident, "state", "closed_at", *fields)
    how = (
        "community confirmed"
        if incident.community_confirmed_at
        else "no reply from the community within 48 working hours"
    )
    _entry(
        incident,
        kind=Kind.STATE,
        author=by,
        at=now,
        is_public=True,
        body=f"Closed{' automatically' if automatically else ''} ({how}; report reviewed).",
    )


@transaction.atomic
def incident_close(*, incident: Incident, by) -> Incident:
    _require_staff(by, "close incidents")
    incident = _lock_incident(incident)
    now = timezone.now()
    blocker = _close_blocker(incident, now=now)
    if blocker:
        raise InvalidTransition(blocker)
    _close(incident, by=by, now=now, automatically=False)
    _close_linked_requests(incident, by=by)
    return incident


def incident_auto_close_due(*, now: datetime.datetime | None = None) -> int:
    """Beat: close every resolved incident whose report is reviewed and whose community
    confirmed or whose auto-close deadline passed. Each incident in its own transaction, the
    row locked and re-checked, so two runs close each incident once. Returns how many closed."""
    now = now or timezone.now()
    candidates = Incident.objects.filter(
        Q(community_confirmed_at__isnull=False) | Q(auto_close_due_at__lte=now),
        state=State.RESOLVED,
        report__review_state=Review.REVIEWED,
    ).values_list("pk", flat=True)
    closed = 0
    for pk in list(candidates):
        with transaction.atomic():
            incident = Incident.objects.select_for_update().filter(pk=pk).first()
            if incident is None or _close_blocker(incident, now=now):
                continue
            _close(incident, by=None, now=now, automatically=True)
            closed += 1
    return closed


# --- Roles ------------------------------------------------------------------------------------
@transaction.atomic
def incident_handoff(*, incident: Incident, role: str, to_user, by, reason: str) -> RoleAssignment:
    """Pass the commander or liaison role on: the current assignment ends, a new one starts, and
    the timeline records who, when and why. When the commander hands off while also acting as
    liaison (the default), or nobody is liaison, the liaison role goes to the new commander too.
    With no current holder (an alert-declared incident) this is how somebody takes command."""
    _require_staff(by, "hand off incident roles")
    if role not in (Role.COMMANDER, Role.LIAISON):
        raise DomainError("Only the commander and liaison roles are handed off.", field="role")
    if not is_staff_member(to_user):
        raise DomainError("Incident roles go to members of the team.", field="to_user")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the role is handed off.", field="reason")
    incident = _lock_incident(incident)
    if incident.state == State.CLOSED:
        raise InvalidTransition(f"{incident.reference} is closed.")
    roles = current_roles(incident=incident)
    holder = roles.commander if role == Role.COMMANDER else roles.liaison
    if not (
        roles.commander is None
        or roles.holds(by, Role.COMMANDER)
        or (holder is not None and holder.pk == by.pk)
        or _is_manager_or_admin(by)
    ):
        raise PermissionDenied(
            "Only the Incident Commander, the current holder of the role, a project manager or "
            "an admin can hand it off."
        )
    if holder is not None and holder.pk == to_user.pk:
        raise DomainError(f"{to_user.display_name} already holds this role.", field="to_user")
    now = timezone.now()
    moves = [(role, holder)]
    if role == Role.COMMANDER and (
        roles.liaison is None or (holder is not None and roles.holds(holder, Role.LIAISON))
    ):
        # The liaison is the commander unless the commander delegated it (DOMAIN.md).
        moves.append((Role.LIAISON, roles.liaison))
    new_assignment = None
    for moved_role, previous in moves:
        incident.roles.filter(role=moved_role, ended_at__isnull=True).update(ended_at=now)
        assignment = RoleAssignment.objects.create(
            incident=incident,
            role=moved_role,
            user=to_user,
            assigned_by=by,
            reason=reason[:300],
            started_at=now,
        )
        new_assignment = new_assignment or assignment
        label = Role(moved_role).label
        _entry(
            incident,
            kind=Kind.HANDOFF,
            author=by,
            at=now,
            body=(
                f"{label}: {_name(previous) if previous else 'nobody'} → {to_user.display_name} "
                f"(by {_name(by)}). Why: {reason}"
            ),
        )
    _save_incident(incident)
    _tell_role_holder(
        new_assignment,
        by=by,
        subject=f"You are now {Role(role).label}",
        body=f"{by.display_name} handed you the role on {incident}: {reason}",
    )
    return new_assignment


def _tell_role_holder(assignment: RoleAssignment, *, by, subject: str, body: str) -> None:
    """Tell whoever was given a role (not when people give it to themselves)."""
    incident, user = assignment.incident, assignment.user
    if user.pk == by.pk:
        return
    notify(
        key=f"incident:{incident.pk}:role:{assignment.pk}:user:{user.pk}",
        kind="incident_role",
        subject=f"[{incident.reference}] {subject}",
        body=body,
        user=user,
        url=reverse("incidents:detail", args=[incident.pk]),
        incident=incident,
    )


@transaction.atomic
def incident_add_sme(*, incident: Incident, user, by) -> RoleAssignment:
    _require_staff(by, "add subject matter experts")
    if not is_staff_member(user):
        raise DomainError("Subject matter experts are members of the team.", field="user")
    incident = _lock_incident(incident)
    if incident.state == State.CLOSED:
        raise InvalidTransition(f"{incident.reference} is closed.")
    if incident.roles.filter(role=Role.SME, user=user, ended_at__isnull=True).exists():
        raise DomainError(f"{user.display_name} is already a subject matter expert.", field="user")
    now = timezone.now()
    assignment = RoleAssignment.objects.create(
        incident=incident, role=Role.SME, user=user, assigned_by=by, started_at=now
    )
    _entry(
        incident,
        kind=Kind.HANDOFF,
        author=by,
        at=now,
        body=f"{user.display_name} joined as Subject Matter Expert (by {_name(by)}).",
    )
    _save_incident(incident)
    _tell_role_holder(
        assignment,
        by=by,
        subject="You are a Subject Matter Expert",
        body=f"{by.display_name} pulled you into {incident}.",
    )
    return assignment


@transaction.atomic
def incident_remove_sme(*, incident: Incident, user, by) -> None:
    _require_staff(by, "change subject matter experts")
    incident = _lock_incident(incident)
    now = timezone.now()
    if not incident.roles.filter(role=Role.SME, user=user, ended_at__isnull=True).update(
        ended_at=now
    ):
        raise DomainError(f"{user.display_name} is not a subject matter expert here.")
    _entry(
        incident,
        kind=Kind.HANDOFF,
        author=by,
        at=now,
        body=f"{user.display_name} left the Subject Matter Experts (by {_name(by)}).",
    )
    _save_incident(incident)


# --- The live log -----------------------------------------------------------------------------
@transaction.atomic
def incident_add_timeline_entry(
    *,
    incident: Incident,
    by,
    kind: str,
    body: str,
    occurred_at: datetime.datetime | None = None,
    link_url: str = "",
    is_public: bool = False,
) -> TimelineEntry:
    """A note, command run, action taken, fix (with its pull request) or communication, at an
    editable time so the timeline can be back-filled."""
    _require_staff(by, "write in the incident timeline")
    if kind not in MANUAL_KINDS:
        raise DomainError("Choose what kind of entry this is.", field="kind")
    body = (body or "").strip()
    if not body:
        raise DomainError("The entry is empty.", field="body")
    link_url = (link_url or "").strip()
    if kind == Kind.FIX and not link_url:
        raise DomainError("A fix needs the link to its pull request.", field="link_url")
    now = timezone.now()
    occurred_at = occurred_at or now
    if occurred_at > now + datetime.timedelta(minutes=5):
        raise DomainError("An entry cannot be in the future.", field="occurred_at")
    incident = _lock_incident(incident)
    if incident.state == State.CLOSED:
        raise InvalidTransition(f"{incident.reference} is closed; its timeline is final.")
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
def incident_set_impact_start(*, incident: Incident, by, at: datetime.datetime) -> Incident:
    """Back-fill the best guess of when users were first hit (not when it was reported)."""
    _require_staff(by, "change the impact start")
    incident = _lock_incident(incident)
    if incident.state == State.CLOSED:
        raise InvalidTransition(f"{incident.reference} is closed.")
    if at is None or at > timezone.now():
        raise DomainError("Impact cannot start in the future.", field="at")
    if incident.impact_ended_at and at > incident.impact_ended_at:
        raise DomainError("Impact cannot start after it ended.", field="at")
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
        body=f"Impact start changed from {_when(previous)} to {_when(at)} by {_name(by)}.",
    )
    return incident


@transaction.atomic
def incident_escalate(*, incident: Incident, by) -> Incident:
    """ "Cannot fix it in 30 minutes": notify every active engineer and every project manager.
    Idempotent: a second call (a double click, a retried task) changes and sends nothing."""
    from accounts.models import User

    if by is not None:
        _require_staff(by, "escalate incidents")
    incident = _lock_incident(incident)
    if incident.escalated_at:
        return incident
    if not incident.is_open:
        raise InvalidTransition(f"{incident.reference} is no longer open.")
    now = timezone.now()
    incident.escalated_at = now
    _save_incident(incident, "escalated_at")
    recipients = User.objects.filter(
        Q(engineer__is_active=True) | Q(is_project_manager=True, is_staff=True),
        is_active=True,
    ).distinct()
    hubs = ", ".join(h.name for h in incident.hubs.all())
    who = (
        f"{_name(by)} could not fix {incident.reference} ({hubs})"
        if by is not None
        else f"{incident.reference} ({hubs}) is still unresolved"
    )
    for user in recipients:
        notify(
            key=f"incident:{incident.pk}:escalated:user:{user.pk}",
            kind="incident_escalated",
            subject=f"[{incident.reference}] Not fixed in 30 minutes: {incident.title}",
            body=(
                f"{who} after the 30-minute time-box. The team and the project manager are "
                "alerted; see the war room."
            ),
            user=user,
            url=reverse("incidents:detail", args=[incident.pk]),
            incident=incident,
        )
    _entry(
        incident,
        kind=Kind.ESCALATION,
        author=by,
        at=now,
        body=(
            "Not fixed within 30 minutes: engineering team and project manager alerted"
            + (" automatically (time-box over)." if by is None else ".")
        ),
    )
    return incident


@transaction.atomic
def incident_send_update(*, incident: Incident, by, body: str) -> TimelineEntry:
    """A community update (current state, what was tried, next steps): e-mailed to the
    representatives, posted on linked requests, a public timeline entry; resets the 3-working-
    hour update clock."""
    _require_staff(by, "send community updates")
    incident = _lock_incident(incident)
    if not incident.is_open:
        raise InvalidTransition(
            f"{incident.reference} is {incident.get_state_display().lower()}; updates are for "
            "open incidents."
        )
    roles = current_roles(incident=incident)
    if (roles.liaison or roles.commander) and not (
        roles.holds(by, Role.LIAISON) or roles.holds(by, Role.COMMANDER)
    ):
        raise PermissionDenied(
            "Community updates are sent by the External Liaison or the Incident Commander."
        )
    body = (body or "").strip()
    if not body:
        raise DomainError("The update is empty.", field="body")
    check_update_complete(body)
    now = timezone.now()
    entry = _entry(
        incident,
        kind=Kind.UPDATE,
        author=by,
        at=now,
        is_public=True,
        body=_personalise(body, "everyone"),
    )
    incident.last_update_sent_at = now
    fields = refresh_incident_deadlines(incident)
    _save_incident(incident, "last_update_sent_at", *fields)
    canned, _ = canned_template(CannedResponse.Purpose.INCIDENT_UPDATE)
    via_requests = _post_to_linked_requests(incident, by=by, body=body, canned=canned)
    _tell_representatives(
        incident,
        key=f"incident:{incident.pk}:update:{entry.pk}:user:{{uid}}",
        kind="incident_update",
        subject=f"[{incident.reference}] Update: {incident.title}",
        body_for=lambda m: _personalise(body, _greeting_name(m.user)),
        skip_user_ids=via_requests,
    )
    emit_event("incident_updated", incident=incident, entry=entry)
    return entry


# --- The report -------------------------------------------------------------------------------
def _timeline_markdown(incident: Incident) -> str:
    """The report's timeline pre-fill, in time order: impact start and end, and the PUBLIC
    entries only."""
    lines = [(incident.impact_started_at, 0, "impact started (best estimate).")]
    for entry in incident.timeline.filter(is_public=True):
        if entry.kind == Kind.UPDATE:
            # The full text went to the community already; the timeline only marks when.
            lines.append((entry.occurred_at, 1, "community update sent."))
            continue
        text = " ".join(entry.body.split())
        if len(text) > 400:
            text = text[:400].rstrip() + "…"
        link = f" ([link]({entry.link_url}))" if entry.link_url else ""
        lines.append((entry.occurred_at, 1, f"({entry.get_kind_display()}) {text}{link}"))
    if incident.impact_ended_at:
        lines.append((incident.impact_ended_at, 2, "impact ended."))
    lines.sort(key=lambda line: (line[0], line[1]))
    return "\n".join(f"- **{_when(at)}**: {text}" for at, _, text in lines)


@transaction.atomic
def report_create(*, incident: Incident, by) -> IncidentReport:
    """A draft report, pre-filled from the incident. Its timeline section is built from the
    public timeline entries only; internal entries stay internal (the editor shows them beside
    the draft for reference)."""
    _require_staff(by, "write incident reports")
    incident = _lock_incident(incident)
    if incident.state not in (State.RESOLVED, State.CLOSED):
        raise InvalidTransition("Write the report once the incident is resolved.")
    if IncidentReport.objects.filter(incident=incident).exists():
        raise DomainError(f"{incident.reference} already has a report.")
    owner = current_roles(incident=incident).commander or by
    report = IncidentReport.objects.create(
        incident=incident,
        owner=owner,
        summary=incident.summary,
        impact=(
            f"About {incident.affected_users} users of "
            f"{', '.join(h.name for h in incident.hubs.all())}: "
            f"{incident.get_symptom_display().lower()}."
        ),
        impact_started_at=incident.impact_started_at,
        impact_ended_at=incident.impact_ended_at,
        timeline_markdown=_timeline_markdown(incident),
    )
    _entry(incident, kind=Kind.NOTE, author=by, body=f"Report drafted; owner {_name(owner)}.")
    return report


@transaction.atomic
def report_update(*, report: IncidentReport, by, expected_version: int, **fields) -> IncidentReport:
    _require_staff(by, "edit incident reports")
    unknown = set(fields) - set(REPORT_FIELDS)
    if unknown:
        raise DomainError(f"Unknown report fields: {', '.join(sorted(unknown))}.")
    report = _lock_report(report)
    if report.version != expected_version:
        raise ConcurrentEdit(
            "Somebody else changed this report since you opened it. Reload to see their changes."
        )
    if report.review_state == Review.REVIEWED:
        raise InvalidTransition("A reviewed report is published and can no longer be edited.")
    owner = fields.get("owner", report.owner)
    if owner is not None and not is_staff_member(owner):
        raise DomainError("The owner of the review is a member of the team.", field="owner")
    start = fields.get("impact_started_at", report.impact_started_at)
    end = fields.get("impact_ended_at", report.impact_ended_at)
    if start and end and end < start:
        raise DomainError("Impact end is before impact start.", field="impact_ended_at")
    window_changed = (start, end) != (report.impact_started_at, report.impact_ended_at)
    for name, value in fields.items():
        setattr(report, name, value.strip() if isinstance(value, str) else value)
    changed = [*fields]
    if window_changed:
        _impact_window_from_report(report, by=by)
        changed.append("timeline_markdown")
    report.version += 1
    report.save(update_fields=sorted({*changed, "version", "updated_at"}))
    return report


# One impact window everywhere: the report's impact start and end are the incident's, and the
# report's timeline has one "impact started" and one "impact ended" line at those times.
_IMPACT_LINE = re.compile(r"^- \*\*[^*]+\*\*: impact (started \(best estimate\)|ended)\.$")
_DATED_LINE = re.compile(r"^- \*\*(\d{2} \w{3} \d{4} \d{2}:\d{2}) UTC\*\*:")


def _with_impact_lines(
    markdown: str, start: datetime.datetime | None, end: datetime.datetime | None
) -> str:
    """The timeline Markdown with its impact lines replaced by lines at `start` and `end`, each
    placed in time order among the dated lines (other lines are left as they are)."""
    lines = [line for line in markdown.splitlines() if not _IMPACT_LINE.match(line.strip())]

    def dated(line: str) -> datetime.datetime | None:
        match = _DATED_LINE.match(line.strip())
        if not match:
            return None
        try:
            return datetime.datetime.strptime(match.group(1), "%d %b %Y %H:%M").replace(
                tzinfo=datetime.UTC
            )
        except ValueError:
            return None

    for at, text, before_equal in (
        (start, "impact started (best estimate).", True),
        (end, "impact ended.", False),
    ):
        if at is None:
            continue
        minute = at.astimezone(datetime.UTC).replace(second=0, microsecond=0)
        times = [dated(line) for line in lines]
        position = next(
            (
                i
                for i, t in enumerate(times)
                if t is not None and (t > minute or (before_equal and t == minute))
            ),
            None,
        )
        if position is None:
            last = [i for i, t in enumerate(times) if t is not None]
            position = last[-1] + 1 if last else len(lines)
        lines.insert(position, f"- **{_when(at)}**: {text}")
    return "\n".join(lines)


def _impact_window_from_report(report: IncidentReport, *, by) -> None:
    """The report's impact times changed: the incident takes them (a note in its timeline says
    from what) and the report's timeline lines follow. The caller saves the report."""
    incident = _lock_incident(report.incident)
    now = timezone.now()
    changes, fields = [], []
    for name, label in (("impact_started_at", "start"), ("impact_ended_at", "end")):
        new = getattr(report, name)
        old = getattr(incident, name)
        if new is None or new == old:
            continue
        if new > now:
            raise DomainError(f"Impact {label} cannot be in the future.", field=name)
        changes.append(f"{label} {_when(old) if old else 'unknown'} → {_when(new)}")
        setattr(incident, name, new)
        fields.append(name)
        if old is not None:
            # Entries that quoted the old time ("Resolved: ..., impact ended <time>") too.
            verb = "started" if label == "start" else "ended"
            report.timeline_markdown = report.timeline_markdown.replace(
                f"impact {verb} {_when(old)}", f"impact {verb} {_when(new)}"
            )
    report.timeline_markdown = _with_impact_lines(
        report.timeline_markdown, report.impact_started_at, report.impact_ended_at
    )
    if fields:
        _save_incident(incident, *fields)
        _entry(
            incident,
            kind=Kind.NOTE,
            author=by,
            body=f"Impact window changed in the report by {_name(by)}: {'; '.join(changes)}.",
        )


@transaction.atomic
def report_submit_for_review(*, report: IncidentReport, by) -> IncidentReport:
    _require_staff(by, "submit incident reports")
    report = _lock_report(report)
    if report.review_state != Review.DRAFT:
        raise InvalidTransition("Only a draft can be submitted for review.")
    missing = [
        label
        for name, label in REPORT_REQUIRED_FOR_REVIEW.items()
        if not (
            getattr(report, name).strip()
            if isinstance(getattr(report, name), str)
            else getattr(report, name)
        )
    ]
    if missing:
        raise DomainError(f"Before review, fill in: {', '.join(missing)}.")
    report.review_state = Review.IN_REVIEW
    report.version += 1
    report.save(update_fields=["review_state", "version", "updated_at"])
    _entry(report.incident, kind=Kind.NOTE, author=by, body="Report submitted for review.")
    return report


@transaction.atomic
def report_return_to_draft(*, report: IncidentReport, by, reason: str = "") -> IncidentReport:
    _require_staff(by, "review incident reports")
    report = _lock_report(report)
    if report.review_state != Review.IN_REVIEW:
        raise InvalidTransition("Only a report in review can go back to draft.")
    report.review_state = Review.DRAFT
    report.version += 1
    report.save(update_fields=["review_state", "version", "updated_at"])
    why = f" Why: {reason.strip()}" if reason and reason.strip() else ""
    _entry(report.incident, kind=Kind.NOTE, author=by, body=f"Report returned to draft.{why}")
    return report


@transaction.atomic
def report_mark_reviewed(*, report: IncidentReport, by) -> IncidentReport:
    """in review -> reviewed: published in the public archive and e-mailed to the
    representatives. Any staff member may review (the owner included)."""
    _require_staff(by, "review incident reports")
    report = _lock_report(report)
    if report.review_state != Review.IN_REVIEW:
        raise InvalidTransition("Only a report in review can be marked reviewed.")
    now = timezone.now()
    report.review_state = Review.REVIEWED
    report.reviewed_by = by
    report.reviewed_at = now
    report.published_at = now
    report.version += 1
    report.save(
        update_fields=[
            "review_state",
            "reviewed_by",
            "reviewed_at",
            "published_at",
            "version",
            "updated_at",
        ]
    )
    incident = report.incident
    link = report_public_url(report)
    text = (
        "Hi {representative_name},\n\n"
        f"The report on {incident.reference} ({incident.title}) has been reviewed and "
        f"published: {link}\n\nIt explains what happened, why, and what we are changing so "
        "that it does not happen again."
    )
    via_requests = _post_to_linked_requests(incident, by=by, body=text)
    _tell_representatives(
        incident,
        key=f"incident:{incident.pk}:report:{report.pk}:user:{{uid}}",
        kind="incident_report",
        subject=f"[{incident.reference}] Incident report: {incident.title}",
        body_for=lambda m: _personalise(text, _greeting_name(m.user)),
        url=link,
        skip_user_ids=via_requests,
    )
    _entry(
        incident,
        kind=Kind.NOTE,
        author=by,
        at=now,
        body=f"Report reviewed by {_name(by)} and published.",
    )
    emit_event("report_published", report=report, url=link)
    return report


@transaction.atomic
def action_item_add(
    *, report: IncidentReport, by, description: str, follow_up_url: str, owner=None
) -> ActionItem:
    _require_staff(by, "add action items")
    description = (description or "").strip()
    follow_up_url = (follow_up_url or "").strip()
    if not description:
        raise DomainError("Describe the action item.", field="description")
    if not follow_up_url:
        raise DomainError("Link the follow-up issue that tracks it.", field="follow_up_url")
    if owner is not None and not is_staff_member(owner):
        raise DomainError("Action items are owned by members of the team.", field="owner")
    report = _lock_report(report)
    item = ActionItem.objects.create(
        report=report,
        description=description[:500],
        follow_up_url=follow_up_url,
        owner=owner,
        created_at=timezone.now(),
    )
    report.version += 1
    report.save(update_fields=["version", "updated_at"])
    emit_event("action_item_added", item=item)
    return item


@transaction.atomic
def action_item_set_done(*, item: ActionItem, by, done: bool) -> ActionItem:
    """Tracked to done, also after the report is published."""
    _require_staff(by, "update action items")
    item = ActionItem.objects.select_for_update().get(pk=item.pk)
    if item.done == done:
        return item
    item.done = done
    item.done_at = timezone.now() if done else None
    item.save(update_fields=["done", "done_at"])
    return item


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
def action_item_follow_up_changed(*, item: ActionItem, done: bool) -> ActionItem:
    """The follow-up issue of an action item closed (done) or reopened (not done)."""
    item = ActionItem.objects.select_for_update().get(pk=item.pk)
    if item.done == done:
        return item
    item.done = done
    item.done_at = timezone.now() if done else None
    item.save(update_fields=["done", "done_at"])
    return item
