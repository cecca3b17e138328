"""Status-page subscriptions: anyone can ask to be told about incidents and maintenance on all
hubs or on some, by e-mail or by a webhook.

- Double opt-in: `subscription_request` stores an unconfirmed subscription and mails a link;
  only `subscription_confirm` (a POST from that link's page) makes it active. At most one
  confirmation mail per address and hour, so the form cannot be used to flood somebody's inbox;
  the page says the same thing whether or not the address was known.
- Every mail carries a one-click unsubscribe link and the List-Unsubscribe and
  List-Unsubscribe-Post headers (RFC 8058); `subscription_unsubscribe` needs only the token.
- Notices (incident declared, update, resolution, maintenance) go to the active subscribers of
  the hubs concerned, each claimed once by key (`notify_many`). Only what the public status page
  shows is sent: title, hubs, public updates, times.
- A webhook subscription is an outgoing-webhook endpoint limited to the public events and the
  chosen hubs, inactive until confirmed; unsubscribing disables it.
- Admins see counts (`subscription_counts`), never the addresses."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from integrations.models import PUBLIC_EVENTS, StatusSubscription, WebhookEndpoint
from notifications.models import Notification
from notifications.services import notify, notify_many
from supportdesk import refdata
from supportdesk.errors import DomainError

NOTIFICATION_KIND = "status_notice"


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def unsubscribe_url(subscription: StatusSubscription) -> str:
    return _absolute(reverse("integrations:unsubscribe", args=[subscription.token]))


def confirm_url(subscription: StatusSubscription) -> str:
    return _absolute(reverse("integrations:confirm", args=[subscription.token]))


@transaction.atomic
def subscription_request(*, email: str, hubs: Iterable = (), webhook_url: str = "") -> None:
    """Store an unconfirmed subscription and mail the confirmation link."""
    email = (email or "").strip().lower()
    if not email:
        raise DomainError(gettext("Enter your e-mail address."), field="email")
    hubs = list(hubs)
    if any(not h.is_active for h in hubs):
        raise DomainError(gettext("Choose among the hubs listed."), field="hubs")
    now = timezone.now()
    subscription = StatusSubscription.objects.create(email=email, created_at=now)
    subscription.hubs.set(hubs)
    if webhook_url:
        endpoint = WebhookEndpoint.objects.create(
            name=f"Status subscription {subscription.pk}",
            url=webhook_url,
            events=[str(e) for e in PUBLIC_EVENTS],
            is_active=False,
            subscriber_email=email,
        )
        endpoint.hubs.set(hubs)
        subscription.webhook = endpoint
        subscription.save(update_fields=["webhook"])
    what = f"the webhook {webhook_url}" if webhook_url else "this address"
    scope = ", ".join(h.name for h in hubs) if hubs else "all hubs"
    notify(
        # One confirmation mail per address and hour, whatever is submitted.
        key=f"subscription:confirm:{email}:{now:%Y%m%d%H}",
        kind=NOTIFICATION_KIND,
        subject="Confirm your subscription to the service status",
        body=(
            f"Somebody (we hope you) asked for notices about outages and maintenance on {scope} "
            f"to be sent to {what}.\n\nConfirm here: {confirm_url(subscription)}\n\n"
            "If it was not you, ignore this mail: nothing will be sent."
        ),
        email=email,
        url=unsubscribe_url(subscription),
    )


@transaction.atomic
def subscription_confirm(*, token: str) -> StatusSubscription:
    subscription = _by_token(token)
    if subscription.unsubscribed_at is not None:
        raise DomainError(
            gettext("This subscription was cancelled; subscribe again on the status page.")
        )
    if subscription.confirmed_at is None:
        subscription.confirmed_at = timezone.now()
        subscription.save(update_fields=["confirmed_at"])
        if subscription.webhook_id:
            WebhookEndpoint.objects.filter(pk=subscription.webhook_id).update(is_active=True)
            refdata.invalidate()  # the active endpoints are cached (integrations.webhooks)
    return subscription


@transaction.atomic
def subscription_unsubscribe(*, token: str) -> StatusSubscription:
    """One click, idempotent."""
    subscription = _by_token(token)
    if subscription.unsubscribed_at is None:
        subscription.unsubscribed_at = timezone.now()
        subscription.save(update_fields=["unsubscribed_at"])
        if subscription.webhook_id:
            WebhookEndpoint.objects.filter(pk=subscription.webhook_id).update(
                is_active=False, disabled_reason="Unsubscribed", disabled_at=timezone.now()
            )
            refdata.invalidate()  # the active endpoints are cached (integrations.webhooks)
    return subscription


def _by_token(token: str) -> StatusSubscription:
    subscription = StatusSubscription.objects.select_for_update().filter(token=token).first()
    if subscription is None:
        raise DomainError(gettext("This link is not valid (any more)."))
    return subscription


def _active_for(hub_ids: list[int]):
    """E-mail subscribers who want news of any of these hubs (those who chose no hub: all)."""
    return (
        StatusSubscription.objects.filter(
            confirmed_at__isnull=False, unsubscribed_at__isnull=True, webhook__isnull=True
        )
        .filter(Q(hubs__isnull=True) | Q(hubs__in=hub_ids))
        .distinct()
        .only("pk", "email", "token")
    )


def subscription_notices_send(
    *, key: str, hub_ids: list[int], subject: str, body: str, link: str
) -> int:
    """Claim one notice per active subscriber of these hubs (once per key). Returns how many."""
    messages = [
        {
            "key": f"subscription:{key}:{s.pk}",
            "kind": NOTIFICATION_KIND,
            "subject": subject,
            "body": f"{body}\n\nFollow it on the status page: {link}",
            "email": s.email,
            "url": unsubscribe_url(s),
        }
        for s in _active_for(hub_ids)
    ]
    if not messages:
        return 0
    return sum(1 for n in notify_many(messages=messages) if n is not None)


def status_notice_send(notification: Notification) -> None:
    """The sender of "status_notice" mails: the unsubscribe link in the text and the headers.
    (The notification's `url` is the subscriber's unsubscribe link.)"""
    EmailMessage(
        subject=notification.subject,
        body=f"{notification.body}\n\n--\nUnsubscribe with one click: {notification.url}",
        to=[notification.recipient_email],
        headers={
            "List-Unsubscribe": f"<{notification.url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    ).send(fail_silently=False)


def subscription_counts() -> dict:
    """For admins: how many, never who."""
    base = StatusSubscription.objects
    active = Q(confirmed_at__isnull=False, unsubscribed_at__isnull=True)
    per_hub = (
        base.filter(active, hubs__isnull=False)
        .values("hubs__name")
        .annotate(n=Count("pk"))
        .order_by("hubs__name")
    )
    return {
        "active": base.filter(active).count(),
        "all_hubs": base.filter(active, hubs__isnull=True).count(),
        "webhooks": base.filter(active, webhook__isnull=False).count(),
        "pending": base.filter(confirmed_at__isnull=True, unsubscribed_at__isnull=True).count(),
        "unsubscribed": base.filter(unsubscribed_at__isnull=False).count(),
        "per_hub": [(row["hubs__name"], row["n"]) for row in per_hub],
    }
