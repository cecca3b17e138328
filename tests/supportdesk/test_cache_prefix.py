"""Each pytest-xdist worker keeps its own cache keys in a shared Redis (CI runs `-n 2` against
one Redis database): the prefix gets the worker's id, so one worker's cached reference data
can never serve the other worker's test database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = (
    "import pytest, django; from django.conf import settings; django.setup(); "
    "print(settings.CACHE_KEY_PREFIX, settings.CACHES['default']['KEY_PREFIX'])"
)


def prefixes(**env) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if k != "PYTEST_XDIST_WORKER"}
    clean.update(DJANGO_SETTINGS_MODULE="supportdesk.settings", **env)
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.split()[-2:]


def test_an_xdist_worker_gets_a_cache_prefix_of_its_own():
    env = {"CACHE_KEY_PREFIX": "ci", "REDIS_URL": "redis://127.0.0.1:6379/0"}
    assert prefixes(**env, PYTEST_XDIST_WORKER="gw0", TEST_REAL_CACHE="1") == ["ci-gw0", "ci-gw0"]
    assert prefixes(**env, PYTEST_XDIST_WORKER="gw1", TEST_REAL_CACHE="1") == ["ci-gw1", "ci-gw1"]
    assert prefixes(**env, PYTEST_XDIST_WORKER="gw1") == ["ci-gw1", "ci-gw1"]  # locmem too
    assert prefixes(**env) == ["ci", "ci"]  # not under xdist: the prefix as configured


def test_this_worker_uses_its_prefix(settings):
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        assert settings.CACHE_KEY_PREFIX.endswith(f"-{worker}")
        assert settings.CACHES["default"]["KEY_PREFIX"] == settings.CACHE_KEY_PREFIX
