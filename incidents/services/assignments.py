"""Incident roles (DOMAIN.md "Roles during an incident"): the Incident Commander and the
External Liaison, handed off with history, and the Subject Matter Experts.

A hand-off of the commander or liaison role is made by the current commander, the current holder
of that role, a project manager or an admin; while an incident has no commander any staff member
may take the role. Every change is a timeline entry; whoever is given a role is told."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop, pgettext

from accounts.language import language_for
from accounts.models import User
from accounts.roles import check_staff, is_staff_member
from incidents import messages
from incidents.models import Incident, RoleAssignment, TimelineEntry
from incidents.selectors import current_roles
from incidents.services.common import (
    _entry,
    _is_manager_or_admin,
    _lock_incident,
    _save_incident,
)
from notifications.services import notify
from supportdesk.errors import DomainError, InvalidTransition, PermissionDenied

State = Incident.State
Role = RoleAssignment.Role
Kind = TimelineEntry.Kind


@transaction.atomic
def incident_handoff(
    *, incident: Incident, role: str, to_user: User, by: User, reason: str
) -> RoleAssignment:
    """Pass the commander or liaison role on: the current assignment ends, a new one starts, and
    the timeline records who, when and why. When the commander hands off while also acting as
    liaison (the default), or nobody is liaison, the liaison role goes to the new commander too.
    With no current holder (an alert-declared incident) this is how somebody takes command."""
    check_staff(by, gettext_noop("hand off incident roles"))
    if role not in (Role.COMMANDER, Role.LIAISON):
        raise DomainError(
            gettext("Only the commander and liaison roles are handed off."), field="role"
        )
    if not is_staff_member(to_user):
        raise DomainError(gettext("Incident roles go to members of the team."), field="to_user")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(gettext("Say why the role is handed off."), field="reason")
    incident = _lock_incident(incident)
    if incident.state == State.CLOSED:
        raise InvalidTransition(
            pgettext("incident", "%(reference)s is closed.") % {"reference": incident.reference}
        )
    roles = current_roles(incident=incident)
    holder = roles.commander if role == Role.COMMANDER else roles.liaison
    if not (
        roles.commander is None
        or roles.holds(by, Role.COMMANDER)
        or (holder is not None and holder.pk == by.pk)
        or _is_manager_or_admin(by)
    ):
        raise PermissionDenied(
            gettext(
                "Only the Incident Commander, the current holder of the role, a project manager "
                "or an admin can hand it off."
            )
        )
    if holder is not None and holder.pk == to_user.pk:
        raise DomainError(
            gettext("%(name)s already holds this role.") % {"name": to_user.display_name},
            field="to_user",
        )
    now = timezone.now()
    moves = [(role, holder)]
    if role == Role.COMMANDER and (
        roles.liaison is None or (holder is not None and roles.holds(holder, Role.LIAISON))
    ):
        # The liaison is the commander unless the commander delegated it (DOMAIN.md).
        moves.append((Role.LIAISON, roles.liaison))
    created: list[RoleAssignment] = []
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
        created.append(assignment)
        label = Role(moved_role).label
        _entry(
            incident,
            kind=Kind.HANDOFF,
            author=by,
            at=now,
            body=messages.role_handed_off(
                label=label, previous=previous, to_user=to_user, by=by, reason=reason
            ),
        )
    _save_incident(incident)
    new_assignment = created[0]  # the role handed off; the liaison's may follow it
    _tell_role_holder(
        new_assignment,
        by=by,
        subject_for=lambda: messages.role_given(label=Role(role).label),
        body_for=lambda: messages.role_given_body(incident, by=by, reason=reason),
    )
    return new_assignment


def _tell_role_holder(assignment: RoleAssignment, *, by, subject_for, body_for) -> None:
    """Tell whoever was given a role (not when people give it to themselves), in their
    language: `subject_for()` and `body_for()` write the texts."""
    incident, user = assignment.incident, assignment.user
    if user.pk == by.pk:
        return
    with translation.override(language_for(user)):
        subject, body = messages.subject(incident, subject_for()), body_for()
    notify(
        key=f"incident:{incident.pk}:role:{assignment.pk}:user:{user.pk}",
        kind="incident_role",
        subject=subject,
        body=body,
        user=user,
        url=reverse("incidents:detail", args=[incident.pk]),
        incident=incident,
    )


@transaction.atomic
def incident_add_sme(*, incident: Incident, user: User, by: User) -> RoleAssignment:
    check_staff(by, gettext_noop("add subject matter experts"))
    if not is_staff_member(user):
        raise DomainError(gettext("Subject matter experts are members of the team."), field="user")
    incident = _lock_incident(incident)
    if incident.state == State.CLOSED:
        raise InvalidTransition(
            pgettext("incident", "%(reference)s is closed.") % {"reference": incident.reference}
        )
    if incident.roles.filter(role=Role.SME, user=user, ended_at__isnull=True).exists():
        raise DomainError(
            gettext("%(name)s is already a subject matter expert.") % {"name": user.display_name},
            field="user",
        )
    now = timezone.now()
    assignment = RoleAssignment.objects.create(
        incident=incident, role=Role.SME, user=user, assigned_by=by, started_at=now
    )
    _entry(
        incident,
        kind=Kind.HANDOFF,
        author=by,
        at=now,
        body=messages.sme_joined(user=user, by=by),
    )
    _save_incident(incident)
    _tell_role_holder(
        assignment,
        by=by,
        subject_for=messages.sme_given,
        body_for=lambda: messages.sme_given_body(incident, by=by),
    )
    return assignment


@transaction.atomic
def incident_remove_sme(*, incident: Incident, user: User, by: User) -> None:
    check_staff(by, gettext_noop("change subject matter experts"))
    incident = _lock_incident(incident)
    now = timezone.now()
    if not incident.roles.filter(role=Role.SME, user=user, ended_at__isnull=True).update(
        ended_at=now
    ):
        raise DomainError(
            gettext("%(name)s is not a subject matter expert here.") % {"name": user.display_name}
        )
    _entry(
        incident,
        kind=Kind.HANDOFF,
        author=by,
        at=now,
        body=messages.sme_left(user=user, by=by),
    )
    _save_incident(incident)
