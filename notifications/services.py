"""Sending anything to anybody goes through `notify` (one message) or `notify_many` (a batch).

`notify` claims a Notification row whose unique key names the reason for sending. It runs in
the caller's transaction, so the claim commits or rolls back with the decision to send; a second
call with the same key (a second beat tick, a second worker, a retried task) finds the row and
sends nothing. Delivery is enqueued after commit; if the broker is down that is logged, the row
stays pending, and `notifications_deliver_pending` (beat) delivers it later.

`notify_many` claims a batch with one INSERT in one savepoint, so a sweep or a request that
sends many notifications costs a constant number of queries. The unique key stays the guard:
when the INSERT hits a key claimed meanwhile (another worker), the batch is claimed again one
key at a time, as `notify` does, and the keys already taken come back as None.

Delivery (`deliver`) takes a short lease on the row (`next_attempt_at`) in one transaction and
sends outside it, so a slow mail server never holds a database lock (on SQLite that would be the
whole database). A failed attempt is recorded (attempts, last_error) and given a back-off;
the pending sweep retries it, up to MAX_ATTEMPTS, then the row is marked failed. The only window
for a duplicate is a process dying between the send and the "sent" stamp right after it."""

from __future__ import annotations

import datetime
import json
import logging
import time
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, connection, transaction
from django.db.models import AutoField, Q
from django.db.models.constants import OnConflict
from django.utils import timezone

from notifications import preferences
from notifications.models import Notification
from supportdesk import mailthread
from supportdesk.celery import app

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Longer than any send can take (the task's hard time limit is 300 s): after it, a worker that
# died mid-send is assumed gone and the pending sweep tries again.
SEND_LEASE = datetime.timedelta(minutes=10)
RETRY_BACKOFF = datetime.timedelta(minutes=1)  # doubled per failed attempt
RETRY_BACKOFF_MAX = datetime.timedelta(hours=1)
# A notification the post-commit enqueue should have delivered by now; older pending rows are
# the pending sweep's (broker was down, worker lost the message).
PENDING_GRACE = datetime.timedelta(minutes=1)
# After a failed enqueue, this process stops trying the broker for a while: one web request that
# claims several notifications must not wait for the broker timeout once per notification.
BROKER_RETRY_AFTER_SECONDS = 30.0
# Notifications per delivery task when one transaction claims many (enqueue_deliveries): a
# batch of the SLO sweep (desk.sweeps.BATCH_SIZE rows, one notification each as a rule) is one
# task. BATCH_TIME_BUDGET_SECONDS bounds a task however slow the mail server.
DELIVERY_BATCH = 200
# A delivery batch stops after this long; the pending sweep carries on with the rest.
BATCH_TIME_BUDGET_SECONDS = 60.0
_broker_down_until = 0.0


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
    support_request=None,
    incident=None,
) -> Notification | None:
    """Claim and enqueue one notification. Returns None when `key` was already claimed."""
    message = {
        "key": key,
        "kind": kind,
        "subject": subject,
        "body": body,
        "user": user,
        "email": email,
        "channel": channel,
        "url": url,
        "support_request": support_request,
        "incident": incident,
    }
    return notify_many(messages=[message])[0]


def notify_many(
    *, messages: Iterable[Mapping[str, Any]], savepoint: bool = True
) -> list[Notification | None]:
    """Claim and enqueue many notifications at once. Each message holds `notify`'s keyword
    arguments. Returns, per message and in order, the claimed Notification, or None when its key
    was already claimed (before, or by an earlier message of the same call).

    All or nothing: if this raises, nothing was claimed and nothing will be enqueued. A key
    conflict is not an error (the conflicting messages get None); any other database error
    (a value too long, say) is raised, so the caller can retry the messages in smaller groups.

    `savepoint=False`, for a caller whose whole transaction fails with it anyway (a submission):
    one INSERT ... ON CONFLICT DO NOTHING RETURNING, without the savepoint around it (two
    queries fewer); a taken key still gets None. A database error then spoils the caller's
    transaction, so nothing can be retried in it."""
    now = timezone.now()
    rows = [_notification_fields(now=now, **message) for message in messages]
    results: list[Notification | None] = [None] * len(rows)
    first: dict[str, int] = {}  # a key repeated within the call is claimed by its first message
    for index, fields in enumerate(rows):
        first.setdefault(fields["key"], index)
    # In key order: two batches that share keys then wait for each other instead of deadlocking.
    todo = sorted(first.values(), key=lambda i: rows[i]["key"])
    if not todo:
        return results
    claimed: list[Notification | None]
    if not savepoint and connection.features.can_return_rows_from_bulk_insert:
        claimed = _insert_skipping_taken([Notification(**rows[i]) for i in todo])
    elif connection.features.can_return_rows_from_bulk_insert:
        batch = [Notification(**rows[i]) for i in todo]
        try:
            with transaction.atomic():
                # One INSERT ... RETURNING id (on SQLite Django splits it every 999 parameters,
                # i.e. every 58 notifications).
                Notification.objects.bulk_create(batch)
            claimed = list(batch)
        except IntegrityError:
            # A key is taken. With one message that is the answer; with more, find out which.
            claimed = [None] if len(todo) == 1 else _claim_one_by_one([rows[i] for i in todo])
    else:  # without ids back from a bulk INSERT there is nothing to enqueue; claim one by one
        claimed = _claim_one_by_one([rows[i] for i in todo])
    for index, notification in zip(todo, claimed, strict=True):
        results[index] = notification
    pending = [n.pk for n in claimed if n is not None and n.channel != Notification.Channel.IN_APP]
    if pending:
        transaction.on_commit(lambda: _enqueue_all(pending))
    return results


