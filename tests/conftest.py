"""Project-wide fixtures: the people of DOMAIN.md, requests and incidents built through the real
services under a frozen clock, API clients, and access to real services.

Service-backed tests ask for the `postgres` or `redis_url` fixture. When the service is absent
they skip with the reason, unless REQUIRE_SERVICES=1 (set by .ci/run), where a missing service
fails the test instead, so CI can never pass by skipping."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from communities.models import Membership
from incidents.models import Incident
from incidents.services import lifecycle, reports
from rotation.models import RotationSettings
from supportdesk import refdata, safecache
from supportdesk.translations import compile_stale
from tests.factories import (
    CommunityFactory,
    EngineerFactory,
    HubFactory,
    MembershipFactory,
    StaffFactory,
    UserFactory,
    representative,
)
from tickets import pagecache
from tickets import services as ticket_services

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"

# The Spanish pages and e-mails are tested: never against a missing or stale .mo.
compile_stale(Path(__file__).resolve().parents[1] / "locale")

# Property tests check rules, not speed: a busy CI machine must not fail them for generating
# examples slowly, so no deadline and no "too slow" health check anywhere.
hypothesis_settings.register_profile(
    "supportdesk", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("supportdesk")


def service_missing(reason: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def postgres(db):
    """Marks a test that needs PostgreSQL semantics (row locks, concurrency)."""
    if connection.vendor != "postgresql":
        service_missing("needs PostgreSQL: set DATABASE_URL=postgres://... (see .ci/run)")
    return connection


@pytest.fixture(scope="session")
def redis_url():
    url = os.environ.get("REDIS_URL", "")
    if not url:
        service_missing("needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0 (see .ci/run)")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        service_missing(f"Redis at {url} does not answer: {exc}")
    return url


@pytest.fixture(scope="session")
def rabbitmq_url():
    """A RabbitMQ virtual host of our own on the local server (so parallel runs and other
    projects' queues never mix), removed afterwards. RABBITMQ_URL names another server."""
    import shutil
    import socket
    import subprocess
    import uuid

    if os.environ.get("RABBITMQ_URL"):
        yield os.environ["RABBITMQ_URL"]
        return
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=2).close()
    except OSError as exc:
        service_missing(f"needs RabbitMQ on 127.0.0.1:5672 (`rabbitmq-server -detached`): {exc}")
    if not shutil.which("rabbitmqctl"):
        service_missing("needs rabbitmqctl to create a virtual host (or set RABBITMQ_URL)")
    vhost = f"sd-test-{uuid.uuid4().hex[:12]}"

    def ctl(*args):
        return subprocess.run(
            ["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=60
        )

    made = ctl("add_vhost", vhost)
    if made.returncode != 0:
        service_missing(f"rabbitmqctl add_vhost failed: {made.stderr.strip()}")
    ctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    try:
        yield f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    finally:
        ctl("delete_vhost", vhost)


@pytest.fixture(autouse=True)
def _email_backend(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    """Attachments a test stores land in its own folder, never in the work tree's var/."""
    settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "uploads")},
        },
    }


@pytest.fixture(autouse=True)
def _fresh_reference_data():
    """No test is served reference data (stewards, calendars, policies) cached by an earlier
    one: its rows were rolled back, and SQLite hands their primary keys out again."""
    refdata.reset_for_tests()
    safecache.reset()
    pagecache.reset_for_tests()


@pytest.fixture
def community(db):
    return CommunityFactory(name="Alpha Research", slug="alpha")


@pytest.fixture
def other_community(db):
    return CommunityFactory(name="Beta Teaching", slug="beta", kind="education")


@pytest.fixture
def hub(community):
    return HubFactory(community=community, name="Alpha Hub", slug="alpha-hub")


@pytest.fixture
def other_hub(other_community):
    return HubFactory(community=other_community, name="Beta Hub", slug="beta-hub")


@pytest.fixture
def rep(community):
    return representative(community, username="rep_a", first_name="Ada", last_name="Rep")


