"""Fixtures for support requests. Time is frozen on a plain working week in March 2026 (no
public holiday of the roster's countries, far from the reduced-capacity year edges): Friday
13 March 2026 at 20:00 UTC, when Ann and Ben are the stewards on duty."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from supportdesk.celery import app as celery_app
from tickets import services

UTC = datetime.UTC
FRIDAY_EVENING = datetime.datetime(2026, 3, 13, 20, 0, tzinfo=UTC)
MONDAY_MORNING = datetime.datetime(2026, 3, 16, 4, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    """An instant in March 2026, UTC."""
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def clock():
    """Frozen time that tests move with clock.move_to(...)."""
    with time_machine.travel(FRIDAY_EVENING, tick=False) as traveller:
        yield traveller


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


@pytest.fixture
def submit(rep, hub, rotation, clock):
    """Submit a request as the representative of the community (through the service)."""

    def _submit(**kwargs):
        values = {
            "requester": rep,
            "hub": hub,
            "subject": "Kernel dies on import",
            "description": "Importing *xarray* kills the kernel.",
        }
        values.update(kwargs)
        return services.request_submit(**values)

    return _submit


@pytest.fixture
def triaged(submit, steward):
    """A change request that a steward has triaged."""
    r = submit()
    return services.request_triage(
        request=r, by=steward, category="change", expected_version=r.version
    )


@pytest.fixture
def answered(triaged, steward):
    """A triaged request the steward has answered publicly."""
    services.request_reply(request=triaged, by=steward, body="Looking into it.")
    triaged.refresh_from_db()
    return triaged


@pytest.fixture
def resolved(answered, steward):
    return services.request_resolve(
        request=answered,
        by=steward,
        body="Fixed: the image was rebuilt.",
        expected_version=answered.version,
    )
