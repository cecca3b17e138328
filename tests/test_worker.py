"""The real thing: a Celery worker with embedded beat (the database schedule, behind the beat
lock) against each production broker (Redis; RabbitMQ with BROKER_URL=amqp://) and the
PostgreSQL test database. An overdue request produces exactly one nudge e-mail within seconds,
and later ticks of the sweep send nothing more."""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from notifications.beat import install_default_schedule
from notifications.models import Notification
from slo.services import refresh_request_deadlines
from tests.factories import SupportRequestFactory

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

pytestmark = [pytest.mark.worker, pytest.mark.services, pytest.mark.django_db(transaction=True)]


def database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_for(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)  # polling a real process, not waiting on simulated time
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_an_overdue_request_produces_exactly_one_nudge_email(
    request, broker, postgres, redis_url, rep, hub, steward, tmp_path
):
    broker_url = redis_url if broker == "redis" else request.getfixturevalue("rabbitmq_url")
    # The schedule as seeded (transactional tests empty the tables), with only the sweep on and
    # ticking every 2 s instead of every minute: the change an admin would make in Django admin.
    install_default_schedule()
    PeriodicTask.objects.exclude(task="slo.sweep").update(enabled=False)
    sweep = PeriodicTask.objects.get(task="slo.sweep")
    sweep.interval, _ = IntervalSchedule.objects.get_or_create(every=2, period="seconds")
    sweep.save()

    # Triaged long ago and never answered: only the response clock runs, and it is past due.
    received = timezone.now() - datetime.timedelta(days=10)
    support_request = SupportRequestFactory(
        community=hub.community,
        hub=hub,
        requester=rep,
        received_at=received,
        assignee=steward,
        status="triaged",
        category="change",
        triaged_at=received + datetime.timedelta(hours=1),
        # Its 30-minute time-box ran out (and was nudged) long ago: only the response nudge is
        # due now (desk/timebox.py nudges an expired time-box once, from the same beat task).
        timebox_expired_at=received + datetime.timedelta(hours=2),
    )
    refresh_request_deadlines(support_request)
    support_request.save()
    assert support_request.response_due_at < timezone.now()

    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    log_path = tmp_path / "worker.log"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"EMAIL_URL", "CELERY_TASK_ALWAYS_EAGER", "SQLITE_TEST_NAME"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="supportdesk.settings",
        DATABASE_URL=database_url(),
        REDIS_URL=redis_url,
        BROKER_URL=broker_url,
        SUPPORTDESK_VAR_DIR=str(tmp_path),  # the file e-mail backend writes to tmp_path/mail
        SECRET_KEY="worker-test-secret",
        PYTHONUNBUFFERED="1",
    )
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [
                str(BIN / "celery"),
                "-A",
                "supportdesk",
                "worker",
                "-B",
                # For `worker`, -S is --statedb (a shelve file); the beat scheduler is this:
                "--scheduler",
                "supportdesk.beat:SingleBeatScheduler",
                "--pool=solo",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
                "-n",
                f"sd-worker-test-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def sweeps_done() -> int:
        return len(re.findall(r"Task slo\.sweep\[[^\]]+\] succeeded", log_path.read_text()))

    def nudges():
        return list(Notification.objects.filter(key__startswith="slo:"))

    try:
        wait_for(
            lambda: any(n.status == "sent" for n in nudges()),
            # A hang guard: on a loaded machine the worker alone takes 30 s to start.
            timeout=120,
            what=f"the nudge to be sent; worker log:\n{log_path.read_text()[-3000:]}",
        )
        ticks = sweeps_done()
        wait_for(lambda: sweeps_done() >= ticks + 2, timeout=15, what="two more sweep ticks")
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()

    sent = nudges()
    assert len(sent) == 1
    nudge = sent[0]
    assert nudge.key.startswith(f"slo:first_response:request:{support_request.pk}:")
    assert nudge.key.endswith(f":breach:user:{steward.pk}")
    assert (nudge.status, nudge.attempts) == ("sent", 1)
    messages = "".join(p.read_text() for p in mail_dir.glob("*.log"))
    assert messages.count(f"Subject: [{support_request.reference}] First response overdue") == 1
    assert messages.count("Subject: ") == 1
