"""Shared by the notification, sweep and worker tests."""

from __future__ import annotations

import datetime

import pytest
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

from notifications.models import Notification
from notifications.services import reset_broker_breaker

UTC = datetime.UTC

# Addresses the flaky backend refuses, as a mail server that is down for them would.
FAILING: set[str] = set()


class FlakyEmailBackend(LocmemBackend):
    def send_messages(self, messages):
        for message in messages:
            if FAILING.intersection(message.to):
                raise ConnectionRefusedError(f"SMTP refused {message.to}")
        return super().send_messages(messages)


def march(day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    """March 2026: no holiday of the test roster (US, DE, GB), no year-edge week."""
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def nudges(**filters):
    return Notification.objects.filter(key__startswith="slo:", **filters).order_by("key")


def nudge_keys(**filters) -> list[str]:
    return list(nudges(**filters).values_list("key", flat=True))


@pytest.fixture
def eager_delivery():
    """Run delivery tasks in-process (what a worker would do), so e-mails land in the outbox."""
    from supportdesk.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    reset_broker_breaker()
    yield
    app.conf.task_always_eager = before
    reset_broker_breaker()


@pytest.fixture
def flaky_mail(settings):
    settings.EMAIL_BACKEND = "tests.notifications.helpers.FlakyEmailBackend"
    FAILING.clear()
    yield FAILING
    FAILING.clear()
