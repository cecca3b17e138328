"""Beat tasks of the SLO clocks. Thin: one service call each; safe to run twice at once."""

from __future__ import annotations

import logging

from celery import shared_task

from slo import sweeps

logger = logging.getLogger(__name__)


@shared_task(name="slo.sweep", acks_late=True, time_limit=120, soft_time_limit=100)
def slo_sweep() -> dict[str, int]:
    result = sweeps.slo_sweep()
    logger.info("SLO sweep: %s", result.as_dict())
    return result.as_dict()
