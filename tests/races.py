"""The harness of the exactly-once race tests: two processes run one sweep at the same instant
against the test's PostgreSQL database, each with the embedded broker (delivery is not what is
measured), and their results come back as the sweep returned them."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]

RACER = """
import importlib, json, sys, time, datetime
import django
django.setup()
module, name = sys.argv[3].split(":")
sweep = getattr(importlib.import_module(module), name)
start = float(sys.argv[1]); now = datetime.datetime.fromisoformat(sys.argv[2])
while time.time() < start:
    pass
print(json.dumps(sweep(now=now)))
"""


def database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def race(*, sweep: str, now: datetime.datetime, var_dir: Path, processes: int = 2) -> list[dict]:
    """Run `sweep` ("module:function", called with now=) in `processes` processes that start
    together 3 s from now; every one must succeed."""
    env = {k: v for k, v in os.environ.items() if k not in {"EMAIL_URL", "SQLITE_TEST_NAME"}}
    env.update(
        DJANGO_SETTINGS_MODULE="supportdesk.settings",
        DATABASE_URL=database_url(),
        SUPPORTDESK_VAR_DIR=str(var_dir),
        SECRET_KEY="race-test-secret",
    )
    env.pop("REDIS_URL", None)
    start = time.time() + 3
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(start), now.isoformat(), sweep],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    results = []
    for racer in racers:
        out, err = racer.communicate(timeout=120)
        assert racer.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results
