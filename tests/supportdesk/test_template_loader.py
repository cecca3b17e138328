"""Templates are compiled once per process (Django's cached loader), in every mode: `make run`
and `make bench` run with DEBUG=1, production with DEBUG off. Django enables the cached loader
itself whenever OPTIONS["loaders"] is not set (since 4.1 also with DEBUG on, reloading changed
templates), so the settings must keep leaving it unset."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.conf import settings
from django.template import engines


def test_the_settings_leave_the_loaders_to_django():
    (django_templates,) = settings.TEMPLATES
    assert "loaders" not in django_templates.get("OPTIONS", {})


def test_the_engine_of_this_process_caches_templates():
    loaders = engines["django"].engine.loaders
    assert loaders[0][0] == "django.template.loaders.cached.Loader"


@pytest.mark.parametrize("debug", ["0", "1"])
def test_the_cached_loader_is_on_with_debug_on_and_off(debug, tmp_path):
    code = (
        "import django; django.setup(); from django.template import engines; "
        "print(engines['django'].engine.loaders[0][0])"
    )
    env = {
        "DJANGO_SETTINGS_MODULE": "supportdesk.settings",
        "DEBUG": debug,
        "SECRET_KEY": "x" * 50,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SUPPORTDESK_VAR_DIR": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
    )
    assert out.stdout.strip().splitlines()[-1] == "django.template.loaders.cached.Loader"
