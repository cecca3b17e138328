"""`make run` without PostgreSQL or Redis: one SQLite file shared by web, worker and beat, and a
filesystem broker. These tests run real processes against a temporary var/ folder."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def embedded_env(var_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "CELERY_TASK_ALWAYS_EAGER"}
    }
    env.update(DEBUG="1", SUPPORTDESK_VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1")
    for sub in ("broker/queue", "broker/control", "broker/processed", "mail", "cache"):
        (var_dir / sub).mkdir(parents=True, exist_ok=True)
    return env


def manage(env, *args, timeout=180):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )


@pytest.fixture(scope="module")
def migrated_var(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("var")
    env = embedded_env(var_dir)
    manage(env, "migrate", "--noinput", "-v0")
    return var_dir, env


def test_sqlite_file_uses_wal(migrated_var):
    var_dir, _ = migrated_var
    with sqlite3.connect(var_dir / "supportdesk.sqlite3") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


WRITER = """
import django, os, sys
django.setup()
from django.db import transaction
from slo.models import ClosedDate
import datetime
base = datetime.date(2030 + int(sys.argv[1]), 1, 1)
for i in range(60):
    with transaction.atomic():
        day = base + datetime.timedelta(days=i)
        ClosedDate.objects.create(date=day, name=f"w{sys.argv[1]}")
        # Read then write inside one transaction: the pattern that deadlocks with DEFERRED.
        ClosedDate.objects.filter(date=day).update(name=f"w{sys.argv[1]}-{i}")
print("ok")
"""


def test_concurrent_writers_never_see_database_is_locked(migrated_var):
    _, env = migrated_var
    env = {**env, "DJANGO_SETTINGS_MODULE": "supportdesk.settings"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(n)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    outputs = [p.communicate(timeout=180) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "database is locked" not in err
        assert out.strip() == "ok"


SEND = """
import django
django.setup()
from django.db import transaction
from notifications.services import notify
with transaction.atomic():
    notify(key="embedded-test", kind="test", subject="[SD-0] embedded", body="hello",
           email="rep@example.org")
print("queued")
"""


@pytest.mark.worker
def test_a_task_sent_by_the_web_process_runs_in_a_real_worker(migrated_var):
    var_dir, env = migrated_var
    env = {**env, "DJANGO_SETTINGS_MODULE": "supportdesk.settings"}
    worker = subprocess.Popen(
        [
            str(BIN / "celery"),
            "-A",
            "supportdesk",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        sent = subprocess.run(
            [sys.executable, "-c", SEND], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert sent.returncode == 0, sent.stderr
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline:
            with sqlite3.connect(var_dir / "supportdesk.sqlite3") as conn:
                row = conn.execute(
                    "SELECT status FROM notifications_notification WHERE key = 'embedded-test'"
                ).fetchone()
            status = row and row[0]
            if status == "sent":
                break
            time.sleep(0.2)  # polling a real process, not waiting on simulated time
        assert status == "sent"
        mails = list((var_dir / "mail").glob("*.log"))
        assert mails and "[SD-0] embedded" in mails[0].read_text()
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


@pytest.mark.parametrize("pool", ["threads", "prefork"])
def test_the_embedded_broker_runs_only_the_solo_pool(tmp_path, pool):
    """A prefork worker on the filesystem broker was seen to stop consuming for minutes: the
    embedded settings make solo the pool (Celery then ignores --pool=prefork, its default), and
    the worker refuses any other."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"REDIS_URL", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        SUPPORTDESK_VAR_DIR=str(tmp_path), DEBUG="1", DJANGO_SETTINGS_MODULE="supportdesk.settings"
    )
    command = [str(BIN / "celery"), "-A", "supportdesk", "worker", f"--pool={pool}"]
    if pool == "threads":
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode != 0
        assert "supports only the solo pool" in done.stdout + done.stderr
    else:
        check = (
            "from supportdesk.celery import app; import django; django.setup(); "
            "print(app.conf.worker_pool)"
        )
        done = subprocess.run(
            [sys.executable, "-c", check], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert done.stdout.strip() == "solo", done.stderr
