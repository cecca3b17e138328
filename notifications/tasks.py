"""Thin tasks: load by id, call the service. Idempotent: a sent notification is never resent."""

from __future__ import annotations

from celery import shared_task

from notifications import services


@shared_task(
    name="notifications.deliver",
    bind=True,
    autoretry_for=(services.DeliveryError,),
    retry_backoff=30,
    retry_backoff_max=1800,
    retry_jitter=True,
    max_retries=services.MAX_ATTEMPTS,
    acks_late=True,
)
def deliver_notification(self, notification_id: int) -> bool:
    return services.deliver(notification_id=notification_id)
