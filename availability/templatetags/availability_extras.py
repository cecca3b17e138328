from __future__ import annotations

from django import template

register = template.Library()

# What the public reads for each incident state: plain words, no workflow jargon.
PUBLIC_STATES = {
    "triggered": "Investigating",
    "acknowledged": "The team is working on it",
    "resolved": "Resolved",
    "closed": "Resolved",
}


@register.filter
def public_state(state: str) -> str:
    return PUBLIC_STATES.get(state, state)


@register.filter
def hub_names(hubs) -> str:
    return ", ".join(h.name for h in hubs)
