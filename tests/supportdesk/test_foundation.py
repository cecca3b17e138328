"""The runnable stack: health check, production settings, admin coverage, demo data, compose."""

from __future__ import annotations

import contextlib
import importlib
import os
import subprocess
import sys
from pathlib import Path

import yaml
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
PROJECT_APPS = {
    "accounts",
    "communities",
    "slo",
    "rotation",
    "tickets",
    "incidents",
    "availability",
    "notifications",
}


@contextlib.contextmanager
def celery_broker(url: str, options: dict | None = None):
    """Point the Celery app at another broker, then put everything back, pools included (a
    closed pool left behind breaks every later publish in the session)."""
    from supportdesk.celery import app

    def reset_pools():
        app.pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None

    old = (app.conf.broker_url, dict(app.conf.broker_transport_options or {}))
    app.conf.broker_url, app.conf.broker_transport_options = url, options or {}
    reset_pools()
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.broker_transport_options = old
        reset_pools()


def test_healthz_answers_200_when_database_and_broker_answer(client, db, tmp_path):
    for folder in ("queue", "control"):
        (tmp_path / folder).mkdir()
    options = {
        "data_folder_in": str(tmp_path / "queue"),
        "data_folder_out": str(tmp_path / "queue"),
        "control_folder": str(tmp_path / "control"),
    }
    with celery_broker("filesystem://", options):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "cache": "ok",
        "failed": [],
    }


def test_healthz_answers_503_when_the_broker_is_down(client, db):
    with celery_broker("redis://127.0.0.1:1/0"):  # nothing listens on port 1
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "error"
    assert response.json()["database"] == "ok"
    assert response.json()["failed"] == ["broker"]
    assert response["Retry-After"]


def test_healthz_liveness_probe_does_not_depend_on_the_broker(client, db):
    with celery_broker("redis://127.0.0.1:1/0"):
        response = client.get("/healthz", {"probe": "live"})
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_with_real_redis(client, db, redis_url):
    with celery_broker(redis_url):
        response = client.get("/healthz")
    assert response.status_code == 200, response.content


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # DJANGO_ALLOW_ASYNC_UNSAFE is set for the browser tests; it is never set in deployment.
    dropped = {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "DEBUG": "0",
            "SECRET_KEY": "k3Jv9Qz7Lr2Wm8Xt5Yp1Nb6Hc4Fd0Gs-Ua_Ve+Ri=Ot!Ey@Iw#Ph%Sj^Dk&Zl*Am",
            "ALLOWED_HOSTS": "support.example.org",
            "SUPPORTDESK_VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_secret_key_is_required_when_debug_is_off(tmp_path):
    result = run_manage("check", env={"DEBUG": "0", "SUPPORTDESK_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_the_migration_check_needs_no_secret(tmp_path):
    """Checking that models and migrations agree reads only code: it runs with no environment."""
    result = run_manage(
        "makemigrations", "--check", "--dry-run", env={"SUPPORTDESK_VAR_DIR": str(tmp_path)}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout


def test_every_model_is_in_the_admin():
    models = [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS]
    assert len(models) >= 20
    missing = [m.__name__ for m in models if not admin.site.is_registered(m)]
    assert missing == []


def test_every_admin_changelist_renders(admin_client):
    for model in admin.site._registry:
        if model._meta.app_label not in PROJECT_APPS:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = admin_client.get(url)
        assert response.status_code == 200, url


def test_seed_demo_is_idempotent(db):
    from accounts.models import User
    from communities.models import Community, Hub, SupportBudget
    from tickets.models import SupportRequest

    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    counts = [m.objects.count() for m in (User, Community, Hub, SupportBudget, SupportRequest)]
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert [
        m.objects.count() for m in (User, Community, Hub, SupportBudget, SupportRequest)
    ] == counts
    assert counts[1] == 12
    assert User.objects.filter(engineer__isnull=False).count() == 5


def test_docker_compose_services_name_real_modules():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "beat", "migrate"} <= set(services)
    for name in ("postgres", "redis", "web", "worker"):
        assert "healthcheck" in services[name], name
    assert compose["volumes"].keys() >= {"postgres-data", "redis-data"}

    web = services["web"]["command"]
    module, _, attr = web[web.index("gunicorn") + 1].partition(":")
    assert callable(getattr(importlib.import_module(module), attr))
    for name in ("worker", "beat"):
        command = services[name]["command"]
        celery_app = command[command.index("-A") + 1]
        assert importlib.import_module(celery_app).celery_app.main == "supportdesk"
    beat = services["beat"]["command"]
    scheduler_path = beat[beat.index("--scheduler") + 1]
    module, _, attr = scheduler_path.partition(":")
    assert getattr(importlib.import_module(module), attr)
    assert services["migrate"]["command"][-2:] == ["migrate", "--noinput"]
    assert (ROOT / services["web"].get("build", ".")).joinpath("Dockerfile").exists() or (
        ROOT / "Dockerfile"
    ).exists()
