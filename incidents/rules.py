"""The rules of an incident, each written once (DOMAIN.md "Incidents"): who may act on it, and
in which state.

As in tickets/rules.py, a `check_*` function returns nothing when the action is allowed and
raises the DomainError that says why not; the service asks it on the row it has locked, and the
war room asks the same function (through `supportdesk.errors.refusal`) to decide what to offer.
"""

from __future__ import annotations

import datetime

from django.utils.translation import gettext

from accounts.roles import is_staff_member
from incidents.models import Incident, IncidentReport, RoleAssignment
from incidents.selectors import CurrentRoles, user_represents_affected_community
from supportdesk.errors import InvalidTransition, PermissionDenied
from supportdesk.zones import format_utc

State = Incident.State
Role = RoleAssignment.Role

# An incident's symptom, as the request form asks it (tickets.rules.meets_incident_definition).
SYMPTOM_FLAGS: dict[str, str] = {
    Incident.Symptom.LOGIN: "cannot_log_in",
    Incident.Symptom.START_SERVERS: "cannot_start_servers",
    Incident.Symptom.RUN_CODE: "cannot_run_code",
    Incident.Symptom.DASK_GATEWAY: "cannot_use_dask",
}


def symptom_flags(symptom: str) -> dict[str, bool]:
    """{"cannot_log_in": True} for Incident.Symptom.LOGIN; {} for "other"."""
    flag = SYMPTOM_FLAGS.get(symptom)
    return {flag: True} if flag else {}


def symptom_of(**flags: bool) -> str:
    """The incident symptom of a request's answers: the first one ticked, else "other"."""
    return next(
        (symptom for symptom, flag in SYMPTOM_FLAGS.items() if flags.get(flag)),
        Incident.Symptom.OTHER,
    )


def check_acknowledge(*, incident: Incident) -> None:
    """triggered -> acknowledged (the paging stops)."""
    if incident.state != State.TRIGGERED:
        raise InvalidTransition(
            gettext("%(reference)s is %(state)s; only a triggered incident can be acknowledged.")
            % {"reference": incident.reference, "state": incident.get_state_display().lower()}
        )


def check_send_update(*, incident: Incident, user, roles: CurrentRoles) -> None:
    """Community updates are for open incidents, sent by the External Liaison or the Incident
    Commander (by anyone on the team while neither role is held)."""
    if not incident.is_open:
        raise InvalidTransition(
            gettext("%(reference)s is %(state)s; updates are for open incidents.")
            % {"reference": incident.reference, "state": incident.get_state_display().lower()}
        )
    if (roles.liaison or roles.commander) and not (
        roles.holds(user, Role.LIAISON) or roles.holds(user, Role.COMMANDER)
    ):
        raise PermissionDenied(
            gettext("Community updates are sent by the External Liaison or the Incident Commander.")
        )


def check_resolve(*, incident: Incident) -> None:
    """acknowledged -> resolved."""
    if incident.state != State.ACKNOWLEDGED:
        raise InvalidTransition(
            gettext("%(reference)s is %(state)s; only an acknowledged incident can be resolved.")
            % {"reference": incident.reference, "state": incident.get_state_display().lower()}
        )


def check_community_confirm(*, incident: Incident, user) -> None:
    """A representative of an affected community (or the team on their behalf) confirms that
    service is back on a resolved incident."""
    staff = is_staff_member(user)
    if not (staff or user_represents_affected_community(user=user, incident=incident)):
        raise PermissionDenied(
            gettext(
                "Only a representative of an affected community, or the support team, can confirm."
            )
        )
    if incident.state != State.RESOLVED:
        raise InvalidTransition(gettext("Only a resolved incident can be confirmed."))


def check_close(*, incident: Incident, now: datetime.datetime) -> None:
    """A resolved incident closes once its report is reviewed and the community confirmed (or
    its auto-close time has passed)."""
    if incident.state != State.RESOLVED:
        raise InvalidTransition(
            gettext("%(reference)s is %(state)s; only a resolved incident can be closed.")
            % {"reference": incident.reference, "state": incident.get_state_display().lower()}
        )
    report = IncidentReport.objects.filter(incident=incident).first()
    if report is None or report.review_state != IncidentReport.Review.REVIEWED:
        raise InvalidTransition(
            gettext("An incident closes only once its report has been reviewed.")
        )
    if incident.community_confirmed_at is None and not (
        incident.auto_close_due_at and incident.auto_close_due_at <= now
    ):
        raise InvalidTransition(
            gettext("Waiting for the community to confirm that service is back (until %(due)s).")
            % {"due": format_utc(incident.auto_close_due_at)}
            if incident.auto_close_due_at
            else gettext("Waiting for the community to confirm that service is back.")
        )
