"""Beat tasks of budgets. Thin: one service call each; idempotent."""

from __future__ import annotations

from celery import shared_task

from communities import services
from notifications import reminders


@shared_task(name="communities.budget_alerts", acks_late=True, time_limit=300, soft_time_limit=240)
def budget_alerts() -> int:
    """Admins hear once per community, month and threshold (80% and 100% by default)."""
    return reminders.budget_alerts_send()


@shared_task(
    name="communities.budget_ensure_month", acks_late=True, time_limit=300, soft_time_limit=240
)
def budget_ensure_month() -> int:
    """Each community's current month gets its budget row (months start at local midnight)."""
    return services.budget_ensure_month()
