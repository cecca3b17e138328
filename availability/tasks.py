"""Thin beat tasks: each calls one service, which is idempotent."""

from __future__ import annotations

from celery import shared_task

from availability.services import hub_status, maintenance


@shared_task(name="availability.maintenance_announce", time_limit=120, soft_time_limit=100)
def maintenance_announce() -> dict:
    """Every minute: announce maintenance windows that started or ended, refresh hub status."""
    return maintenance.maintenance_announce_due()


@shared_task(name="availability.hub_statuses_refresh", time_limit=120, soft_time_limit=100)
def hub_statuses_refresh() -> int:
    """Every few minutes: a safety net for status changes made behind the services' back."""
    return hub_status.hub_statuses_refresh()
