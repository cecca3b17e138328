"""Beat tasks of the SLO clocks. Thin: one service call each; safe to run twice at once."""

from __future__ import annotations

import logging
import time

from celery import shared_task

from slo import sweeps, timebox
from supportdesk.metrics import record_sweep

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
