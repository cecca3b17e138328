"""What the incident services write for people to read: timeline wording, e-mail subjects and
bodies, and the fallback canned responses. The rules that decide when each is written live in
incidents/services/; change the wording here.

Error messages stay beside the rule that raises them."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext

from supportdesk.zones import format_utc
from tickets.models import CannedResponse

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
# The {context} of the prefilled resolution message.
RESOLUTION_CONTEXT = "Thank you for your patience."


def name(user) -> str:
    return user.display_name if user is not None else "the system"


def subject(incident, what: str) -> str:
    """An e-mail subject about `incident`: "[INC-7] <what>"."""
    return f"[{incident.reference}] {what}"


# --- Declaring and the state machine ----------------------------------------------------------
def declared(incident, *, hub_names: str) -> str:
    return (
        f"Incident declared ({incident.get_detected_by_display().lower()}): "
        f"{incident.get_symptom_display().lower()} on {hub_names}."
    )


def declared_note(
    *, by, affected_users: int, meets: bool, override_reason: str, from_request
) -> str:
    """The internal note beside the declaration: who, how many, and anything unusual."""
    internal = [f"Declared by {name(by)}; about {affected_users} users affected."]
    if by is None:
        internal.append("No Incident Commander yet: somebody must take command.")
    if not meets:
        internal.append(f"Declared although the definition is not met. Reason: {override_reason}")
    if from_request is not None:
        internal.append(f"Reported in {from_request.reference}: {from_request.subject}")
    return "\n\n".join(internal)


def paging_stopped(*, by, minutes: int) -> str:
    return f"Acknowledged by {name(by)} {minutes} min after it opened: paging stopped."


ACKNOWLEDGED = "Acknowledged: the team is working on it."


def acknowledgement_subject(incident) -> str:
    return subject(incident, gettext("We are on it: %(title)s") % {"title": incident.title})


def acknowledgement_sent(*, told: int, by) -> str:
    return (
        f"Acknowledgement sent to {told} representative(s) by {name(by)}: the first "
        "community update; the next is due within 3 working hours."
    )


def resolved(*, impact_ended_at: datetime.datetime, verification_note: str) -> str:
    return (
        f"Resolved: service restored, impact ended {format_utc(impact_ended_at)}.\n\n"
        f"How it was verified: {verification_note}"
    )


def resolved_subject(incident) -> str:
    return subject(incident, gettext("Resolved: %(title)s") % {"title": incident.title})


COMMUNITY_CONFIRMED = "The community confirmed that service is back."


def closed(incident, *, automatically: bool) -> str:
    how = (
        "community confirmed"
        if incident.community_confirmed_at
        else "no reply from the community within 48 working hours"
    )
    return f"Closed{' automatically' if automatically else ''} ({how}; report reviewed)."


# --- Escalation (the 30-minute time-box) ------------------------------------------------------
def escalation_subject(incident) -> str:
    return subject(incident, f"Not fixed in 30 minutes: {incident.title}")


def escalation_body(incident, *, by, hubs: str) -> str:
    who = (
        f"{name(by)} could not fix {incident.reference} ({hubs})"
        if by is not None
        else f"{incident.reference} ({hubs}) is still unresolved"
    )
    return (
        f"{who} after the 30-minute time-box. The team and the project manager are "
        "alerted; see the war room."
    )


def escalated(*, by) -> str:
    return "Not fixed within 30 minutes: engineering team and project manager alerted" + (
        " automatically (time-box over)." if by is None else "."
    )


# --- Roles ------------------------------------------------------------------------------------
def role_handed_off(*, label: str, previous, to_user, by, reason: str) -> str:
    return (
        f"{label}: {name(previous) if previous else 'nobody'} → {to_user.display_name} "
        f"(by {name(by)}). Why: {reason}"
    )


def role_given(*, label: str) -> str:
    return f"You are now {label}"


def role_given_body(incident, *, by, reason: str) -> str:
    return f"{by.display_name} handed you the role on {incident}: {reason}"


def sme_joined(*, user, by) -> str:
    return f"{user.display_name} joined as Subject Matter Expert (by {name(by)})."


SME_GIVEN = "You are a Subject Matter Expert"


def sme_given_body(incident, *, by) -> str:
    return f"{by.display_name} pulled you into {incident}."


def sme_left(*, user, by) -> str:
    return f"{user.display_name} left the Subject Matter Experts (by {name(by)})."


# --- The live log -----------------------------------------------------------------------------
def impact_start_changed(*, previous: datetime.datetime, at: datetime.datetime, by) -> str:
    return f"Impact start changed from {format_utc(previous)} to {format_utc(at)} by {name(by)}."


def update_subject(incident) -> str:
    return subject(incident, gettext("Update: %(title)s") % {"title": incident.title})


# --- The report -------------------------------------------------------------------------------
def report_impact(incident) -> str:
    """The pre-filled impact text of a new report."""
    return (
        f"About {incident.affected_users} users of "
        f"{', '.join(h.name for h in incident.hubs.all())}: "
        f"{incident.get_symptom_display().lower()}."
    )


def report_drafted(*, owner) -> str:
    return f"Report drafted; owner {name(owner)}."


def impact_window_changed(*, by, changes: list[str]) -> str:
    return f"Impact window changed in the report by {name(by)}: {'; '.join(changes)}."


REPORT_SUBMITTED = "Report submitted for review."


def report_returned(*, reason: str) -> str:
    why = f" Why: {reason.strip()}" if reason and reason.strip() else ""
    return f"Report returned to draft.{why}"


def report_published_body(incident, *, link: str) -> str:
    """To the representatives ({representative_name} is filled per recipient), in the active
    language."""
    return gettext(
        "Hi {representative_name},\n\n"
        "The report on %(reference)s (%(title)s) has been reviewed and published: %(link)s\n\n"
        "It explains what happened, why, and what we are changing so that it does not happen "
        "again."
    ) % {"reference": incident.reference, "title": incident.title, "link": link}


def report_published_subject(incident) -> str:
    return subject(incident, gettext("Incident report: %(title)s") % {"title": incident.title})


def report_reviewed(*, by) -> str:
    return f"Report reviewed by {name(by)} and published."
