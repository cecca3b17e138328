"""Signed outgoing webhooks: admins register URLs with a set of events; each event goes to each
subscribed endpoint exactly once, through the notification machinery.

Exactly once: a delivery is a Notification whose unique key is "webhook:<event id>:<endpoint>",
claimed in the transaction that made the event happen; a second publication of the same event
(a retried task, a second worker) claims nothing. Delivery, retries with back-off (1, 2, 4 …
minutes, MAX_ATTEMPTS) and the pending sweep are `notifications.services.deliver`'s; this
module only knows how to send one (`webhook_send`, registered as the sender of its kind).

Signature (what a receiver checks; README "Outgoing webhooks"):
    X-Supportdesk-Timestamp: <unix seconds>
    X-Supportdesk-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
    X-Supportdesk-Event:     incident.declared
    X-Supportdesk-Delivery:  <uuid, the same on every retry of this delivery>
A receiver rejects a timestamp older than a few minutes (replays) and compares signatures in
constant time.

Every attempt is logged (WebhookAttempt: status, error, duration). After
`WEBHOOK_DISABLE_AFTER_FAILURES` failed attempts in a row the endpoint is disabled, its pending
deliveries fail at once, and the admins are e-mailed a notice; re-enabling it is an admin
action (`webhook_endpoint_enable`)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from integrations.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from integrations.payloads import envelope
from notifications.models import Notification
from notifications.services import PermanentDeliveryError, enqueue_delivery, notify, notify_many
from supportdesk import refdata

logger = logging.getLogger(__name__)

NOTIFICATION_KIND = "outgoing_webhook"
SIGNATURE_HEADER = "X-Supportdesk-Signature"
TIMESTAMP_HEADER = "X-Supportdesk-Timestamp"
USER_AGENT = "supportdesk-webhooks/1"


class WebhookFailed(Exception):
    pass


def webhook_signature(*, secret: str, timestamp: int | str, body: bytes) -> str:
    """The value of X-Supportdesk-Signature for this body at this time."""
    message = str(timestamp).encode() + b"." + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def webhook_signature_valid(
    *, secret: str, timestamp: str, body: bytes, signature: str, now: float, tolerance: int = 300
) -> bool:
    """What a receiver does (and what our tests' receiver does)."""
    try:
        age = abs(now - int(timestamp))
    except (TypeError, ValueError):
        return False
    if age > tolerance:
        return False
    expected = webhook_signature(secret=secret, timestamp=timestamp, body=body)
    return hmac.compare_digest(expected, signature or "")


@dataclass(frozen=True)
class Subscribed:
    """What an event needs of an active endpoint: who it is, what it wants, which hubs."""

    pk: int
    name: str
    events: frozenset[str]
    hub_ids: frozenset[int]  # empty: every hub


def _load_subscribed() -> tuple[Subscribed, ...]:
    return tuple(
        Subscribed(
            pk=e.pk,
            name=e.name,
            events=frozenset(e.events or []),
            hub_ids=frozenset(h.pk for h in e.hubs.all()),
        )
        for e in WebhookEndpoint.objects.filter(is_active=True).prefetch_related("hubs")
    )


def active_endpoints() -> tuple[Subscribed, ...]:
    """Every active endpoint, cached with the reference data (supportdesk.refdata): every event
    of every request asks, and endpoints change a few times a month. Saving an endpoint or its
    hubs drops the cache; code that changes `is_active` with update() calls refdata.invalidate()."""
    return refdata.cached("integrations:webhook-endpoints", _load_subscribed)


def _endpoints_for(event: str, hub_ids: Iterable[int] | None) -> list[Subscribed]:
    endpoints = [e for e in active_endpoints() if event in e.events]
    if hub_ids is None:
        return endpoints
    hub_ids = set(hub_ids)
    # An endpoint limited to some hubs hears about those hubs only (none chosen: all hubs).
    return [e for e in endpoints if not e.hub_ids or hub_ids & e.hub_ids]


def webhook_deliveries_create(
    *,
    event: str,
    event_id: str,
    data: dict,
    hub_ids: Iterable[int] | None = None,
    occurred_at=None,
) -> list[WebhookDelivery]:
    """Claim one delivery of this event per subscribed endpoint. Call it inside the transaction
    that made the event happen; the posts go out after commit. Publishing the same `event_id`
    again claims nothing."""
    if event not in Event.values:
        raise ValueError(f"unknown webhook event {event!r}")
    endpoints = _endpoints_for(event, hub_ids)
    if not endpoints:
        return []
    occurred_at = occurred_at or timezone.now()
    body = json.dumps(
        envelope(event=event, event_id=event_id, occurred_at=occurred_at, data=data),
        cls=DjangoJSONEncoder,
        separators=(",", ":"),
        sort_keys=True,
    )
    # Atomic here too: the delivery rows must exist before the post-commit enqueue runs.
    with transaction.atomic():
        claimed = notify_many(
            messages=[
                {
                    "key": f"webhook:{event_id}:endpoint:{endpoint.pk}",
                    "kind": NOTIFICATION_KIND,
                    "channel": Notification.Channel.WEBHOOK,
                    "subject": f"{event} → {endpoint.name}"[:255],
                    "body": body,
                }
                for endpoint in endpoints
            ]
        )
        deliveries = [
            WebhookDelivery(
                endpoint_id=endpoint.pk,
                notification=notification,
                event=event,
                event_id=event_id[:200],
                created_at=occurred_at,
            )
            for endpoint, notification in zip(endpoints, claimed, strict=True)
            if notification is not None
        ]
        WebhookDelivery.objects.bulk_create(deliveries)
    return deliveries


def webhook_send(notification: Notification) -> None:
    """Post one delivery, signed; log the attempt; raise on failure so that `deliver` retries
    it with back-off. Called by `notifications.services.deliver` outside any transaction."""
    delivery = WebhookDelivery.objects.select_related("endpoint").get(notification=notification)
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        raise PermanentDeliveryError(f"endpoint {endpoint.name!r} is disabled")
    body = notification.body.encode()
    timestamp = int(time.time())
    request = urllib.request.Request(  # noqa: S310 - an admin-registered http(s) URL
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Supportdesk-Event": delivery.event,
            "X-Supportdesk-Delivery": str(delivery.delivery_id),
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: webhook_signature(
                secret=endpoint.secret, timestamp=timestamp, body=body
            ),
        },
    )
    started = time.monotonic()
    status_code = None
    excerpt = ""
    error = ""
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
            status_code = response.status
            excerpt = response.read(500).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        status_code = exc.code
        excerpt = exc.read(500).decode(errors="replace") if exc.fp else ""
        error = f"answered {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        error = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
    succeeded = not error and status_code is not None and 200 <= status_code < 300
    if not succeeded and not error:
        error = f"answered {status_code}"
    WebhookAttempt.objects.create(
        delivery=delivery,
        attempted_at=timezone.now(),
        status_code=status_code,
        succeeded=succeeded,
        error=error[:500],
        response_excerpt=excerpt[:500],
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    if succeeded:
        WebhookEndpoint.objects.filter(pk=endpoint.pk, consecutive_failures__gt=0).update(
            consecutive_failures=0
        )
        return
    _failure(endpoint, error)
    raise WebhookFailed(f"{endpoint.url}: {error}")


def _failure(endpoint: WebhookEndpoint, error: str) -> None:
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            consecutive_failures=F("consecutive_failures") + 1
        )
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        limit = settings.WEBHOOK_DISABLE_AFTER_FAILURES
        if not endpoint.is_active or endpoint.consecutive_failures < limit:
            return
        now = timezone.now()
        endpoint.is_active = False
        endpoint.disabled_at = now
        endpoint.disabled_reason = (
            f"Disabled after {endpoint.consecutive_failures} failed attempts in a row; "
            f"the last: {error}"
        )[:300]
        endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
        _tell_admins_disabled(endpoint)


