"""Beat tasks of incidents. Thin: one service call each; idempotent."""

from __future__ import annotations

from celery import shared_task

from incidents import paging
from incidents.services import lifecycle


@shared_task(name="incidents.auto_close_due", acks_late=True, time_limit=300, soft_time_limit=240)
def auto_close_due() -> int:
    return lifecycle.incident_auto_close_due()


@shared_task(name="incidents.paging", acks_late=True, time_limit=120, soft_time_limit=100)
def paging_sweep() -> dict[str, int]:
    """Escalation steps of unacknowledged incidents that have come due (every minute)."""
    return paging.incident_paging_sweep()
