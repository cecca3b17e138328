"""Thin tasks: ids as arguments, one service call each. Idempotent: a sent notification is never
resent, and a failed attempt is recorded on the row and retried by `deliver_pending` with a
back-off kept in the database (so a retry survives a broker restart)."""

from __future__ import annotations

from celery import shared_task

from notifications import services


@shared_task(name="notifications.deliver", acks_late=True, time_limit=120, soft_time_limit=100)
def deliver_notification(notification_id: int) -> bool:
    return services.deliver(notification_id=notification_id)


@shared_task(
    name="notifications.deliver_batch", acks_late=True, time_limit=120, soft_time_limit=100
)
def deliver_notifications(notification_ids: list[int]) -> int:
    return services.deliver_many(notification_ids=notification_ids)


@shared_task(
    name="notifications.deliver_pending", acks_late=True, time_limit=120, soft_time_limit=100
)
def deliver_pending() -> int:
    return services.notifications_deliver_pending()
