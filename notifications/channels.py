"""Which channels reach a person for a given purpose: one small function per purpose, so the
per-user notification preferences (issue 18) and Slack (issue 20) plug in at one place.

An incident page to the on-duty stewards is never suppressed by a preference (DOMAIN.md:
"on every channel they enabled"; a preference may add channels, never remove the page).
"""

from __future__ import annotations

from notifications import preferences
from notifications.models import Notification

Channel = Notification.Channel


def paging_channels_for_user(*, user, email: bool = True, in_app: bool = True) -> list[str]:
    """The personal channels an incident page reaches `user` on, given what the escalation
    step asks for. The app inbox always gets it when asked (a phone with the app open sees it
    at once); e-mail when the person has an address. The team chat is not personal: the step's
    chat post is one message to the engineering channel (see incidents/paging.py)."""
    channels = []
    # A person may add e-mail to their pages on the account page (notifications/preferences.py);
    # nothing they choose there removes a page.
    chosen = (getattr(user, "notification_preferences", None) or {}).get(
        preferences.INCIDENT_PAGES, []
    )
    email = email or preferences.EMAIL in chosen
    if email and user.email:
        channels.append(Channel.EMAIL)
    if in_app or not channels:
        # Never nobody: a page that asked for e-mail only still lands in the inbox when the
        # person has no address.
        channels.append(Channel.IN_APP)
    return channels
