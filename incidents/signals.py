"""Signals of incidents, for data derived from incidents by apps above it (the layer order of
docs/architecture.md keeps incidents from calling them).

`incident_changed(incident=...)`: something the public can see changed: declared, acknowledged,
resolved, closed, hubs or severity changed, a public timeline entry added, a report published.
availability receives it (availability/apps.py) and refreshes hub statuses and the status page.
Sent synchronously inside the incident's transaction, as the direct call it replaces was, so the
derived statuses commit or roll back with the incident."""

from __future__ import annotations

from django.dispatch import Signal

incident_changed = Signal()
