"""Beat tasks of budgets. Thin: one service call each; idempotent."""

from __future__ import annotations

from celery import shared_task

from communities import services


@shared_task(
    name="communities.budget_ensure_month", acks_late=True, time_limit=300, soft_time_limit=240
)
def budget_ensure_month() -> int:
    """Each community's current month gets its budget row (months start at local midnight)."""
    return services.budget_ensure_month()
