"""Project-wide beat tasks. Thin: one service call each."""

from __future__ import annotations

from celery import shared_task

from supportdesk.dbstats import database_optimize
from supportdesk.idempotency import sweep_expired


@shared_task(name="supportdesk.database_optimize", acks_late=True, time_limit=600)
def database_optimize_task() -> str:
    return database_optimize(full=True)


@shared_task(name="supportdesk.idempotency_sweep", acks_late=True, time_limit=600)
def idempotency_sweep_task() -> int:
    """Forget idempotency keys older than 24 hours (supportdesk/idempotency.py)."""
    return sweep_expired()
