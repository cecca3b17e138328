"""The database goes away and comes back: a production-configured gunicorn (DEBUG off,
persistent connections) reaches the test database through a TCP proxy that the test cuts.
Pages answer a 503 page with Retry-After, the API its JSON error, /healthz names the database;
when the proxy forwards again the same server answers normally, without a restart."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.urls import path

from accounts.services import api_token_create
from supportdesk import outages
from tests.conftest import free_port
from tests.faults import TcpProxy
from tests.httpclient import Http

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def proxied_database_url(port: int) -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@127.0.0.1:{port}/{db['NAME']}"


def static_root_without_hashing(folder: Path) -> Path:
    """What collectstatic makes, without hashing or compressing (the real command post-processes
    800 files: far too slow for a test): every static file, and a manifest that maps each name
    to itself."""
    from django.contrib.staticfiles import finders

    static_root = folder / "static"
    names = []
    for finder in finders.get_finders():
        for name, storage in finder.list([]):
            target = static_root / name
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(storage.path(name), target)
                names.append(name)
    manifest = {"paths": {name: name for name in names}, "version": "1.1", "hash": "test"}
    (static_root / "staticfiles.json").write_text(json.dumps(manifest))
    return folder


@pytest.fixture
def database_proxy(postgres):
    db = connection.settings_dict
    proxy = TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    yield proxy
    proxy.close()


@pytest.fixture
def server(database_proxy, redis_url, tmp_path):
    """gunicorn with production settings, its database behind the proxy. Stopped by its PID."""
    var = static_root_without_hashing(tmp_path / "var")
    for folder in ("mail", "cache"):
        (var / folder).mkdir()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "EMAIL_URL"}}
    env.update(
        DATABASE_URL=proxied_database_url(database_proxy.port),
        REDIS_URL=redis_url,
        # A cache of the server's own: the shared Redis may hold reference data (today's
        # stewards) cached by another test database's processes.
        CACHE_KEY_PREFIX=f"database-outage-{os.getpid()}-{tmp_path.name}",
        SUPPORTDESK_VAR_DIR=str(var),
        SECRET_KEY="database-outage-test-secret",
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="0",
        PYTHONUNBUFFERED="1",
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "supportdesk.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    http = Http(f"http://127.0.0.1:{port}", timeout=30)
    http.log_path = log_path  # for failure messages
    deadline = time.monotonic() + 60
    while True:
        try:
            if http.get("/healthz").status == 200:
                break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"gunicorn did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.2)  # polling a real process
    yield http
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_database_down_answers_503_and_the_server_recovers_by_itself(
    database_proxy, server, rep, hub
):
    _, token = api_token_create(user=rep, name="outage")
    api = Http(server.base_url)
    # A signed-in representative (production cookies are Secure: set by hand over plain HTTP).
    # The session lives in the database.
    browser = Client()
    browser.force_login(rep)
    session = {"Cookie": f"sessionid={browser.cookies['sessionid'].value}"}

    assert server.get("/requests/", headers=session).status == 200, server.log_path.read_text()[
        -3000:
    ]
    assert api.send_json("GET", "/api/v1/requests/", None, token=token).status == 200
    # Twice, so the worker holds a persistent connection (CONN_MAX_AGE) when the cut comes.
    assert server.get("/requests/", headers=session).status == 200

    database_proxy.cut()

    started = time.monotonic()
    page = server.get("/requests/", headers=session)
    seconds_to_503 = time.monotonic() - started
    assert page.status == 503, page.text[:2000]
    assert page.headers["Retry-After"] == str(outages.RETRY_AFTER_SECONDS)
    assert "supportdesk is briefly unavailable" in page.text
    assert "text/html" in page.headers["Content-Type"]
    # A hang guard, not a benchmark: a refused connection must not hold the request.
    assert seconds_to_503 < 10

    answer = api.send_json("GET", "/api/v1/requests/", None, token=token)
    assert answer.status == 503
    assert answer.headers["Retry-After"] == str(outages.RETRY_AFTER_SECONDS)
    assert answer.json()["code"] == "service_unavailable"
    submit = api.send_json(
        "POST",
        "/api/v1/requests/",
        {"hub": hub.pk, "subject": "During the outage", "description": "x"},
        token=token,
    )
    assert submit.status == 503 and submit.json()["code"] == "service_unavailable"

    health = server.get("/healthz")
    assert health.status == 503
    assert health.json()["failed"] == ["database"]
    assert health.json()["database"] == "error"

    database_proxy.restore()

    assert server.get("/healthz").status == 200
    assert server.get("/requests/", headers=session).status == 200
    submit = api.send_json(
        "POST",
        "/api/v1/requests/",
        {"hub": hub.pk, "subject": "After the outage", "description": "x"},
        token=token,
    )
    assert submit.status == 201, submit.text[:2000]


# --- the same answers in-process, from a view and from outside any view ------------------------


def failing_view(request):
    from django.db import OperationalError

    raise OperationalError("connection refused")


def buggy_view(request):
    raise ValueError("a bug")


handler500 = "supportdesk.outages.server_error"
urlpatterns = [
    path("page/", failing_view),
    path("api/v1/thing/", failing_view),
    path("bug/", buggy_view),
    path("api/v1/bug/", buggy_view),
    path("ok/", lambda request: HttpResponse("ok")),
]


@pytest.fixture
def outage_urls(settings):
    settings.ROOT_URLCONF = __name__


def test_a_view_that_loses_the_database_answers_503(outage_urls, db):
    client = Client(raise_request_exception=False)
    page = client.get("/page/")
    assert page.status_code == 503 and page["Retry-After"] == "30"
    assert b"briefly unavailable" in page.content
    api = client.get("/api/v1/thing/")
    assert api.status_code == 503
    assert api.json() == {"detail": outages.MESSAGE, "code": "service_unavailable"}


def test_a_bug_is_still_a_500_and_under_the_api_a_json_one(outage_urls, db):
    client = Client(raise_request_exception=False)
    assert client.get("/bug/").status_code == 500
    api = client.get("/api/v1/bug/")
    assert api.status_code == 500
    assert api.json()["code"] == "error"


def test_the_handler_answers_503_for_a_database_error_raised_outside_a_view(rf):
    from django.db import InterfaceError

    try:
        raise InterfaceError("connection already closed")
    except InterfaceError:
        response = outages.server_error(rf.get("/anything/"))
    assert response.status_code == 503
