"""The life of an incident (DOMAIN.md "Lifecycle of an incident"): declaring, acknowledging,
resolving, the community's confirmation, closing, and escalation after the 30-minute time-box.

State machine, enforced here (InvalidTransition otherwise):

    triggered --acknowledge--> acknowledged --resolve--> resolved --close--> closed

Closing needs a reviewed report AND (the community confirmed OR the 48-working-hour auto-close
deadline passed). `incident_auto_close_due` (beat) closes what qualifies.

Every staff member may declare, acknowledge, escalate, resolve and close (the desk works as a
team); the community's confirmation that service is back comes from one of its representatives,
or from staff recording it on their behalf."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from accounts.language import language_for
from accounts.models import User
from accounts.roles import check_staff
from incidents import messages, paging, rules
from incidents.models import Incident, IncidentReport, RoleAssignment, TimelineEntry
from incidents.selectors import current_roles
from incidents.services.common import _entry, _lock_incident, _save_incident
from incidents.services.updates import (
    _close_linked_requests,
    _greeting_name,
    _personalise,
    _post_to_linked_requests,
    _resolve_linked_requests,
    _tell_representatives,
    canned_template,
    placeholder_values,
    resolution_message,
)
from notifications.services import notify
from slo.services import refresh_incident_deadlines
from supportdesk.errors import DomainError, InvalidTransition, refusal
from supportdesk.events import emit as emit_event
from supportdesk.zones import format_utc
from tickets import services as tickets_services
from tickets.canned import fill_placeholders, refuse_unfilled
from tickets.models import CannedResponse, SupportRequest
from tickets.rules import meets_incident_definition

State = Incident.State
Role = RoleAssignment.Role
Kind = TimelineEntry.Kind
Review = IncidentReport.Review


# --- Declaring --------------------------------------------------------------------------------
@transaction.atomic
def incident_declare(
    *,
    by: User | None,
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
        check_staff(by, gettext_noop("declare incidents"))
    at = at or timezone.now()
    hubs = list(hubs)
    title = (title or "").strip()
    override_reason = (override_reason or "").strip()
    if not title:
        raise DomainError(gettext("Give the incident a short title."), field="title")
    if not hubs:
        raise DomainError(gettext("Choose at least one affected hub."), field="hubs")
    if symptom not in Incident.Symptom.values:
        raise DomainError(gettext("Choose the symptom."), field="symptom")
    if detected_by not in Incident.Detection.values:
        raise DomainError(gettext("Say how the incident was detected."), field="detected_by")
    if severity not in Incident.Severity.values:
        raise DomainError(gettext("Choose the severity."), field="severity")
    if affected_users is None or affected_users < 0:
        raise DomainError(
            gettext("The number of affected users cannot be negative."), field="affected_users"
        )
    meets = meets_incident_definition(affected_users=affected_users, **rules.symptom_flags(symptom))
    if not meets and not override_reason:
        raise DomainError(
            gettext(
                "This does not meet the incident definition: two or more users of a hub cannot "
                "log in, start their servers, run code, or use Dask Gateway. To declare it "
                "anyway, confirm the override with a reason."
            ),
            field="override_reason",
        )
    impact_started_at = impact_started_at or at
    if impact_started_at > at:
        raise DomainError(
            gettext("Impact cannot start after the incident is declared."),
            field="impact_started_at",
        )
    if from_request is not None:
        if by is None:
            raise DomainError(
                gettext("Only a member of the team declares an incident from a request.")
            )
        linked = SupportRequest.objects.filter(pk=from_request.pk).values_list(
            "incident_id", flat=True
        )
        if linked and linked[0]:
            raise DomainError(
                gettext("%(reference)s is already linked to INC-%(number)s.")
                % {"reference": from_request.reference, "number": linked[0]},
                field="request",
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
        body=messages.declared(incident, hub_names=hub_names),
    )
    note = messages.declared_note(
        by=by,
        affected_users=affected_users,
        meets=meets,
        override_reason=override_reason,
        from_request=from_request,
    )
    _entry(incident, kind=Kind.NOTE, author=by, at=at, body=note)
    if from_request is not None:
        tickets_services.request_link_incident(
            support_request=from_request, incident=incident, by=by
        )
    emit_event("incident_declared", incident=incident)
    paging.paging_start(incident, at=at)
    return incident


# --- Transitions ------------------------------------------------------------------------------
@transaction.atomic
def incident_acknowledge(*, incident: Incident, by: User) -> Incident:
    """triggered -> acknowledged. Sends the acknowledgement canned response to the affected
    communities' representatives, and posts it on linked requests. Whoever acknowledges an
    incident that has no commander (declared by an alert) becomes its commander and liaison."""
    check_staff(by, gettext_noop("acknowledge incidents"))
    incident = _lock_incident(incident)
    rules.check_acknowledge(incident=incident)
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
            body=messages.paging_stopped(by=by, minutes=minutes),
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

    def body_for(membership):  # in the recipient's language (a fallback template is lazy)
        community_hubs = [h for h in hubs if h.community_id == membership.community_id]
        values = placeholder_values(
            incident, by=by, hubs=community_hubs, community=membership.community
        )
        values["representative_name"] = _greeting_name(membership.user)
        return fill_placeholders(str(template), values)

    via_requests = _post_to_linked_requests(
        incident,
        by=by,
        body=fill_placeholders(str(template), placeholder_values(incident, by=by, hubs=hubs)),
        canned=canned,
    )
    told = len(via_requests) + _tell_representatives(
        incident,
        key=f"incident:{incident.pk}:ack:user:{{uid}}",
        kind="incident_ack",
        subject_for=lambda: messages.acknowledgement_subject(incident),
        body_for=body_for,
        skip_user_ids=via_requests,
    )
    _entry(
        incident,
        kind=Kind.STATE,
        author=by,
        at=now,
        is_public=True,
        body=messages.ACKNOWLEDGED,
    )
    _entry(
        incident,
        kind=Kind.COMMUNICATION,
        author=by,
        at=now,
        body=messages.acknowledgement_sent(told=told, by=by),
    )
    return incident


@transaction.atomic
def incident_resolve(
    *,
    incident: Incident,
    by: User,
    impact_ended_at: datetime.datetime,
    verification_note: str,
    message: str = "",
) -> Incident:
    """acknowledged -> resolved: records impact end and how the fix was verified, and tells the
    representatives (the given message, else the incident_resolved canned response)."""
    check_staff(by, gettext_noop("resolve incidents"))
    incident = _lock_incident(incident)
    rules.check_resolve(incident=incident)
    now = timezone.now()
    verification_note = (verification_note or "").strip()
    if not verification_note:
        raise DomainError(gettext("Say how the fix was verified."), field="verification_note")
    if (message or "").strip():
        refuse_unfilled(message, field="message", allowed=("representative_name",))
    if impact_ended_at is None:
        raise DomainError(gettext("Give the end of impact."), field="impact_ended_at")
    if impact_ended_at > now:
        raise DomainError(gettext("Impact end cannot be in the future."), field="impact_ended_at")
    if impact_ended_at < incident.impact_started_at:
        raise DomainError(
            gettext("Impact end is before impact start (%(start)s).")
            % {"start": format_utc(incident.impact_started_at)},
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
    write = None  # no message of the steward's: the prefilled one, in each reader's language
    if not text:
        canned, write = resolution_message(incident, by=by)
        text = write()
    via_requests = _resolve_linked_requests(incident, by=by, body=text, canned=canned)
    _tell_representatives(
        incident,
        key=f"incident:{incident.pk}:resolved:user:{{uid}}",
        kind="incident_resolved",
        subject_for=lambda: messages.resolved_subject(incident),
        body_for=lambda m: _personalise(write() if write else text, _greeting_name(m.user)),
        skip_user_ids=via_requests,
    )
    _entry(
        incident,
        kind=Kind.STATE,
        author=by,
        at=now,
        is_public=True,
        body=messages.resolved(
            impact_ended_at=impact_ended_at, verification_note=verification_note
        ),
    )
    emit_event("incident_resolved", incident=incident)
    return incident


@transaction.atomic
def incident_community_confirm(*, incident: Incident, by: User) -> Incident:
    """The community confirms that service is back (a representative, or staff on their
    behalf). Confirming twice changes nothing."""
    incident = _lock_incident(incident)
    rules.check_community_confirm(incident=incident, user=by)
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
        body=messages.COMMUNITY_CONFIRMED,
    )
    return incident


def _close(incident: Incident, *, by, now: datetime.datetime, automatically: bool) -> None:
    incident.state = State.CLOSED
    incident.closed_at = now
    fields = refresh_incident_deadlines(incident)
    _save_incident(incident, "state", "closed_at", *fields)
    _entry(
        incident,
        kind=Kind.STATE,
        author=by,
        at=now,
        is_public=True,
        body=messages.closed(incident, automatically=automatically),
    )


@transaction.atomic
def incident_close(*, incident: Incident, by: User) -> Incident:
    check_staff(by, gettext_noop("close incidents"))
    incident = _lock_incident(incident)
    now = timezone.now()
    rules.check_close(incident=incident, now=now)
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
            if incident is None or refusal(rules.check_close, incident=incident, now=now):
                continue
            _close(incident, by=None, now=now, automatically=True)
            closed += 1
    return closed


@transaction.atomic
def incident_escalate(*, incident: Incident, by: User | None) -> Incident:
    """ "Cannot fix it in 30 minutes": notify every active engineer and every project manager.
    Idempotent: a second call (a double click, a retried task) changes and sends nothing."""
    if by is not None:
        check_staff(by, gettext_noop("escalate incidents"))
    incident = _lock_incident(incident)
    if incident.escalated_at:
        return incident
    if not incident.is_open:
        raise InvalidTransition(
            gettext("%(reference)s is no longer open.") % {"reference": incident.reference}
        )
    now = timezone.now()
    incident.escalated_at = now
    _save_incident(incident, "escalated_at")
    recipients = User.objects.filter(
        Q(engineer__is_active=True) | Q(is_project_manager=True, is_staff=True),
        is_active=True,
    ).distinct()
    hubs = ", ".join(h.name for h in incident.hubs.all())
    for user in recipients:
        with translation.override(language_for(user)):
            subject = messages.escalation_subject(incident)
            body = messages.escalation_body(incident, by=by, hubs=hubs)
        notify(
            key=f"incident:{incident.pk}:escalated:user:{user.pk}",
            kind="incident_escalated",
            subject=subject,
            body=body,
            user=user,
            url=reverse("incidents:detail", args=[incident.pk]),
            incident=incident,
        )
    _entry(
        incident,
        kind=Kind.ESCALATION,
        author=by,
        at=now,
        body=messages.escalated(by=by),
    )
    return incident
