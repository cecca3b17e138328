"""supportdesk.safecache: a cache that is down (a Redis port nobody listens on) costs speed,
never an answer."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from availability import status as status_rules
from supportdesk import refdata, safecache
from tests.conftest import free_port


@pytest.fixture
def dead_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }
    safecache.reset()
    yield
    safecache.reset()


def test_a_value_is_built_when_the_cache_is_down(dead_cache, caplog):
    calls = []

    def build():
        calls.append(1)
        return "fresh"

    assert safecache.cached("k", build, timeout=60) == "fresh"
    assert safecache.cached("k", build, timeout=60) == "fresh"
    assert len(calls) == 2
    assert safecache.get("k", "default") == "default"
    assert safecache.set("k", 1, 60) is False
    assert safecache.add("k", 1, 60) is None
    assert "cache unavailable" in caplog.text


def test_after_a_failure_the_cache_is_left_alone_for_a_while(dead_cache, monkeypatch):
    assert safecache.get("k") is None
    assert not safecache.available()
    tried = []
    monkeypatch.setattr(safecache, "cache", type("Spy", (), {"get": lambda *a: tried.append(1)}))
    assert safecache.get("k") is None
    assert tried == []  # within the back-off window, no call reaches the cache


def test_an_outage_is_logged_once_per_window(dead_cache, caplog):
    caplog.set_level(logging.WARNING, logger="supportdesk.safecache")
    for _ in range(5):
        safecache.get("k")
    assert caplog.text.count("cache unavailable") == 1


def test_invalidation_is_tried_even_within_the_window(dead_cache, caplog):
    safecache.get("k")
    assert safecache.bump("family") is False
    assert "could not drop the cached family family" in caplog.text


def test_a_working_cache_serves_the_stored_value(settings):
    calls = []
    assert safecache.cached("k2", lambda: calls.append(1) or "v", timeout=60) == "v"
    assert safecache.cached("k2", lambda: calls.append(1) or "v", timeout=60) == "v"
    assert calls == [1]
    # "Nothing there" is not stored unless asked: it may appear any moment.
    assert safecache.cached("none", lambda: calls.append(2), timeout=60) is None
    assert safecache.cached("none", lambda: calls.append(2), timeout=60) is None
    assert calls == [1, 2, 2]


def test_reference_data_and_the_status_page_work_without_the_cache(
    dead_cache, rotation, hub, client
):
    refdata.mark_committed()
    assert status_rules.cached("x", lambda: {"a": 1}) == {"a": 1}
    status_rules.invalidate()  # a change to an incident or a window: never raises
    refdata.invalidate()
    assert client.get(reverse("availability:status")).status_code == 200


def test_api_rate_limits_let_requests_through_without_the_cache(dead_cache, client, rep):
    from accounts.services import api_token_create

    _, token = api_token_create(user=rep, name="t")
    response = client.get("/api/v1/requests/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