def _tell_admins_disabled(endpoint: WebhookEndpoint) -> None:
    admins = get_user_model().objects.filter(is_active=True, is_superuser=True).exclude(email="")
    url = reverse("admin:integrations_webhookendpoint_change", args=[endpoint.pk])
    stamp = endpoint.disabled_at.isoformat()
    if endpoint.subscriber_email:
        notify(
            key=f"webhook:endpoint:{endpoint.pk}:disabled:{stamp}:subscriber",
            kind="webhook_disabled",
            subject=f"Your status webhook {endpoint.url} was disabled",
            body=(
                f"Deliveries to {endpoint.url} failed {endpoint.consecutive_failures} times in "
                "a row, so we stopped sending them. Subscribe again on the status page once the "
                "receiver works."
            ),
            email=endpoint.subscriber_email,
        )
    for admin in admins:
        notify(
            key=f"webhook:endpoint:{endpoint.pk}:disabled:{stamp}:user:{admin.pk}",
            kind="webhook_disabled",
            subject=f"Webhook endpoint “{endpoint.name}” was disabled",
            body=(
                f"{endpoint.disabled_reason}\n\nEvents are no longer sent to {endpoint.url}. "
                "Fix the receiver, then enable the endpoint again in admin (its delivery log "
                "shows every attempt)."
            ),
            user=admin,
            url=url,
        )
    logger.warning("webhook endpoint %s disabled: %s", endpoint.pk, endpoint.disabled_reason)


@transaction.atomic
def webhook_endpoint_enable(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Start sending again (new events only: what failed while it was down stays failed)."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.is_active = True
    endpoint.consecutive_failures = 0
    endpoint.disabled_at = None
    endpoint.disabled_reason = ""
    endpoint.save(
        update_fields=["is_active", "consecutive_failures", "disabled_at", "disabled_reason"]
    )
    return endpoint


def webhook_delivery_redeliver(*, delivery: WebhookDelivery) -> bool:
    """Admin: try a failed delivery again now (the same body and delivery id)."""
    updated = Notification.objects.filter(
        Q(status=Notification.Status.FAILED), pk=delivery.notification_id
    ).update(status=Notification.Status.PENDING, next_attempt_at=None, attempts=0)
    if updated:
        transaction.on_commit(lambda: enqueue_delivery(delivery.notification_id))
    return bool(updated)
