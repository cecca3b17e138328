"""Hub status (DOMAIN.md "Availability, alerting and status"): derived from open incidents and
running maintenance windows, stored on the hub, refreshed whenever either changes (the
incident_changed signal, the maintenance services, beat); an override with a reason wins."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.roles import is_staff_member
from availability import status as rules
from availability.models import AvailabilityLog
from availability.selectors import hub_statuses_compute
from availability.services.common import _log
from communities.models import Hub
from incidents.models import Incident
from supportdesk.errors import DomainError, PermissionDenied

Status = Hub.Status


@transaction.atomic
def hub_statuses_refresh(
    *, hub_ids: Iterable[int] | None = None, at: datetime.datetime | None = None
) -> int:
    """Store the derived status of each hub whose status changed; returns how many changed."""
    stored: dict[int, str] = {}
    derived = hub_statuses_compute(hub_ids=hub_ids, at=at, stored=stored)
    changed: dict[str, list[int]] = defaultdict(list)
    for hub_id, new in derived.items():
        if stored.get(hub_id) != new:
            changed[new].append(hub_id)
    for new, ids in changed.items():
        Hub.objects.filter(pk__in=ids).update(status=new)
    AvailabilityLog.objects.bulk_create(
        [
            AvailabilityLog(
                kind=AvailabilityLog.Kind.STATUS_CHANGED,
                hub_id=hub_id,
                detail=f"{rules.LABELS.get(stored.get(hub_id) or '', '?')} → {rules.LABELS[new]}",
                data={"from": stored.get(hub_id), "to": new},
                created_at=timezone.now(),
            )
            for new, ids in changed.items()
            for hub_id in ids
        ]
    )
    count = sum(len(ids) for ids in changed.values())
    if count:
        rules.invalidate()
    return count


def hub_status_refresh(*, hub: Hub, at: datetime.datetime | None = None) -> str:
    """Derive and store one hub's status; returns it (not counting an override)."""
    hub_statuses_refresh(hub_ids=[hub.pk], at=at)
    hub.refresh_from_db(fields=["status"])
    return hub.status


def on_incident_changed(incident: Incident) -> None:
    """Call after any change to an incident the public can see: declared, acknowledged,
    resolved, closed, hubs or severity changed, a public timeline entry added, a report
    published. Refreshes stored hub statuses and the status page, in a transaction of its own.
    Cheap and idempotent.

    Every active hub is refreshed, not only the incident's current ones: a hub just removed
    from the incident must go back to operational too."""
    _incidents_changed()


def incident_changed_received(sender, *, incident: Incident, **kwargs) -> None:
    """Receiver of incidents.signals.incident_changed (connected in availability/apps.py),
    sent once the incident's transaction has committed."""
    on_incident_changed(incident)


def _incidents_changed() -> None:
    hub_statuses_refresh()
    rules.invalidate()


@transaction.atomic
def hub_status_override_set(*, hub: Hub, by, status: str, reason: str) -> Hub:
    if not is_staff_member(by):
        raise PermissionDenied(gettext("Only the support team can override a hub's status."))
    reason = (reason or "").strip()
    if status not in Status.values:
        raise DomainError(gettext("Choose a status."), field="status")
    if not reason:
        raise DomainError(
            gettext("Say why the status is overridden: it is shown publicly."), field="reason"
        )
    hub = Hub.objects.select_for_update().get(pk=hub.pk)
    hub.status_override = status
    hub.status_override_reason = reason[:300]
    hub.save(update_fields=["status_override", "status_override_reason"])
    _log(
        AvailabilityLog.Kind.OVERRIDE_SET,
        actor=by,
        hub=hub,
        detail=f"{rules.LABELS[status]}: {reason}",
        status=status,
    )
    rules.invalidate()
    return hub


@transaction.atomic
def hub_status_override_clear(*, hub: Hub, by) -> Hub:
    if not is_staff_member(by):
        raise PermissionDenied(gettext("Only the support team can override a hub's status."))
    hub = Hub.objects.select_for_update().get(pk=hub.pk)
    if not hub.status_override:
        return hub
    previous = hub.status_override
    hub.status_override = ""
    hub.status_override_reason = ""
    hub.save(update_fields=["status_override", "status_override_reason"])
    _log(AvailabilityLog.Kind.OVERRIDE_CLEARED, actor=by, hub=hub, previous=previous)
    rules.invalidate()
    return hub
