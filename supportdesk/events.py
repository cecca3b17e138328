"""Domain events: what happened, announced by the app it happened in, received by the apps above
it. tickets, incidents and availability sit below integrations in the layer order
(docs/architecture.md), so they cannot call integrations/events.py; they call `emit`, and
integrations (its AppConfig.ready) receives every event and fans it out.

The signal is sent synchronously, inside the transaction that made the event happen, exactly as
the direct call was: everything a receiver sends is claimed by a unique key in that transaction,
so a rolled-back change sends nothing and a repeated event sends nothing twice."""

from __future__ import annotations

from django.dispatch import Signal

# The events and the keyword arguments each carries.
EVENTS = {
    "request_created": {"support_request"},
    "request_issue_linked": {"support_request", "url"},
    "request_resolved": {"support_request"},
    "incident_declared": {"incident"},
    "incident_updated": {"incident", "entry"},
    "incident_resolved": {"incident"},
    "incident_link_added": {"incident", "url"},
    "report_published": {"report", "url"},
    "action_item_added": {"item"},
    "maintenance_scheduled": {"window", "hubs"},
}

domain_event = Signal()


def emit(event: str, **data) -> None:
    """Announce `event` with its data to every receiver; an unknown event or a wrong set of
    arguments is a programming error, raised at once rather than sent to nobody."""
    if EVENTS.get(event) != set(data):
        raise ValueError(f"Unknown domain event or arguments: {event}({', '.join(data)})")
    domain_event.send(sender=event, event=event, **data)
