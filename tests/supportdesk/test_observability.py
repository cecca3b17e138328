"""/metrics (who may read it, and what it says), JSON logs with a request id on every line, and
error reports to a Sentry-compatible server."""

from __future__ import annotations

import datetime
import gzip
import io
import json
import logging
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.utils import timezone

from desk.metrics import record_sweep
from notifications.models import Notification
from supportdesk.observability import logging_config
from tests.factories import IncidentFactory, SupportRequestFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_metrics(settings):
    settings.METRICS_CACHE_SECONDS = 0
    settings.METRICS_TOKEN = "metrics-secret"
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]


def scrape(client, **extra) -> tuple[int, str]:
    response = client.get("/metrics", **extra)
    return response.status_code, response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("address", "header", "status"),
    [
        ("127.0.0.1", None, 200),
        ("::1", None, 200),
        ("10.2.3.4", None, 403),
        ("10.2.3.4", "Bearer metrics-secret", 200),
        ("10.2.3.4", "Bearer wrong", 403),
        ("127.0.0.1", "Bearer wrong", 403),
        ("10.2.3.4", "metrics-secret", 403),
    ],
)
def test_metrics_need_an_allowed_network_or_the_token(
    client, fresh_metrics, address, header, status
):
    extra = {"REMOTE_ADDR": address}
    if header:
        extra["HTTP_AUTHORIZATION"] = header
    assert scrape(client, **extra)[0] == status


