"""Fixtures for the availability app: an alert integration with its token, an API client that
posts as it, and a declared incident built through the real incidents services."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from availability import status as status_rules
from availability.services.alerts import alert_integration_create

FIXTURES = Path(__file__).parent / "fixtures"

# A Tuesday in late November: no holiday, not a year edge.
TUESDAY = datetime.datetime(2026, 11, 24, 10, 5, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _fresh_status_cache():
    """A new status version per test: no page cached by an earlier test is served. (The rest of
    the cache, e.g. the reduced-capacity dates, may stay: it is costly to recompute.)"""
    cache.delete(status_rules.VERSION_KEY)


def load_payload(name: str, **replace) -> dict:
    text = (FIXTURES / name).read_text()
    for key, value in replace.items():
        text = text.replace("{{" + key + "}}", value)
    return json.loads(text)


@pytest.fixture
def integration(db):
    integration, token = alert_integration_create(name="prometheus")
    integration.token = token
    return integration


@pytest.fixture
def alert_client(integration):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {integration.token}")
    return client


@pytest.fixture
def post_alerts(alert_client):
    def _post(payload, client=None):
        return (client or alert_client).post(
            "/api/v1/alerts/alertmanager/",
            data=json.dumps(payload),
            content_type="application/json",
        )

    return _post


@pytest.fixture
def tuesday():
    """Freeze the clock at TUESDAY (tests may travel on from there)."""
    import time_machine

    with time_machine.travel(TUESDAY, tick=False) as traveller:
        yield traveller
