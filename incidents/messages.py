"""What the incident services write for people to read: timeline wording, e-mail subjects and
bodies, and the fallback canned responses. The rules that decide when each is written live in
incidents/services/; change the wording here.

E-mails and the fallback texts are marked for translation and built in their recipient's
language (the services call them inside `translation.override(language_for(recipient))`).
The timeline's wording is stored once, as data, in the site's language.

Error messages stay beside the rule that raises them."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.utils.translation import gettext, gettext_lazy

from supportdesk.zones import format_utc
from tickets.models import CannedResponse

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Used only when an admin has deleted or deactivated every canned response of a purpose.
# Lazy: str() them in the reader's language. The {placeholders} stay as they are in every
# language; the "**Heading:**" sections are required parts of an update whatever their words.
FALLBACK_TEMPLATES: dict[str, StrOrPromise] = {
    CannedResponse.Purpose.INCIDENT_ACK: gettext_lazy(
        "Hi {representative_name},\n\nWe are treating this as an incident: {hub} is "
        "significantly degraded. We think it is related to {context}.\n\nFollow progress at "
        "{link}. Incidents come before all our other work.\n\n{steward_name}"
    ),
    CannedResponse.Purpose.INCIDENT_UPDATE: gettext_lazy(
        "Hi {representative_name},\n\nAn update on the incident affecting {hub}.\n\n"
        "**Current state:** {context}\n\n**What we have tried:** \n\n**Next steps:** \n\n"
        "Follow progress at {link}.\n\n{steward_name}"
    ),
    CannedResponse.Purpose.INCIDENT_RESOLVED: gettext_lazy(
        "Hi {representative_name},\n\nService on {hub} is back. {context}\n\nWe will write an "
        "incident report and share it with you once it has been reviewed.\n\n{steward_name}"
    ),
}
# The {context} of the prefilled resolution message.
RESOLUTION_CONTEXT = gettext_lazy("Thank you for your patience.")
# Placeholder values when there is nothing better (lazy, like the templates).
YOUR_HUB = gettext_lazy("your hub")
THE_SUPPORT_TEAM = gettext_lazy("The support team")
# The greeting's name when a recipient has none ("Hi there,").
THERE = gettext_lazy("there")


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
    return subject(
        incident, gettext("Not fixed in 30 minutes: %(title)s") % {"title": incident.title}
    )


def escalation_body(incident, *, by, hubs: str) -> str:
    values = {"name": name(by), "reference": incident.reference, "hubs": hubs}
    if by is not None:
        return (
            gettext(
                "%(name)s could not fix %(reference)s (%(hubs)s) after the 30-minute time-box. "
                "The team and the project manager are alerted; see the war room."
            )
            % values
        )
    return (
        gettext(
            "%(reference)s (%(hubs)s) is still unresolved after the 30-minute time-box. "
            "The team and the project manager are alerted; see the war room."
        )
        % values
    )


def escalated(*, by) -> str:
    return "Not fixed within 30 minutes: engineering team and project manager alerted" + (
        " automatically (time-box over)." if by is None else "."
    )


# --- Roles ------------------------------------------------------------------------------------
def role_handed_off(*, label: StrOrPromise, previous, to_user, by, reason: str) -> str:
    return (
        f"{label}: {name(previous) if previous else 'nobody'} → {to_user.display_name} "
        f"(by {name(by)}). Why: {reason}"
    )


def role_given(*, label: StrOrPromise) -> str:
    return gettext("You are now %(role)s") % {"role": label}


def role_given_body(incident, *, by, reason: str) -> str:
    return gettext("%(name)s handed you the role on %(incident)s: %(reason)s") % {
        "name": by.display_name,
        "incident": incident,
        "reason": reason,
    }


def sme_joined(*, user, by) -> str:
    return f"{user.display_name} joined as Subject Matter Expert (by {name(by)})."


def sme_given() -> str:
    return gettext("You are a Subject Matter Expert")


def sme_given_body(incident, *, by) -> str:
    return gettext("%(name)s pulled you into %(incident)s.") % {
        "name": by.display_name,
        "incident": incident,
    }


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
