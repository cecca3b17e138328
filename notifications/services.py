"""Sending anything to anybody goes through `notify`.

`notify` claims a Notification row whose unique key names the reason for sending. It runs in
the caller's transaction, so the claim commits or rolls back with the decision to send; a second
call with the same key (a second beat tick, a second worker, a retried task) finds the row and
sends nothing. Delivery is enqueued after commit; if the broker is down that is logged, the row
stays pending, and `notifications_deliver_pending` (beat) delivers it later."""

from __future__ import annotations

import json
import logging
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone

from notifications.models import Notification

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Recipient:
    user: object | None = None
    email: str = ""


def notify(
    *,
    key: str,
    kind: str,
    subject: str,
    body: str,
    user=None,
    email: str = "",
    channel: str = Notification.Channel.EMAIL,
    url: str = "",
    request=None,
    incident=None,
) -> Notification | None:
    """Claim and enqueue one notification. Returns None when `key` was already claimed."""
    if user is None and not email and channel != Notification.Channel.WEBHOOK:
        raise ValueError("notify() needs a user or an e-mail address")
    if channel == Notification.Channel.EMAIL and not email and user is not None:
        email = user.email
        if not email:
            # A user without an address still sees the nudge in the app.
            channel = Notification.Channel.IN_APP
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                key=key[:255],
                kind=kind,
                channel=channel,
                recipient=user,
                recipient_email=email,
                subject=subject[:255],
                body=body,
                url=url,
                request=request,
                incident=incident,
                created_at=timezone.now(),
            )
    except IntegrityError:
        return None
    if channel == Notification.Channel.IN_APP:
        Notification.objects.filter(pk=notification.pk).update(
            status=Notification.Status.SENT, sent_at=timezone.now()
        )
        return notification
    transaction.on_commit(lambda: enqueue_delivery(notification.pk))
    return notification


def enqueue_delivery(notification_id: int) -> None:
    from notifications.tasks import deliver_notification

    try:
        deliver_notification.delay(notification_id)
    except Exception:  # the broker being down must never fail the caller
        logger.exception(
            "could not enqueue notification %s; the pending sweep will deliver it",
            notification_id,
        )


class DeliveryError(Exception):
    pass


def deliver(*, notification_id: int) -> bool:
    """Send one pending notification. Returns True when sent now, False when there was nothing
    to do. Raises DeliveryError (after recording it) so the task can retry with backoff."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk=notification_id, status=Notification.Status.PENDING)
            .first()
        )
        if notification is None:
            return False  # sent already, given up on, or being sent by another worker
        notification.attempts += 1
        try:
            _send(notification)
        except Exception as exc:  # every failure is recorded, then retried
            notification.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if notification.attempts >= MAX_ATTEMPTS:
                notification.status = Notification.Status.FAILED
            notification.save(update_fields=["attempts", "last_error", "status"])
            if notification.status == Notification.Status.FAILED:
                logger.error("notification %s failed for good: %s", notification.pk, exc)
                return False
            raise DeliveryError(notification.last_error) from exc
        notification.status = Notification.Status.SENT
        notification.sent_at = timezone.now()
        notification.save(update_fields=["attempts", "status", "sent_at", "last_error"])
        return True


def _send(notification: Notification) -> None:
    if notification.channel == Notification.Channel.EMAIL:
        body = notification.body
        if notification.url:
            body = f"{body}\n\n{absolute_url(notification.url)}"
        EmailMessage(
            subject=notification.subject,
            body=body,
            to=[notification.recipient_email],
        ).send(fail_silently=False)
    elif notification.channel == Notification.Channel.WEBHOOK:
        webhook = settings.SLACK_WEBHOOK_URL
        if not webhook:
            return
        text = f"*{notification.subject}*\n{notification.body}"
        if notification.url:
            text += f"\n{absolute_url(notification.url)}"
        payload = json.dumps({"text": text}).encode()
        req = urllib.request.Request(  # noqa: S310 - admin-configured https webhook
            webhook, data=payload, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=10) as response:  # noqa: S310
            if response.status >= 300:
                raise DeliveryError(f"webhook answered {response.status}")


def absolute_url(path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    return f"{settings.SITE_URL}{path}"