@pytest.fixture
def other_rep(other_community):
    return representative(other_community, username="rep_b", first_name="Bo", last_name="Rep")


@pytest.fixture
def rotation(db):
    """Four engineers; with the rotation starting on 2026-01-05, 'Ann' and 'Ben' are on duty
    in the shift starting that day, and the roster cycles alphabetically."""
    config = RotationSettings.load()
    config.start_date = datetime.date(2026, 1, 5)
    config.save()
    engineers = [
        EngineerFactory(user=StaffFactory(username=u, first_name=f, last_name="Eng"), country=c)
        for u, f, c in [
            ("ann", "Ann", "US"),
            ("ben", "Ben", "DE"),
            ("cat", "Cat", "GB"),
            ("dan", "Dan", "US"),
        ]
    ]
    return engineers


@pytest.fixture
def steward(rotation):
    """An engineer (staff). Whether on duty depends on the date; tests that care freeze time."""
    return rotation[0].user


@pytest.fixture
def declare(hub, steward):
    """declare(**overrides) -> Incident: servers do not start on Alpha Hub, declared by the
    steward through the real service."""

    def _declare(**overrides) -> Incident:
        kwargs = {
            "by": steward,
            "hubs": [hub],
            "title": "Servers do not start",
            "symptom": Incident.Symptom.START_SERVERS,
            "affected_users": 5,
            "detected_by": Incident.Detection.COMMUNITY,
            "summary": "a failing node pool",
        }
        kwargs.update(overrides)
        return lifecycle.incident_declare(**kwargs)

    return _declare


@pytest.fixture
def engineer(rotation):
    return rotation[2].user


@pytest.fixture
def project_manager(db):
    return StaffFactory(
        username="pm", first_name="Pat", last_name="Manager", is_project_manager=True
    )


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def outsider(db):
    """Logged in, but neither staff nor a member of any community."""
    return UserFactory(username="outsider")


@pytest.fixture
def hub_admin(community):
    user = UserFactory(username="hubadmin_a", first_name="Hal", last_name="Admin")
    MembershipFactory(user=user, community=community, role=Membership.Role.HUB_ADMIN)
    return user


@pytest.fixture
def people(steward, engineer, project_manager, admin_user, rep, other_rep, hub_admin, outsider):
    """Every role by name, for permission matrices."""
    return {
        "steward": steward,
        "engineer": engineer,
        "project_manager": project_manager,
        "admin": admin_user,
        "rep": rep,
        "other_rep": other_rep,
        "hub_admin": hub_admin,
        "outsider": outsider,
        "anonymous": None,
    }


# --- a frozen clock, and requests and incidents in each state ---------------------------------

