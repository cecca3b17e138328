"""What the availability services write for people to read: the maintenance announcements
e-mailed to representatives, and what monitoring writes into an incident (its title, why it
was opened, the alert entries of its timeline). The rules that decide when each is written live
in availability/services/; change the wording here.

Error messages and scheduling warnings stay beside the rule that raises them."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext, gettext_noop

from supportdesk.zones import format_local, format_utc

STAGES = {
    "scheduled": gettext_noop("Planned maintenance"),
    "started": gettext_noop("Maintenance has started"),
    "ended": gettext_noop("Maintenance is over"),
    "cancelled": gettext_noop("Maintenance cancelled"),
}


def _times(instant: datetime.datetime, zone: str) -> dict[str, str]:
    """The community's time in the active language, and the same instant in UTC."""
    return {
        "local": format_local(instant, zone),
        "utc": format_utc(instant),
    }


# --- Maintenance (written in the active language: the caller chooses the recipient's) ---------
def maintenance_subject(window, *, stage: str, hub_names: str) -> str:
    return f"{gettext(STAGES[stage])}: {hub_names} – {window.title}"[:255]


def maintenance_body(window, *, stage: str, user, hub_names: str, zone: str, status_url: str):
    """One representative's e-mail for `stage` of `window`, times in their community's zone
    and in UTC."""
    names = {"hubs": hub_names, "title": window.title}
    lines = [gettext("Hello %(name)s,") % {"name": user.display_name}, ""]
    if stage == "scheduled":
        lines.append(gettext("We have planned maintenance on %(hubs)s: %(title)s.") % names)
    elif stage == "started":
        lines.append(gettext("The planned maintenance on %(hubs)s has started: %(title)s.") % names)
    elif stage == "ended":
        lines.append(gettext("The maintenance on %(hubs)s is over: %(title)s.") % names)
        lines.append(gettext("The hubs should work as usual again; tell us if anything is amiss."))
    else:
        lines.append(
            gettext("The planned maintenance on %(hubs)s is cancelled: %(title)s.") % names
        )
    if stage in ("scheduled", "started"):
        lines += [
            "",
            gettext("From: %(local)s (%(utc)s)") % _times(window.starts_at, zone),
            gettext("To:   %(local)s (%(utc)s)") % _times(window.ends_at, zone),
        ]
        if stage == "scheduled":
            lines.append(gettext("Users may be unable to use the hubs during this window."))
    if window.description and stage == "scheduled":
        lines += ["", window.description]
    lines += ["", gettext("Status of every hub: %(url)s") % {"url": status_url}]
    return "\n".join(lines)


# --- Monitoring: Alertmanager alerts ----------------------------------------------------------
def alert_incident_title(*, hub, alert_name: str) -> str:
    return f"{hub.name}: {alert_name}"


def alert_incident_reason(*, alert_name: str) -> str:
    return (
        f"Opened by the monitoring alert “{alert_name}”: an alert "
        "cannot count affected users; a person confirms the impact."
    )


def alert_firing(*, alert_name: str, hub, summary: str) -> str:
    body = f"Alert firing: **{alert_name}** on {hub.name}."
    if summary:
        body += f"\n\n{summary}"
    return body


def alert_resolved(*, alert_name: str, hub) -> str:
    return (
        f"Alert resolved: **{alert_name}** on {hub.name}. The incident "
        "stays open until a person verifies that service is back."
    )


# --- Monitoring: hub events -------------------------------------------------------------------
def failures_incident_title(*, hub, count: int) -> str:
    return f"{hub.name}: {count} server starts failed in a row"


def failures_incident_reason(*, count: int, minutes: int, threshold: int, window: int) -> str:
    return (
        f"{count} server starts failed in a row within {minutes} minutes "
        f"(the rule: {threshold} within {window})."
    )


FAILURES_SUMMARY = "Server starts are failing."


def failures_rule_matched(*, hub, count: int, minutes: int, users: list[str]) -> str:
    return (
        f"Rule matched: {count} server starts failed in a row on {hub.name} within "
        f"{minutes} minutes" + (f" (users: {', '.join(users)})." if users else ".")
    )
