"""Telling the community (DOMAIN.md "Lifecycle of an incident", steps 6 to 9): the canned
responses an incident fills in, the community update, and the two ways a message reaches
people. Every open request linked to the incident gets it as a reply through
tickets.services.request_reply (which e-mails its requester); the other representatives of the
affected communities are e-mailed here, so nobody gets the same message twice.

Community updates are sent by the External Liaison or the Incident Commander; only while the
incident has neither may any staff member send them (e.g. an alert-declared incident)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from accounts.language import language_for
from accounts.models import User
from accounts.roles import check_staff, is_staff_member
from incidents import messages, rules
from incidents.models import Incident, RoleAssignment, TimelineEntry
from incidents.selectors import current_roles, representative_memberships
from incidents.services.common import (
    _entry,
    _lock_incident,
    _save_incident,
    incident_url,
)
from notifications.services import notify
from slo.services import refresh_incident_deadlines
from supportdesk.errors import DomainError
from supportdesk.events import emit as emit_event
from tickets import services as tickets_services
from tickets.canned import empty_sections, fill_placeholders, refuse_unfilled
from tickets.models import CannedResponse, SupportRequest

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Role = RoleAssignment.Role
Kind = TimelineEntry.Kind


def canned_template(purpose: str) -> tuple[CannedResponse | None, StrOrPromise]:
    """The active canned response of `purpose` and its text; without one, the fallback text,
    lazily translated: str() it in the reader's language."""
    canned = CannedResponse.objects.filter(purpose=purpose, is_active=True).order_by("pk").first()
    return canned, (canned.body if canned else messages.FALLBACK_TEMPLATES[purpose])


def placeholder_values(
    incident: Incident, *, by: User | None = None, hubs=None, community=None
) -> dict:
    """Values for a canned response about `incident`; {representative_name} is left for each
    recipient (see `_personalise`)."""
    hubs = list(hubs if hubs is not None else incident.hubs.all())
    return {
        "reference": incident.reference,
        "subject": incident.title,
        "hub": ", ".join(h.name for h in hubs) or messages.YOUR_HUB,
        "community": community.name if community else "",
        "steward_name": by.display_name if by else messages.THE_SUPPORT_TEAM,
        "link": incident_url(incident),
        # The templates end the sentence themselves ("related to {context}.").
        "context": incident.summary.strip().rstrip(".") or incident.get_symptom_display().lower(),
    }


def prefill_update_body(incident: Incident, *, by: User) -> str:
    """The incident_update canned response with everything but the recipient's name filled."""
    _, body = canned_template(CannedResponse.Purpose.INCIDENT_UPDATE)
    values = placeholder_values(incident, by=by)
    values["context"] = incident.get_state_display()
    return fill_placeholders(str(body), values)


def resolution_message(incident: Incident, *, by: User) -> tuple[CannedResponse | None, Callable]:
    """The canned resolution message (None: the fallback) and a function writing the message
    prefilled from it in the active language (asked once per reader, without queries)."""
    canned, body = canned_template(CannedResponse.Purpose.INCIDENT_RESOLVED)
    values = placeholder_values(incident, by=by)
    values["context"] = messages.RESOLUTION_CONTEXT
    return canned, lambda: fill_placeholders(str(body), values)


def prefill_resolution_message(incident: Incident, *, by: User) -> str:
    return resolution_message(incident, by=by)[1]()


def check_update_complete(body: str) -> None:
    """A community update says the current state, what was tried and the next steps: a section
    of the template left empty, or a placeholder left in braces, refuses the send (each named).
    {representative_name} is filled in per recipient."""
    refuse_unfilled(body, allowed=("representative_name",))
    empty = empty_sections(body)
    if empty:
        raise DomainError(
            gettext(
                "Not sent: write something under %(parts)s; every part of the update is required."
            )
            % {"parts": ", ".join(repr(e) for e in empty)},
            field="body",
        )


def _greeting_name(user) -> str:
    """How a message greets a representative (as tickets/services.py does: the first name)."""
    return user.first_name or user.display_name


def _personalise(text: str, name: str) -> str:
    return fill_placeholders(text, {"representative_name": name or messages.THERE})


def _tell_representatives(
    incident: Incident,
    *,
    key: str,
    kind: str,
    subject_for,
    body_for,
    url: str = "",
    skip_user_ids: frozenset[int] = frozenset(),
) -> int:
    """E-mail every representative of the affected communities, except those already told
    through their own request (`skip_user_ids`). `subject_for()` and `body_for(membership)`
    build the texts, in the recipient's language (accounts.language); `key` is formatted with
    the recipient's user id, so a retry sends nothing twice."""
    sent = 0
    for membership in representative_memberships(incident=incident):
        user = membership.user
        if user.pk in skip_user_ids:
            continue
        with translation.override(language_for(user)):
            subject, body = subject_for(), body_for(membership)
        if notify(
            key=key.format(uid=user.pk),
            kind=kind,
            subject=subject,
            body=body,
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
            support_request=support_request,
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
            support_request=support_request,
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
        tickets_services.request_close(support_request=support_request, by=by)


@transaction.atomic
def incident_send_update(*, incident: Incident, by: User, body: str) -> TimelineEntry:
    """A community update (current state, what was tried, next steps): e-mailed to the
    representatives, posted on linked requests, a public timeline entry; resets the 3-working-
    hour update clock."""
    check_staff(by, gettext_noop("send community updates"))
    incident = _lock_incident(incident)
    rules.check_send_update(incident=incident, user=by, roles=current_roles(incident=incident))
    body = (body or "").strip()
    if not body:
        raise DomainError(gettext("The update is empty."), field="body")
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
        subject_for=lambda: messages.update_subject(incident),
        body_for=lambda m: _personalise(body, _greeting_name(m.user)),
        skip_user_ids=via_requests,
    )
    emit_event("incident_updated", incident=incident, entry=entry)
    return entry