# A plain working week in March 2026 (no public holiday of the roster's countries, far from the
# reduced-capacity year edges): Friday 13 March 2026 at 20:00 UTC, when Ann and Ben are the
# stewards on duty.
FRIDAY_EVENING = datetime.datetime(2026, 3, 13, 20, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    """Frozen time that tests move with clock.move_to(...) or clock.shift(...)."""
    with time_machine.travel(FRIDAY_EVENING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def submit(rep, hub, rotation, clock):
    """submit(**overrides) -> SupportRequest: submitted by the representative of the community,
    through the service."""

    def _submit(**kwargs):
        values = {
            "requester": rep,
            "hub": hub,
            "subject": "Kernel dies on import",
            "description": "Importing *xarray* kills the kernel.",
        }
        values.update(kwargs)
        return ticket_services.request_submit(**values)

    return _submit


@pytest.fixture
def new_request(submit):
    return submit()


@pytest.fixture
def triaged(new_request, steward):
    """A change request that a steward has triaged."""
    return ticket_services.request_triage(
        support_request=new_request,
        by=steward,
        category="change",
        expected_version=new_request.version,
    )


@pytest.fixture
def answered(triaged, steward):
    """A triaged request the steward has answered publicly."""
    ticket_services.request_reply(support_request=triaged, by=steward, body="Looking into it.")
    triaged.refresh_from_db()
    return triaged


@pytest.fixture
def resolved(answered, steward):
    """A resolved request. (tests/incidents/ names a resolved incident so.)"""
    return ticket_services.request_resolve(
        support_request=answered,
        by=steward,
        body="Fixed: the image was rebuilt.",
        expected_version=answered.version,
    )


@pytest.fixture
def other_request(other_rep, other_hub, rotation, clock):
    return ticket_services.request_submit(
        requester=other_rep, hub=other_hub, subject="Beta's request", description="Help."
    )


@pytest.fixture
def incident(declare, clock):
    """An incident declared under the frozen clock."""
    return declare()


@pytest.fixture
def acknowledged(incident, steward):
    return lifecycle.incident_acknowledge(incident=incident, by=steward)


@pytest.fixture
def resolved_incident(acknowledged, steward, clock):
    clock.shift(datetime.timedelta(minutes=30))
    return lifecycle.incident_resolve(
        incident=acknowledged,
        by=steward,
        impact_ended_at=timezone.now(),
        verification_note="Started a test server.",
    )


@pytest.fixture
def other_incident(other_hub, steward, clock):
    return lifecycle.incident_declare(
        by=steward,
        hubs=[other_hub],
        title="Beta is down",
        symptom=Incident.Symptom.LOGIN,
        affected_users=3,
        detected_by=Incident.Detection.ALERT,
    )


@pytest.fixture
def reported_incident(resolved_incident, steward):
    """A resolved incident with a draft report."""
    reports.report_create(incident=resolved_incident, by=steward)
    return resolved_incident


# --- the API -----------------------------------------------------------------------------------


@pytest.fixture
def api():
    """api(user) -> an APIClient authenticated as `user` (None: anonymous)."""

    def _client(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return _client


@pytest.fixture
def fresh_throttles():
    """Throttle counters live in the cache: an API test starts with none. (API test modules
    ask for it with `pytest.mark.usefixtures`; other tests keep what is costly to recompute.)"""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def no_static_scan(settings):
    """WhiteNoise scans every static file each time a test client loads the middleware (0.3 s
    per client); API responses never come from static files."""
    settings.WHITENOISE_USE_FINDERS = False


# --- services that tests stop and start (fault injection) ------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FaultRedis:
    """A redis-server of the test's own on a free port, to stop and start mid-test. It keeps an
    append-only file, as a production Redis would, so what was queued survives a restart."""

    def __init__(self, folder):
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        import shutil
        import subprocess
        import time

        import redis

        self.process = subprocess.Popen(
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--dir",
                str(self.folder),
            ],
            stdout=(self.folder / "redis.log").open("a"),
            stderr=subprocess.STDOUT,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.RedisError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    pytest.fail(f"redis-server did not start on port {self.port}")
                time.sleep(0.05)  # polling a real process

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def fault_redis(tmp_path):
    """A second Redis (not the shared one) that the test may stop: `fault_redis.stop()`,
    `fault_redis.start()`, `fault_redis.url`. Always stopped at the end, by its own PID."""
    import shutil

    if not shutil.which("redis-server"):
        service_missing("needs redis-server on PATH to start a Redis of the test's own")
    folder = tmp_path / "fault-redis"
    folder.mkdir()
    server = FaultRedis(folder)
    server.start()
    yield server
    server.stop()


class SmtpSink:
    """A real SMTP server (aiosmtpd) on a free local port that keeps every message it receives
    as the exact bytes sent over the wire."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
        self.messages.append(bytes(envelope.original_content or envelope.content))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"

    def parsed(self):
        import email
        import email.policy

        return [email.message_from_bytes(m, policy=email.policy.default) for m in self.messages]


@pytest.fixture
def smtp_sink(settings):
    """Django's SMTP backend pointed at a real SMTP server started for the test."""
    sink = SmtpSink()
    sink.controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield sink
    finally:
        sink.controller.stop()


DOVECOT = "/usr/sbin/dovecot"
DOVECOT_CONF = """protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{d}/mail/%u
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = 100
first_valid_gid = 100
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {d}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/mail/%u
}}
"""


class Dovecot:
    """A throwaway Dovecot IMAP server (see shared RECIPES.md): one mailbox, plain password."""

    user = "support@example.org"
    password = "secret"

    def __init__(self, port: int) -> None:
        self.port = port

    @property
    def url(self) -> str:
        return f"imap://support%40example.org:{self.password}@127.0.0.1:{self.port}/INBOX"

    def client(self):
        from imapclient import IMAPClient

        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(self.user, self.password)
        return client

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        with self.client() as client:
            client.append(folder, raw)

    def count(self, folder: str) -> int:
        with self.client() as client:
            if not client.folder_exists(folder):
                return 0
            return client.folder_status(folder, ["MESSAGES"])[b"MESSAGES"]


@pytest.fixture
def dovecot():
    """Dovecot from Debian (dovecot-imapd, installed by scripts/system-deps.sh) started for the
    test on a free port with an empty mailbox."""
    import grp
    import pwd
    import shutil
    import socket
    import subprocess
    import tempfile
    import time
    from pathlib import Path

    if not os.path.exists(DOVECOT):
        service_missing("needs Dovecot: apt-get install dovecot-imapd (scripts/system-deps.sh)")
    if os.geteuid() != 0:
        service_missing("Dovecot's test server switches to the dovecot user: run as root")
    try:
        uid, gid = pwd.getpwnam("dovecot").pw_uid, grp.getgrnam("dovecot").gr_gid
    except KeyError:
        service_missing("the dovecot user is missing (reinstall dovecot-core)")
    # Not under pytest's tmp_path: its parents are 0700, and Dovecot's auth process (another
    # user) must read the passwd file ("Temporary authentication failure" otherwise).
    d = Path(tempfile.mkdtemp(prefix="sd-dovecot-"))
    d.chmod(0o755)
    for sub in ("mail", "run", "state"):
        (d / sub).mkdir()
    shutil.chown(d / "mail", uid, gid)
    (d / "passwd").write_text(f"{Dovecot.user}:{{PLAIN}}{Dovecot.password}::::::\n")
    (d / "passwd").chmod(0o644)
    port = free_port()
    (d / "dovecot.conf").write_text(DOVECOT_CONF.format(d=d, uid=uid, gid=gid, port=port))
    process = subprocess.Popen([DOVECOT, "-c", str(d / "dovecot.conf"), "-F"])
    server = Dovecot(port)
    deadline = time.monotonic() + 15
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log = (d / "dovecot.log").read_text() if (d / "dovecot.log").exists() else ""
                shutil.rmtree(d, ignore_errors=True)
                pytest.fail(f"Dovecot did not start: {log[-2000:]}")
            time.sleep(0.05)
    try:
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(d, ignore_errors=True)


# --- S3-compatible object storage -------------------------------------------------------------


class S3Server:
    def __init__(self, url: str):
        self.url = url
        # What boto3 (anymail's SES S3 action) and django-storages need to reach it.
        self.client_params = {
            "endpoint_url": url,
            "region_name": "us-east-1",
            "aws_access_key_id": "sd-test-key",
            "aws_secret_access_key": "sd-test-secret",
        }


@pytest.fixture(scope="session")
def _moto_s3_url():
    """moto's S3-compatible server (moto[server], a test dependency), in this process on a free
    port: a real HTTP S3 API that boto3 and django-storages talk to over the network."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        service_missing("needs moto[server] (requirements-dev.txt) for an S3-compatible server")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_server(_moto_s3_url):
    """An empty S3-compatible server for this test (buckets of earlier tests are gone)."""
    import urllib.request

    urllib.request.urlopen(
        urllib.request.Request(f"{_moto_s3_url}/moto-api/reset", method="POST"), timeout=10
    ).read()
    return S3Server(_moto_s3_url)
