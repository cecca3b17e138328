"""Who wants what, where: each person's choice of channels per kind of notification.

Kinds (what a person chooses about): updates on requests and incidents, nudges (deadlines,
time-boxes, follow-ups, budgets, maintenance), incident pages, and digests (hand-over, duty).
Channels: e-mail, Slack, and in the app (the "My nudges" inbox). The choice is stored on the
user (`User.notification_preferences`, {kind: [channels]}; a missing kind means every channel),
so honouring it costs no query.

`channels_for(user, kind)` is the one question the senders ask: `notify` uses it for e-mail
and the inbox; the Slack sender (integrations) and incident paging (escalation) ask it too.
A preference never suppresses an incident page to the on-duty stewards: `notify` does not filter
incident pages, and `channels_for(..., on_duty=True)` always includes e-mail and the app."""

from __future__ import annotations

REQUEST_UPDATES = "request_updates"
NUDGES = "nudges"
INCIDENT_PAGES = "incident_pages"
DIGESTS = "digests"

KINDS: list[tuple[str, str]] = [
    (REQUEST_UPDATES, "Updates on requests and incidents"),
    (NUDGES, "Nudges: deadlines, time-boxes, follow-ups, budgets, maintenance"),
    (INCIDENT_PAGES, "Incident pages"),
    (DIGESTS, "Digests: hand-over and duty summaries"),
]

EMAIL = "email"
SLACK = "slack"
IN_APP = "in_app"
CHANNELS: list[tuple[str, str]] = [(EMAIL, "E-mail"), (SLACK, "Slack"), (IN_APP, "In the app")]
ALL_CHANNELS = frozenset(c for c, _ in CHANNELS)
# What on-duty stewards always get for an incident page, whatever they chose.
PAGE_FLOOR = frozenset({EMAIL, IN_APP})

# Notification.kind values (or prefixes, ending in "_") per preference kind. Kinds not listed
# (invitations, password resets, ...) are not a matter of preference and always go out.
_KIND_PREFIXES: list[tuple[str, str]] = [
    ("incident_page", INCIDENT_PAGES),
    ("incident_escalat", INCIDENT_PAGES),
    ("request_", REQUEST_UPDATES),
    ("incident_", REQUEST_UPDATES),
    ("slo_", NUDGES),
    ("timebox", NUDGES),
    ("followup_", NUDGES),
    ("budget_", NUDGES),
    ("maintenance_", NUDGES),
    ("handover", DIGESTS),
    ("on_duty", DIGESTS),
    ("digest", DIGESTS),
]


def preference_kind(kind: str) -> str | None:
    """The preference kind a Notification.kind falls under, or None (always sent)."""
    for prefix, preference in _KIND_PREFIXES:
        if kind.startswith(prefix):
            return preference
    return None


def channels_for(user, kind: str, *, on_duty: bool = False) -> frozenset[str]:
    """The channels `user` wants for a notification of `kind` (a Notification.kind such as
    "request_reply", or a preference kind such as "incident_pages"). `on_duty`: the user is an
    on-duty steward being paged, whose page is never suppressed."""
    preference = kind if kind in dict(KINDS) else preference_kind(kind)
    if preference is None or user is None:
        return ALL_CHANNELS
    chosen = (getattr(user, "notification_preferences", None) or {}).get(preference)
    channels = ALL_CHANNELS if chosen is None else frozenset(chosen) & ALL_CHANNELS
    if preference == INCIDENT_PAGES and on_duty:
        channels |= PAGE_FLOOR
    return channels


def clean_preferences(data: dict[str, list[str]]) -> dict[str, list[str]]:
    """Only known kinds and channels, in a stable order."""
    order = [c for c, _ in CHANNELS]
    return {
        kind: [c for c in order if c in set(data.get(kind, []))]
        for kind, _ in KINDS
        if kind in data
    }
