"""Redis down loses nothing: a Redis of the test's own (cache and broker, as in production) is
stopped while representatives and a steward submit and reply through the web forms and the API,
over real HTTP to the live server. Every row is saved, every answer is the normal success page,
and once Redis is back a real Celery worker and the pending sweep deliver every notification
exactly once."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from pathlib import Path

import pytest
import redis
from django.utils import timezone

from accounts.services import api_token_create
from notifications import services as notification_services
from notifications.models import Notification
from supportdesk import safecache
from tests.httpclient import Http
from tests.test_worker import BIN, ROOT, database_url, wait_for
from tickets.models import Message, SupportRequest

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROUNDS = 4  # each round: 6 writes (2 submissions, 4 replies) while Redis is down


@pytest.fixture
def app_on_fault_redis(fault_redis, settings, tmp_path):
    """Point the app's cache and broker at the test's own Redis, publishing for real, and
    write e-mail to files so that the worker's and this process's sends can be counted."""
    from supportdesk.celery import app

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": fault_redis.url,
            "KEY_PREFIX": settings.CACHE_KEY_PREFIX,
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(mail_dir)
    keys = ("broker_url", "broker_transport_options", "task_always_eager")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(
        broker_url=fault_redis.url,
        broker_transport_options=dict(settings.REDIS_BROKER_TRANSPORT_OPTIONS),
        task_always_eager=False,
    )
    app._pool = None
    app.amqp._producer_pool = None
    notification_services.reset_broker_breaker()
    safecache.reset()
    yield mail_dir
    app.conf.update(**saved)
    app._pool = None
    app.amqp._producer_pool = None
    notification_services.reset_broker_breaker()
    safecache.reset()


def start_worker(*, redis_url: str, var_dir: Path, log_path: Path) -> subprocess.Popen:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"EMAIL_URL", "CELERY_TASK_ALWAYS_EAGER", "SQLITE_TEST_NAME"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="supportdesk.settings",
        DATABASE_URL=database_url(),
        REDIS_URL=redis_url,
        SUPPORTDESK_VAR_DIR=str(var_dir),  # the file e-mail backend writes to var_dir/mail
        SECRET_KEY="outage-test-secret",
        PYTHONUNBUFFERED="1",
    )
    with log_path.open("w") as log:
        return subprocess.Popen(
            [
                str(BIN / "celery"),
                "-A",
                "supportdesk",
                "worker",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
                "-n",
                f"sd-outage-test-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def sent_messages(*folders: Path) -> list[str]:
    """Every e-mail written by the file backends (one file per connection, messages separated
    by a line of dashes)."""
    messages = []
    for folder in folders:
        for path in folder.glob("*.log"):
            messages += [m for m in path.read_text().split("-" * 79) if "Subject: " in m]
    return messages


def submit_web(http: Http, hub, subject: str):
    http.get("/requests/new/")
    return http.post_form(
        "/requests/new/",
        {"hub": hub.pk, "subject": subject, "description": "Kernels die.", "affected_users": 0},
    )


def test_with_redis_down_nothing_is_lost_and_every_notification_is_sent_once_after(
    postgres, app_on_fault_redis, fault_redis, live_server, rep, hub, steward, tmp_path
):
    mail_dir = app_on_fault_redis
    _, rep_token = api_token_create(user=rep, name="outage test")
    _, steward_token = api_token_create(user=steward, name="outage test")
    rep_web, steward_web = Http(live_server.url), Http(live_server.url)
    rep_api, steward_api = Http(live_server.url), Http(live_server.url)
    rep_web.login(rep.username)
    steward_web.login(steward.username)

    # Redis up: a request and a reply go through the normal path (published to the broker).
    answer = submit_web(rep_web, hub, "Before the outage")
    assert answer.status == 200 and "we received your request" in answer.text
    first = SupportRequest.objects.get(subject="Before the outage")
    steward_web.get(f"/desk/requests/{first.pk}/")
    answer = steward_web.post_form(
        f"/desk/requests/{first.pk}/reply/",
        {"reply-body": "Looking.", "reply-version": first.version},
    )
    assert answer.status == 200 and "Reply sent to the representative." in answer.text
    queued_before = redis.Redis.from_url(fault_redis.url).llen("celery")
    assert queued_before >= 1  # nobody consumes yet: the outage will find them queued

    fault_redis.stop()

    answers: list[tuple[str, int]] = []
    for n in range(ROUNDS):
        answer = submit_web(rep_web, hub, f"Web during the outage {n}")
        assert "we received your request" in answer.text, answer.text[:2000]
        answers.append(("rep web submit", answer.status))
        r = SupportRequest.objects.get(subject=f"Web during the outage {n}")

        answer = rep_api.send_json(
            "POST",
            "/api/v1/requests/",
            {"hub": hub.pk, "subject": f"API during the outage {n}", "description": "Slow."},
            token=rep_token,
        )
        assert answer.status == 201, answer.text[:2000]
        answers.append(("rep API submit", answer.status))

        answer = steward_web.get(f"/desk/requests/{r.pk}/")
        assert answer.status == 200, answer.text[:2000]
        r.refresh_from_db()
        answer = steward_web.post_form(
            f"/desk/requests/{r.pk}/reply/",
            {"reply-body": f"Steward web reply {n}", "reply-version": r.version},
        )
        assert "Reply sent to the representative." in answer.text, answer.text[:2000]
        answers.append(("steward web reply", answer.status))

        answer = steward_api.send_json(
            "POST",
            f"/api/v1/requests/{r.pk}/messages/",
            {"body": f"Steward API reply {n}"},
            token=steward_token,
        )
        assert answer.status == 201, answer.text[:2000]
        answers.append(("steward API reply", answer.status))

        rep_web.get(f"/requests/{r.pk}/")
        answer = rep_web.post_form(f"/requests/{r.pk}/reply/", {"reply-body": f"Rep web reply {n}"})
        assert "Your reply was sent" in answer.text, answer.text[:2000]
        answers.append(("rep web reply", answer.status))

        answer = rep_api.send_json(
            "POST",
            f"/api/v1/requests/{r.pk}/messages/",
            {"body": f"Rep API reply {n}"},
            token=rep_token,
        )
        assert answer.status == 201, answer.text[:2000]
        answers.append(("rep API reply", answer.status))

    # Pages read the cache too (stewards on duty, calendars, the status page): all answer.
    for http, path in [
        (steward_web, "/desk/"),
        (steward_web, f"/desk/requests/{first.pk}/"),
        (rep_web, "/requests/"),
        (rep_web, "/status/"),
    ]:
        assert http.get(path).status == 200, path
    assert [a for a in answers if a[1] >= 500] == []
    assert SupportRequest.objects.count() == 1 + 2 * ROUNDS
    assert Message.objects.filter(body__contains="reply").count() == 4 * ROUNDS
    pending = Notification.objects.filter(status=Notification.Status.PENDING).exclude(
        channel=Notification.Channel.IN_APP
    )
    assert pending.count() > 4 * ROUNDS  # left for the sweep, none lost

    # Redis is back. The worker consumes what was queued before the outage; the pending sweep
    # (beat, every minute) delivers the rest. They may race on a row: each is sent once.
    fault_redis.start()
    notification_services.reset_broker_breaker()  # what 30 s of real time would do
    worker_var = tmp_path / "worker"
    (worker_var / "mail").mkdir(parents=True)
    log_path = tmp_path / "worker.log"
    worker = start_worker(redis_url=fault_redis.url, var_dir=worker_var, log_path=log_path)
    try:
        later = timezone.now() + notification_services.PENDING_GRACE
        notification_services.notifications_deliver_pending(now=later)
        queue = redis.Redis.from_url(fault_redis.url)
        wait_for(
            lambda: (
                queue.llen("celery") == 0
                and len(re.findall(r"Task notifications\.deliver\[", log_path.read_text()))
                >= queued_before
            ),
            timeout=60,
            what=f"the worker to drain the queue; log:\n{log_path.read_text()[-3000:]}",
        )
        wait_for(
            lambda: (
                len(
                    re.findall(
                        r"notifications\.deliver\[[^\]]+\] (succeeded|raised)", log_path.read_text()
                    )
                )
                >= queued_before
            ),
            timeout=30,
            what="the worker to finish what it took",
        )
        # A second sweep finds nothing left: no row is delivered twice.
        assert notification_services.notifications_deliver_pending(now=later) == 0
    finally:
        stop(worker)

    email = Notification.objects.filter(channel=Notification.Channel.EMAIL)
    assert email.count() > 4 * ROUNDS
    assert list(email.exclude(status=Notification.Status.SENT).values_list("key", "status")) == []
    assert set(email.values_list("attempts", flat=True)) == {1}
    messages = sent_messages(mail_dir, worker_var / "mail")
    assert len(messages) == email.count(), "every notification is sent exactly once"