def _notification_fields(
    *,
    now: datetime.datetime,
    key: str,
    kind: str,
    subject: str,
    body: str,
    user=None,
    email: str = "",
    channel: str = Notification.Channel.EMAIL,
    url: str = "",
    support_request=None,
    incident=None,
) -> dict[str, Any]:
    """The row `notify` claims for one message: who gets it on which channel, and its state."""
    if user is None and not email and channel != Notification.Channel.WEBHOOK:
        raise ValueError("notify() needs a user or an e-mail address")
    if channel == Notification.Channel.EMAIL and not email and user is not None:
        email = user.email
        if not email:
            # A user without an address still sees the nudge in the app.
            channel = Notification.Channel.IN_APP
    skipped = False
    # The person's choice (account page). Incident pages are never filtered here: an on-duty
    # steward is paged whatever they chose (preferences.py).
    if (
        user is not None
        and channel != Notification.Channel.WEBHOOK
        and preferences.preference_kind(kind) != preferences.INCIDENT_PAGES
    ):
        wanted = preferences.channels_for(user, kind)
        if channel == Notification.Channel.EMAIL and preferences.EMAIL not in wanted:
            channel = Notification.Channel.IN_APP
        skipped = channel == Notification.Channel.IN_APP and preferences.IN_APP not in wanted
    in_app = channel == Notification.Channel.IN_APP
    email_out = channel == Notification.Channel.EMAIL
    if skipped:
        return {
            "key": key[:255],
            "kind": kind,
            "channel": Notification.Channel.IN_APP,
            "recipient": user,
            "recipient_email": email,
            "subject": subject[:255],
            "body": body,
            "url": url,
            "request": support_request,
            "incident": incident,
            "created_at": now,
            "status": Notification.Status.SKIPPED,
            "sent_at": None,
            "read_at": now,
        }
    return {
        "key": key[:255],
        "kind": kind,
        "channel": channel,
        "recipient": user,
        "recipient_email": email,
        "subject": subject[:255],
        "body": body,
        "url": url,
        "message_id": mailthread.message_id_for(key[:255]) if email_out else "",
        "request": support_request,
        "incident": incident,
        "created_at": now,
        "status": Notification.Status.SENT if in_app else Notification.Status.PENDING,
        "sent_at": now if in_app else None,
    }


def _insert_skipping_taken(batch: list[Notification]) -> list[Notification | None]:
    """One INSERT ... ON CONFLICT DO NOTHING RETURNING id, key: the rows whose key was free come
    back with their ids; the others are None. (QuerySet._insert is what bulk_create() runs;
    bulk_create(ignore_conflicts=True) would not say which rows were inserted.)"""
    opts = Notification._meta
    fields = [f for f in opts.concrete_fields if not isinstance(f, AutoField)]
    # QuerySet._insert, which Django copies onto managers; django-stubs leaves it out.
    returned = Notification.objects._insert(  # type: ignore[attr-defined]
        batch,
        fields=fields,
        returning_fields=[opts.pk, opts.get_field("key")],
        on_conflict=OnConflict.IGNORE,
    )
    ids = {row[1]: row[0] for row in returned if row}
    claimed: list[Notification | None] = []
    for notification in batch:
        if notification.key in ids:
            notification.pk = ids[notification.key]
            notification._state.adding = False
            notification._state.db = connection.alias
            claimed.append(notification)
        else:
            claimed.append(None)
    return claimed


