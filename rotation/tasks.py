"""Beat tasks of the rotation. Thin: one service call; idempotent (keys name the change day)."""

from __future__ import annotations

from celery import shared_task

from rotation import handover


@shared_task(name="rotation.handover", acks_late=True, time_limit=300, soft_time_limit=240)
def handover_notify_due() -> dict[str, int]:
    return handover.handover_notify_due()
