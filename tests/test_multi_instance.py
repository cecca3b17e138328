"""Beyond one machine: two gunicorn servers, two Celery workers and two beats at once, against
one PostgreSQL database and one broker (Redis), as several hosts would run them.

Representatives submit through both servers, the SLO sweep nudges about overdue requests, and
the workers deliver. Every notification is sent exactly once (one e-mail each, one attempt),
none is skipped, only the beat holding the beat lock schedules, and when it stops the other one
takes over and the sweep goes on."""

from __future__ import annotations

import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from accounts.services import api_token_create
from notifications.beat import install_default_schedule
from notifications.models import Notification
from slo.services import refresh_request_deadlines
from tests.factories import SupportRequestFactory
from tests.test_worker import database_url
from tests.test_worker import wait_for as _wait_for

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SENDING = "Sending due task"

pytestmark = [pytest.mark.worker, pytest.mark.services, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, *, timeout: float, what: str, fleet=None):
    try:
        return _wait_for(predicate, timeout=timeout, what=what)
    except pytest.fail.Exception:
        if fleet is None:
            raise
        pytest.fail(f"timed out after {timeout} s waiting for {what}\n{fleet.logs()}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def overdue_request(*, hub, rep, steward, days: int):
    received = timezone.now() - datetime.timedelta(days=days)
    support_request = SupportRequestFactory(
        community=hub.community,
        hub=hub,
        requester=rep,
        received_at=received,
        assignee=steward,
        status="triaged",
        category="change",
        triaged_at=received + datetime.timedelta(hours=1),
    )
    refresh_request_deadlines(support_request)
    support_request.save()
    assert support_request.response_due_at < timezone.now()
    return support_request


class Fleet:
    """The processes of the test, each logging to its own file."""

    def __init__(self, tmp_path: Path, env: dict):
        self.tmp_path, self.env, self.procs = tmp_path, env, {}

    def start(self, name: str, argv: list[str]) -> None:
        log = (self.tmp_path / f"{name}.log").open("w")
        self.procs[name] = subprocess.Popen(
            argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text()

    def stop(self, name: str) -> None:
        proc = self.procs[name]
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def stop_all(self) -> None:
        for name in self.procs:
            self.stop(name)

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{self.log(name)[-1500:]}" for name in self.procs)


def submit(base: str, token: str, hub_id: int, subject: str) -> int:
    body = json.dumps({"hub": hub_id, "subject": subject, "description": "From a test."})
    request = urllib.request.Request(
        f"{base}/api/v1/requests/",
        data=body.encode(),
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def test_two_servers_two_workers_two_beats_send_everything_exactly_once(
    postgres, redis_url, rep, hub, steward, tmp_path
):
    install_default_schedule()
    PeriodicTask.objects.exclude(task="slo.sweep").update(enabled=False)
    sweep = PeriodicTask.objects.get(task="slo.sweep")
    sweep.interval, _ = IntervalSchedule.objects.get_or_create(every=1, period="seconds")
    sweep.save()
    overdue = [overdue_request(hub=hub, rep=rep, steward=steward, days=10 + i) for i in range(4)]
    _, token = api_token_create(user=rep, name="multi-instance test")

    (tmp_path / "mail").mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"EMAIL_URL", "CELERY_TASK_ALWAYS_EAGER", "SQLITE_TEST_NAME", "BROKER_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="supportdesk.settings",
        DEBUG="0",
        SECRET_KEY="multi-instance-test-secret",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="0",
        LOG_FORMAT="plain",
        DATABASE_URL=database_url(),
        REDIS_URL=redis_url,
        # A cache of the fleet's own: the shared Redis may hold reference data (today's
        # stewards) cached by another test database's processes.
        CACHE_KEY_PREFIX=f"multi-instance-{os.getpid()}-{tmp_path.name}",
        SUPPORTDESK_VAR_DIR=str(tmp_path),  # every process writes e-mail to tmp_path/mail
        PYTHONUNBUFFERED="1",
    )
    fleet = Fleet(tmp_path, env)
    ports = [free_port(), free_port()]
    try:
        for i, port in enumerate(ports):
            fleet.start(
                f"web{i}",
                [
                    str(BIN / "gunicorn"),
                    "supportdesk.wsgi:application",
                    "--config=python:supportdesk.gunicorn_conf",
                    f"--bind=127.0.0.1:{port}",
                    "--workers=1",
                ],
            )
        for i in range(2):
            fleet.start(
                f"worker{i}",
                [
                    str(BIN / "celery"),
                    "-A",
                    "supportdesk",
                    "worker",
                    "--pool=threads",
                    "--concurrency=2",
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel=INFO",
                    "-n",
                    f"sd-multi-{i}-{uuid.uuid4().hex[:8]}@%h",
                ],
            )
        for i in range(2):
            fleet.start(
                f"beat{i}",
                [
                    str(BIN / "celery"),
                    "-A",
                    "supportdesk",
                    "beat",
                    "--loglevel=INFO",
                    "--max-interval=1",
                    "--pidfile=",
                    f"--schedule={tmp_path / f'beat{i}.db'}",
                ],
            )

        def healthy(port: int) -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False

        wait_for(
            lambda: all(healthy(p) for p in ports), timeout=120, what="both servers", fleet=fleet
        )
        submitted = []
        for n in range(3):
            for i, port in enumerate(ports):
                subject = f"Multi-instance submission {i}-{n}"
                try:
                    status = submit(f"http://127.0.0.1:{port}", token, hub.pk, subject)
                except urllib.error.HTTPError as exc:
                    pytest.fail(
                        f"submission answered {exc.code}: {exc.read()[:500]}\n{fleet.logs()}"
                    )
                assert status == 201
                submitted.append(subject)

        def leaders() -> list[str]:
            return [n for n in ("beat0", "beat1") if "beat lock acquired" in fleet.log(n)]

        def settled() -> bool:
            acks = Notification.objects.filter(kind="request_ack").count()
            nudged = {
                n.request_id
                for n in Notification.objects.filter(key__startswith="slo:", status="sent")
            }
            pending = Notification.objects.filter(status="pending").exists()
            return acks == len(submitted) and nudged >= {r.pk for r in overdue} and not pending

        wait_for(settled, timeout=90, what="every notification sent", fleet=fleet)
        assert len(leaders()) == 1, fleet.logs()
        leader = leaders()[0]
        standby = "beat1" if leader == "beat0" else "beat0"
        ticks = fleet.log(leader).count(SENDING)
        wait_for(
            lambda: fleet.log(leader).count(SENDING) >= ticks + 3,
            timeout=30,
            what="three more sweep ticks",
            fleet=fleet,
        )
        assert fleet.log(standby).count(SENDING) == 0
        assert "standing by" in fleet.log(standby)

        # The leader stops: the standby takes over and the sweep goes on.
        fleet.stop(leader)
        wait_for(
            lambda: "beat lock acquired" in fleet.log(standby),
            timeout=30,
            what="the standby beat to take over",
            fleet=fleet,
        )
        late = overdue_request(hub=hub, rep=rep, steward=steward, days=20)
        wait_for(
            lambda: Notification.objects.filter(
                request=late, key__startswith="slo:", status="sent"
            ).exists(),
            timeout=60,
            what="a nudge after the failover",
            fleet=fleet,
        )
        wait_for(
            lambda: not Notification.objects.filter(status="pending").exists(),
            timeout=30,
            what="nothing pending",
        )
    finally:
        fleet.stop_all()

    emails = list(Notification.objects.exclude(channel="in_app"))
    assert emails and all((n.status, n.attempts) == ("sent", 1) for n in emails), [
        (n.key, n.status, n.attempts) for n in emails
    ]
    for support_request in [*overdue, late]:
        assert (
            Notification.objects.filter(request=support_request, key__startswith="slo:").count()
            == 1
        )
    mail = "".join(p.read_text() for p in (tmp_path / "mail").glob("*.log"))
    assert mail.count("Subject: ") == len(emails)
    for n in emails:
        assert mail.count(f"Subject: {n.subject}\n") == 1, n.subject
    for subject in submitted:
        assert mail.count(f"We received your request: {subject}") == 1
