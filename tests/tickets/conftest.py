"""Fixtures for support requests. The clock and the requests in each state (`submit`,
`triaged`, `answered`, `resolved`) are shared with the API tests of other apps: tests/conftest.py.
Time is frozen on Friday 13 March 2026 at 20:00 UTC (FRIDAY_EVENING), when Ann and Ben are the
stewards on duty."""

from __future__ import annotations

import datetime

import pytest

from supportdesk.celery import app as celery_app
from tests.conftest import FRIDAY_EVENING

__all__ = ["FRIDAY_EVENING", "MONDAY_MORNING", "at"]

UTC = datetime.UTC
MONDAY_MORNING = datetime.datetime(2026, 3, 16, 4, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    """An instant in March 2026, UTC."""
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def mail(settings, django_capture_on_commit_callbacks, mailoutbox):
    """Run notification delivery inline: after-commit callbacks execute and the Celery task runs
    eagerly, so e-mails land in the locmem outbox."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True

    class Mail:
        outbox = mailoutbox

        @staticmethod
        def capture():
            return django_capture_on_commit_callbacks(execute=True)

        @staticmethod
        def subjects():
            return [m.subject for m in mailoutbox]

    yield Mail
    celery_app.conf.task_always_eager = previous
