"""Signals of incidents, for data derived from incidents by apps above it (the layer order of
docs/architecture.md keeps incidents from calling them).

`incident_changed(incident=...)`: something the public can see changed: declared, acknowledged,
resolved, closed, hubs or severity changed, a public timeline entry added, a report published.
availability receives it (availability/apps.py) and refreshes hub statuses and the status page.
It is sent after the incident's transaction commits (`send_incident_changed`), so the receiver
works in a transaction of its own: a rolled-back change sends nothing, and no incident
transaction holds its row locks while every hub is refreshed."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

incident_changed = Signal()


def send_incident_changed(incident) -> None:
    """Send incident_changed for `incident` once the current transaction commits (at once
    outside a transaction). Robust: the change is committed by then, so a receiver that fails
    is logged rather than turned into an error for whoever made the change (beat's
    availability.hub_statuses_refresh is the safety net for hub statuses)."""
    transaction.on_commit(
        lambda: incident_changed.send(sender=type(incident), incident=incident), robust=True
    )
