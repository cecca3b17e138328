"""The rules of a support request, each written once (DOMAIN.md "Lifecycle of a non-incident
request"): who may act on it, and in which state.

Zulip's naming: a `check_*` function returns nothing when the action is allowed and raises the
DomainError that says why not (PermissionDenied: who; InvalidTransition: the state). The service
asks it before it acts; a page asks the same function, through `supportdesk.errors.refusal`, to
decide which actions to offer, so the page and the service cannot disagree. The services check
the state on the row they have locked.
"""

from __future__ import annotations

from django.utils.translation import gettext

from accounts.roles import is_staff_member, representative_community
from supportdesk.errors import InvalidTransition, PermissionDenied
from tickets.models import SupportRequest

Status = SupportRequest.Status
Category = SupportRequest.Category

# DOMAIN.md "Kinds of support request": two or more users and one of four symptoms.
INCIDENT_MIN_AFFECTED_USERS = 2


def meets_incident_definition(
    *,
    affected_users: int,
    cannot_log_in: bool = False,
    cannot_start_servers: bool = False,
    cannot_run_code: bool = False,
    cannot_use_dask: bool = False,
) -> bool:
    """DOMAIN.md: an incident when two or more users cannot log in, start their servers,
    execute code, or create or use Dask Gateway clusters. Anything else is not."""
    symptom = cannot_log_in or cannot_start_servers or cannot_run_code or cannot_use_dask
    return bool(symptom) and (affected_users or 0) >= INCIDENT_MIN_AFFECTED_USERS


# --- who -------------------------------------------------------------------------------------


def is_representative_of(user, support_request: SupportRequest) -> bool:
    """Whether `user` speaks for the request's community."""
    community = representative_community(user)
    return community is not None and community.pk == support_request.community_id


def check_team_or_representative(*, user, support_request: SupportRequest, action: str) -> None:
    """The public side of a request (reply, reopen, attach files): the support team, or the
    representative of the request's community. `action` is marked with gettext_noop by the
    caller and translated here."""
    if not is_staff_member(user) and not is_representative_of(user, support_request):
        raise PermissionDenied(
            gettext("Only the support team and the community's representative can %(action)s.")
            % {"action": gettext(action)}
        )


def check_requester_or_representative(*, user, support_request: SupportRequest) -> None:
    """A reply that may open a follow-up (web, API, e-mail): the requester (who may have
    written by e-mail without being a representative) or the community's representative."""
    if not (user.pk == support_request.requester_id or is_representative_of(user, support_request)):
        raise PermissionDenied(
            gettext("Only the requester or the community's representative can reply.")
        )


# --- when ------------------------------------------------------------------------------------


def check_confirm(*, user, support_request: SupportRequest) -> None:
    """Step 8: the community's representative confirms a resolved request."""
    if not is_representative_of(user, support_request):
        raise PermissionDenied(
            gettext("Only the community's representative can confirm a resolution.")
        )
    if support_request.status != Status.RESOLVED:
        raise InvalidTransition(
            gettext("Only a resolved request can be confirmed; %(reference)s is not.")
            % {"reference": support_request.reference}
        )


def check_resolve(*, support_request: SupportRequest) -> None:
    """Step 7: a triaged or planned request can be resolved."""
    r = support_request
    if r.status == Status.NEW:
        raise InvalidTransition(
            gettext("Triage %(reference)s before resolving it.") % {"reference": r.reference}
        )
    if r.status == Status.RESOLVED:
        raise InvalidTransition(
            gettext("%(reference)s is already resolved.") % {"reference": r.reference}
        )
    if r.status == Status.CLOSED:
        raise InvalidTransition(gettext("%(reference)s is closed.") % {"reference": r.reference})


def check_link_issue(*, support_request: SupportRequest) -> None:
    """Step 5: a triaged (or planned) request that is not an incident goes to work planning."""
    r = support_request
    if r.status == Status.NEW:
        raise InvalidTransition(
            gettext("Triage %(reference)s before linking an engineering issue.")
            % {"reference": r.reference}
        )
    if r.status in (Status.RESOLVED, Status.CLOSED):
        raise InvalidTransition(
            gettext("%(reference)s is %(status)s.")
            % {"reference": r.reference, "status": r.get_status_display().lower()}
        )
    if r.category == Category.INCIDENT:
        raise InvalidTransition(
            gettext("Incidents are followed in the incidents app, not through work planning.")
        )


def check_close(*, support_request: SupportRequest) -> None:
    """A steward closes a request that was triaged and answered (resolved or not)."""
    r = support_request
    if r.status == Status.CLOSED:
        raise InvalidTransition(
            gettext("%(reference)s is already closed.") % {"reference": r.reference}
        )
    _check_answered_and_triaged(r)


def check_auto_close(*, support_request: SupportRequest, now) -> None:
    """A resolved request closes by itself once its auto-close deadline has passed."""
    r = support_request
    if r.status == Status.CLOSED:
        raise InvalidTransition(
            gettext("%(reference)s is already closed.") % {"reference": r.reference}
        )
    if r.status != Status.RESOLVED or r.auto_close_due_at is None:
        raise InvalidTransition(
            gettext("%(reference)s is not resolved, so it does not auto-close.")
            % {"reference": r.reference}
        )
    if r.auto_close_due_at > now:
        raise InvalidTransition(
            gettext("%(reference)s is not due to close yet.") % {"reference": r.reference}
        )
    _check_answered_and_triaged(r)


def _check_answered_and_triaged(r: SupportRequest) -> None:
    if r.first_responded_at is None:
        raise InvalidTransition(
            gettext(
                "%(reference)s has never been answered: reply to the representative before closing."
            )
            % {"reference": r.reference}
        )
    if r.status == Status.NEW:
        raise InvalidTransition(
            gettext("Triage %(reference)s before closing it.") % {"reference": r.reference}
        )


def check_link_incident(*, support_request: SupportRequest) -> None:
    """A request that is not closed can become (part of) an incident."""
    if support_request.status == Status.CLOSED:
        raise InvalidTransition(
            gettext("%(reference)s is closed.") % {"reference": support_request.reference}
        )
