"""Project-wide fixtures: the people of DOMAIN.md, and access to real services.

Service-backed tests ask for the `postgres` or `redis_url` fixture. When the service is absent
they skip with the reason, unless REQUIRE_SERVICES=1 (set by .ci/run), where a missing service
fails the test instead, so CI can never pass by skipping."""

from __future__ import annotations

import datetime
import os

import pytest
from django.db import connection

from rotation.models import RotationSettings
from supportdesk import refdata
from tests.factories import (
    CommunityFactory,
    EngineerFactory,
    HubFactory,
    StaffFactory,
    UserFactory,
    representative,
)

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


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


@pytest.fixture(autouse=True)
def _email_backend(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _fresh_reference_data():
    """No test is served reference data (stewards, calendars, policies) cached by an earlier
    one: its rows were rolled back, and SQLite hands their primary keys out again."""
    refdata.reset_for_tests()


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
