"""Beat tasks that drive several apps. Thin: one service call each; safe to run twice at once.
Their names are the ones they had in the apps they came from, so queued messages and the beat
schedule rows (django-celery-beat, by task name) keep working."""

from __future__ import annotations

import logging
import time

from celery import shared_task

from desk import handover, reminders, sweeps, timebox
from desk.metrics import record_sweep

logger = logging.getLogger(__name__)


@shared_task(name="slo.sweep", acks_late=True, time_limit=120, soft_time_limit=100)
def slo_sweep() -> dict[str, int]:
    began = time.monotonic()
    result = sweeps.slo_sweep()
    record_sweep(seconds=time.monotonic() - began)
    logger.info("SLO sweep: %s", result.as_dict())
    expired = timebox.timebox_sweep()
    logger.info("Time-box sweep: %s", expired)
    return {**result.as_dict(), **{f"timebox:{k}": v for k, v in expired.items()}}


@shared_task(name="incidents.follow_ups", acks_late=True, time_limit=300, soft_time_limit=240)
def follow_ups() -> dict[str, int]:
    """Unreviewed reports and old action items, once per working day (the key holds the date)."""
    return reminders.follow_up_reminders_send()


@shared_task(name="communities.budget_alerts", acks_late=True, time_limit=300, soft_time_limit=240)
def budget_alerts() -> int:
    """Admins hear once per community, month and threshold (80% and 100% by default)."""
    return reminders.budget_alerts_send()


@shared_task(name="rotation.handover", acks_late=True, time_limit=300, soft_time_limit=240)
def handover_notify_due() -> dict[str, int]:
    return handover.handover_notify_due()