@pytest.mark.django_db
def test_metrics_allowed_networks_are_a_setting(client, fresh_metrics, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert scrape(client, REMOTE_ADDR="10.2.3.4")[0] == 200
    assert scrape(client, REMOTE_ADDR="127.0.0.1")[0] == 403


@pytest.mark.django_db
def test_metrics_report_the_desk(client, fresh_metrics, hub, rep, steward):
    now = timezone.now()
    # One untriaged request past its triage deadline, one triaged whose answer is due in 30 min.
    SupportRequestFactory(
        community=hub.community,
        hub=hub,
        requester=rep,
        status="new",
        triage_due_at=now - datetime.timedelta(hours=1),
        response_due_at=now + datetime.timedelta(days=2),
    )
    SupportRequestFactory(
        community=hub.community,
        hub=hub,
        requester=rep,
        status="triaged",
        category="change",
        received_at=now - datetime.timedelta(hours=2),
        triaged_at=now - datetime.timedelta(hours=1),
        assignee=steward,
        response_due_at=now + datetime.timedelta(minutes=30),
    )
    SupportRequestFactory(
        community=hub.community,
        hub=hub,
        requester=rep,
        status="closed",
        category="guidance",
        received_at=now - datetime.timedelta(hours=3),
        triaged_at=now - datetime.timedelta(hours=2),
        resolved_at=now - datetime.timedelta(hours=1),
        closed_at=now,
    )
    Notification.objects.create(
        key="a", kind="x", subject="s", body="b", recipient_email="a@b.c", created_at=now
    )
    Notification.objects.create(
        key="b",
        kind="x",
        subject="s",
        body="b",
        recipient_email="a@b.c",
        status="failed",
        created_at=now,
    )
    incident = IncidentFactory(state="triggered")
    incident.hubs.add(hub)
    record_sweep(seconds=0.25, finished_at=1_700_000_000.0)

    status, text = scrape(client)
    assert status == 200
    lines = set(text.splitlines())
    for line in (
        'supportdesk_requests_open{category="untriaged",status="new"} 1.0',
        'supportdesk_requests_open{category="change",status="triaged"} 1.0',
        'supportdesk_slo_breached{clock="triage"} 1.0',
        'supportdesk_slo_breached{clock="first_response"} 0.0',
        'supportdesk_deadlines_due_within_hour{clock="first_response"} 1.0',
        'supportdesk_deadlines_due_within_hour{clock="triage"} 0.0',
        'supportdesk_notifications{status="pending"} 1.0',
        'supportdesk_notifications{status="failed"} 1.0',
        f'supportdesk_incidents_open{{hub="{hub.name}"}} 1.0',
        "supportdesk_sweep_duration_seconds 0.25",
        "supportdesk_sweep_last_run_timestamp_seconds 1.7e+09",
    ):
        assert line in lines, line
    # django-prometheus: HTTP and database metrics of this very process.
    assert "django_http_requests_total_by_method_total" in text
    assert "django_db_execute_total" in text


@pytest.mark.django_db
def test_metrics_snapshot_is_cached_between_scrapes(
    client, fresh_metrics, settings, hub, rep, django_assert_max_num_queries
):
    settings.METRICS_CACHE_SECONDS = 60
    scrape(client)
    SupportRequestFactory(community=hub.community, hub=hub, requester=rep, status="new")
    with django_assert_max_num_queries(0):
        status, text = scrape(client)
    assert status == 200
    assert 'supportdesk_requests_open{category="untriaged",status="new"}' not in text


def _json_handler() -> tuple[logging.Handler, io.StringIO]:
    spec = dict(logging_config(level="INFO", fmt="json", request_log_level="INFO")["formatters"])
    spec = dict(spec["structured"])
    factory = spec.pop("()")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(factory(**spec))
    return handler, stream


@pytest.mark.django_db
def test_every_log_line_of_a_request_is_json_with_its_request_id(client, rep):
    # Logged in before capturing: the login's own log lines (django-axes) belong to no request.
    client.force_login(rep)
    handler, stream = _json_handler()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        response = client.get("/no-such-page/")
    finally:
        root.removeHandler(handler)
    assert response.status_code == 404
    request_id = response["X-Request-ID"]
    events = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    # Django's own warning (standard logging) and django-structlog's access line.
    assert {event["logger"] for event in events} >= {
        "django.request",
        "django_structlog.middlewares.request",
    }
    for event in events:
        assert event.get("request_id") == request_id, event
        assert event["level"] and event["timestamp"]
    finished = next(e for e in events if e["event"] == "request_finished")
    assert finished["code"] == 404
    assert finished["user_id"] == rep.pk


def test_requests_get_their_own_ids(client, db):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert first and second and first != second


class _SentryServer(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            import brotli

            body = brotli.decompress(body)
        _SentryServer.received.append(self.path.encode() + b"\n" + body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def test_errors_are_reported_to_sentry_when_a_dsn_is_set(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SentryServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _SentryServer.received = []
    try:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "supportdesk.settings",
            "DEBUG": "1",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "SUPPORTDESK_VAR_DIR": str(tmp_path),
            "SENTRY_DSN": f"http://publickey@127.0.0.1:{server.server_port}/42",
            "SENTRY_ENVIRONMENT": "test",
        }
        env.pop("REDIS_URL", None)
        code = (
            "import django; django.setup()\n"
            "import sentry_sdk\n"
            "try:\n    1 / 0\nexcept ZeroDivisionError:\n    sentry_sdk.capture_exception()\n"
            "sentry_sdk.flush(timeout=5)\n"
        )
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=60)
    finally:
        server.shutdown()
    assert _SentryServer.received, "nothing reached the Sentry server"
    report = b"".join(_SentryServer.received)
    assert b"/api/42/envelope/" in report
    assert b"ZeroDivisionError" in report
    assert b'"environment":"test"' in report


@pytest.mark.django_db
def test_the_grafana_dashboard_reads_metrics_we_export(client, fresh_metrics):
    import re

    record_sweep(seconds=0.1)
    families = re.findall(r"^# TYPE ([a-z_]+) ", scrape(client)[1], flags=re.MULTILINE)
    suffixes = ("", "_total", "_bucket", "_count", "_sum")
    exported = {family + suffix for family in families for suffix in suffixes}
    dashboard = json.loads((ROOT / "deploy/grafana/supportdesk-dashboard.json").read_text())
    used = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\b((?:supportdesk|django)_[a-z_]+)", target["expr"])
    }
    assert used
    # Families are listed even before their first sample (a family without labels set yet).
    assert used - exported == set()
