"""Claiming and delivering notifications: once per key, retried with back-off, nothing lost when
the broker is down."""

from __future__ import annotations

import logging
import time

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.urls import reverse

from notifications import services
from notifications.models import Notification
from notifications.services import deliver, notifications_deliver_pending, notify
from tests.notifications.helpers import march

pytestmark = pytest.mark.django_db


def claim(key="test:1", email="someone@example.org", **kwargs) -> Notification | None:
    return notify(key=key, kind="test", subject="Hello", body="Body", email=email, **kwargs)


def test_a_key_is_claimed_once(django_capture_on_commit_callbacks, eager_delivery):
    with django_capture_on_commit_callbacks(execute=True):
        first = claim()
        second = claim()
    assert first is not None and second is None
    assert Notification.objects.filter(key="test:1").count() == 1
    assert len(mail.outbox) == 1


def test_a_claim_rolls_back_with_the_decision_to_send():
    with pytest.raises(RuntimeError), transaction.atomic():
        claim()
        raise RuntimeError("the caller's transaction failed")
    assert not Notification.objects.exists()
    assert claim() is not None  # the key is free again


def test_a_user_without_an_address_gets_the_nudge_in_the_app_only(steward):
    steward.email = ""
    steward.save()
    n = notify(key="test:in-app", kind="test", subject="Hi", body="B", user=steward)
    n.refresh_from_db()
    assert n.channel == Notification.Channel.IN_APP
    assert n.status == Notification.Status.SENT and n.sent_at is not None


@time_machine.travel(march(9, 12), tick=False)
def test_delivering_twice_sends_once():
    n = claim()
    assert deliver(notification_id=n.pk) is True
    assert deliver(notification_id=n.pk) is False
    n.refresh_from_db()
    assert (n.status, n.attempts, len(mail.outbox)) == (Notification.Status.SENT, 1, 1)


def test_a_notification_being_sent_by_another_worker_is_left_alone():
    with time_machine.travel(march(9, 12), tick=False):
        n = claim()
        # Another worker holds the lease (it is sending right now).
        Notification.objects.filter(pk=n.pk).update(
            next_attempt_at=march(9, 12) + services.SEND_LEASE, attempts=1
        )
        assert deliver(notification_id=n.pk) is False
        assert notifications_deliver_pending(now=march(9, 12, 5)) == 0
    assert mail.outbox == []
    # The worker died mid-send: after the lease the pending sweep sends it.
    with time_machine.travel(march(9, 12, 11), tick=False):
        assert notifications_deliver_pending() == 1
    n.refresh_from_db()
    assert (n.status, n.attempts) == (Notification.Status.SENT, 2)


def test_a_send_that_keeps_failing_backs_off_then_gives_up(flaky_mail, caplog):
    flaky_mail.add("someone@example.org")
    with time_machine.travel(march(9, 12), tick=False):
        n = claim()
        assert deliver(notification_id=n.pk) is False
    waits = []
    now = march(9, 12)
    for _ in range(services.MAX_ATTEMPTS - 1):
        n.refresh_from_db()
        waits.append(n.next_attempt_at - now)
        now = n.next_attempt_at
        with time_machine.travel(now, tick=False):
            notifications_deliver_pending()
    n.refresh_from_db()
    assert [w.total_seconds() / 60 for w in waits] == [1, 2, 4, 8]
    assert n.status == Notification.Status.FAILED
    assert n.attempts == services.MAX_ATTEMPTS
    assert "SMTP refused" in n.last_error
    assert "failed for good" in caplog.text
    with time_machine.travel(march(10, 12), tick=False):
        assert notifications_deliver_pending() == 0  # never again


def test_the_pending_sweep_leaves_fresh_notifications_to_the_normal_path():
    with time_machine.travel(march(9, 12), tick=False):
        claim()
    assert notifications_deliver_pending(now=march(9, 12, 0) + services.PENDING_GRACE / 2) == 0
    assert notifications_deliver_pending(now=march(9, 12) + services.PENDING_GRACE) == 1


def test_a_failed_attempt_is_recorded_even_though_the_task_does_not_raise(flaky_mail):
    from notifications.tasks import deliver_notification

    flaky_mail.add("someone@example.org")
    n = claim()
    assert deliver_notification.apply(args=[n.pk]).get() is False
    n.refresh_from_db()
    assert n.attempts == 1 and n.last_error and n.status == Notification.Status.PENDING


# --- the broker is down ------------------------------------------------------------------------


@pytest.fixture
def dead_broker(settings):
    """A broker URL pointing at a closed port, publishing for real (not eagerly)."""
    from supportdesk.celery import app

    saved = {
        key: app.conf[key]
        for key in ("broker_url", "broker_transport_options", "task_always_eager")
    }
    dead = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_URL = dead
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.update(broker_url=dead, broker_transport_options={}, task_always_eager=False)
    app._pool = None
    app.amqp._producer_pool = None
    services.reset_broker_breaker()
    yield
    app.conf.update(**saved)
    app._pool = None
    app.amqp._producer_pool = None
    services.reset_broker_breaker()


def test_a_request_is_accepted_while_the_broker_is_down_and_delivered_later(
    dead_broker, client, rep, hub, rotation, django_capture_on_commit_callbacks, caplog
):
    from tickets.models import SupportRequest

    client.force_login(rep)
    caplog.set_level(logging.ERROR, logger="notifications.services")
    started = time.monotonic()
    # Real time here: kombu gives up on the broker after its connect timeout, measured on the
    # clock (a frozen clock would keep it retrying).
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            reverse("tickets:new"),
            {
                "hub": hub.pk,
                "subject": "Kernels die",
                "description": "Since this morning.",
                "affected_users": 0,
            },
        )
    elapsed = time.monotonic() - started

    r = SupportRequest.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("tickets:received", args=[r.pk])
    assert callbacks  # delivery was attempted after commit
    # A hang guard, not a benchmark: kombu's default retries would block for minutes.
    assert elapsed < 15, f"submitting took {elapsed:.1f} s with the broker down"
    ack = Notification.objects.get(key=f"request:{r.pk}:ack")
    assert ack.status == Notification.Status.PENDING and ack.attempts == 0
    assert "could not enqueue notification" in caplog.text
    assert mail.outbox == []

    assert notifications_deliver_pending(now=ack.created_at + services.PENDING_GRACE) >= 1
    ack.refresh_from_db()
    assert ack.status == Notification.Status.SENT
    assert [m.to for m in mail.outbox if "We received your request" in m.subject] == [[rep.email]]


def test_after_one_failed_publish_the_process_stops_waiting_for_the_broker(
    dead_broker, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True):
        claim("test:a")
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        claim("test:b")
        claim("test:c")
    # Without the breaker each publish would wait for the 2 s connect timeout again.
    assert time.monotonic() - started < 3
    assert "left for the pending sweep" in caplog.text
    assert Notification.objects.filter(status=Notification.Status.PENDING).count() == 3