def _claim_one_by_one(rows: list[dict[str, Any]]) -> list[Notification | None]:
    """One savepoint per key, so a taken key only loses its own row; inside one more savepoint,
    so an error other than a conflict undoes the rows claimed before it (all or nothing)."""
    claimed: list[Notification | None] = []
    with transaction.atomic():
        for fields in rows:
            try:
                with transaction.atomic():
                    claimed.append(Notification.objects.create(**fields))
            except IntegrityError:
                claimed.append(None)
    return claimed


def _enqueue_all(notification_ids: list[int]) -> None:
    if len(notification_ids) == 1:
        enqueue_delivery(notification_ids[0])
    else:
        enqueue_deliveries(notification_ids)


def enqueue_delivery(notification_id: int) -> None:
    """Hand the notification to a worker. Never raises: the row is pending in the database and
    `notifications_deliver_pending` delivers whatever did not get through."""
    from notifications.tasks import deliver_notification  # noqa: PLC0415 - import cycle: notifications.tasks imports this module

    _publish(deliver_notification, notification_id, f"notification {notification_id}")


def enqueue_deliveries(notification_ids: list[int]) -> None:
    """Hand many notifications to the workers, DELIVERY_BATCH per task: a sweep that claims
    1,000 notifications publishes 5 messages, not 1,000 (each publish costs about a
    millisecond, more on a remote broker). Still exactly once: `deliver` leases each row, so a
    batch that runs twice, or beside the pending sweep, sends each notification once."""
    from notifications.tasks import deliver_notifications  # noqa: PLC0415 - import cycle: notifications.tasks imports this module

    for start in range(0, len(notification_ids), DELIVERY_BATCH):
        batch = list(notification_ids[start : start + DELIVERY_BATCH])
        _publish(deliver_notifications, batch, f"{len(batch)} notifications from {batch[0]}")


def _publish(task, argument, what: str) -> None:
    global _broker_down_until

    if app.conf.task_always_eager:
        # In-process delivery (tests, single-process setups); what `.delay()` would do eagerly,
        # without borrowing a broker producer that eager mode never uses.
        task.apply(args=[argument])
        return
    if time.monotonic() < _broker_down_until:
        logger.warning("broker unavailable a moment ago; %s left for the pending sweep", what)
        return
    try:
        task.delay(argument)
    except Exception:  # the broker being down must never fail the caller
        _broker_down_until = time.monotonic() + BROKER_RETRY_AFTER_SECONDS
        logger.exception("could not enqueue %s; the pending sweep will deliver it", what)


def reset_broker_breaker() -> None:
    """Forget a recent broker failure (tests, or after an operator fixed the broker)."""
    global _broker_down_until
    _broker_down_until = 0.0


class DeliveryError(Exception):
    pass


class PermanentDeliveryError(DeliveryError):
    """This notification can never be delivered (its endpoint was disabled, say): marked failed
    at once instead of being retried."""


# Kinds with a transport of their own (outgoing webhooks, Slack posts): registered by their app
# at start-up, called by `deliver` with the claimed row; they raise to have the attempt retried.
_SENDERS: dict[str, Any] = {}


def register_sender(*, kind: str, send) -> None:
    _SENDERS[kind] = send


def _backoff(attempts: int) -> datetime.timedelta:
    return min(RETRY_BACKOFF * 2 ** max(attempts - 1, 0), RETRY_BACKOFF_MAX)


def deliver(*, notification_id: int) -> bool:
    """Send one pending notification. Returns True when it was sent now; False when there was
    nothing to do (sent already, being sent by another worker, backing off, given up on) or
    when this attempt failed (recorded on the row; the pending sweep retries it)."""
    now = timezone.now()
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk=notification_id, status=Notification.Status.PENDING)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .first()
        )
        if notification is None:
            return False
        notification.attempts += 1
        notification.next_attempt_at = now + SEND_LEASE
        notification.save(update_fields=["attempts", "next_attempt_at"])

    try:
        _send(notification)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded, then retried
        error = f"{type(exc).__name__}: {exc}"[:2000]
        final = notification.attempts >= MAX_ATTEMPTS or isinstance(exc, PermanentDeliveryError)
        Notification.objects.filter(pk=notification.pk, status=Notification.Status.PENDING).update(
            last_error=error,
            status=Notification.Status.FAILED if final else Notification.Status.PENDING,
            next_attempt_at=None if final else timezone.now() + _backoff(notification.attempts),
        )
        if final:
            logger.error(
                "notification %s (%s) failed for good after %s attempts: %s",
                notification.pk,
                notification.key,
                notification.attempts,
                error,
            )
        else:
            logger.warning(
                "notification %s (%s) attempt %s failed, will retry: %s",
                notification.pk,
                notification.key,
                notification.attempts,
                error,
            )
        return False

    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.SENT, sent_at=timezone.now(), next_attempt_at=None
    )
    return True


def deliver_many(*, notification_ids: list[int]) -> int:
    """Deliver a batch (one task's worth). Returns how many were sent now."""
    started = time.monotonic()
    sent = 0
    for notification_id in notification_ids:
        if time.monotonic() - started > BATCH_TIME_BUDGET_SECONDS:
            logger.warning(
                "delivery batch out of time; the pending sweep delivers the rest (from %s)",
                notification_id,
            )
            break
        if deliver(notification_id=notification_id):
            sent += 1
    return sent


def notifications_deliver_pending(
    *,
    now: datetime.datetime | None = None,
    limit: int = 200,
    time_budget_seconds: float = 45.0,
) -> int:
    """Deliver what the normal path did not: rows whose enqueue failed (broker down), whose
    message was lost, or whose last attempt failed and whose back-off is over. Returns how many
    were sent. Reads through the partial index on pending rows, oldest first."""
    now = now or timezone.now()
    ids = list(
        Notification.objects.filter(
            status=Notification.Status.PENDING, created_at__lte=now - PENDING_GRACE
        )
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    started = time.monotonic()
    sent = 0
    for notification_id in ids:
        if time.monotonic() - started > time_budget_seconds:
            break  # the next tick carries on; a sweep must not outlive its interval
        if deliver(notification_id=notification_id):
            sent += 1
    return sent


def notifications_mark_read(*, user, ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (all of them, or those in `ids`)."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


def _send(notification: Notification) -> None:
    sender = _SENDERS.get(notification.kind)
    if sender is not None:
        sender(notification)
    elif notification.channel == Notification.Channel.EMAIL:
        body = notification.body
        if notification.url:
            body = f"{body}\n\n{absolute_url(notification.url)}"
        subject, headers, reply_to = _threading(notification)
        EmailMessage(
            subject=subject,
            body=body,
            to=[notification.recipient_email],
            headers=headers,
            reply_to=reply_to,
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


# How many earlier Message-IDs an e-mail lists in References (RFC 5322 has no limit; some
# servers refuse very long headers, and the first and latest few are what clients thread by).
THREAD_REFERENCES_MAX = 10


def _threading(notification: Notification) -> tuple[str, dict[str, str], list[str]]:
    """Subject, headers and Reply-To that thread an e-mail in the recipient's mail client and
    bring their reply back to the request (tickets.inbound): our stored Message-ID (the same on
    every retry), In-Reply-To/References naming the previous messages of the request (theirs
    and ours to them), the [SD-n] tag, and the request's signed reply address."""
    subject = notification.subject
    headers = {}
    if notification.message_id:
        headers["Message-ID"] = notification.message_id
    if not notification.request_id:
        return subject, headers, []
    tag = f"[SD-{notification.request_id}]"
    if tag not in subject:
        subject = f"{tag} {subject}"[:255]
    previous = _thread_message_ids(notification)
    if previous:
        headers["In-Reply-To"] = previous[-1]
        kept = (
            previous
            if len(previous) <= THREAD_REFERENCES_MAX
            else previous[:1] + previous[-(THREAD_REFERENCES_MAX - 1) :]
        )
        headers["References"] = " ".join(kept)
    return subject, headers, [mailthread.request_reply_address(notification.request_id)]


def _thread_message_ids(notification: Notification) -> list[str]:
    """The Message-IDs of the request's earlier messages, oldest first: the e-mails that came
    in for it and the e-mails we sent to the same address about it (two queries)."""
    from tickets.models import InboundEmail  # noqa: PLC0415 - upward import: a listed layer exception

    inbound = InboundEmail.objects.filter(
        request_id=notification.request_id, received_at__lte=notification.created_at
    ).values_list("received_at", "message_id")
    ours = (
        Notification.objects.filter(
            request_id=notification.request_id,
            channel=Notification.Channel.EMAIL,
            recipient_email=notification.recipient_email,
            pk__lt=notification.pk,
        )
        .exclude(message_id="")
        .values_list("created_at", "message_id")
    )
    found = sorted([*inbound, *ours], key=lambda row: row[0])
    ids: list[str] = []
    for _, message_id in found:
        if message_id not in ids:
            ids.append(message_id)
    return ids


def absolute_url(path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    return f"{settings.SITE_URL}{path}"
