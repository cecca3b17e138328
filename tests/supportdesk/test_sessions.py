"""Sessions live in the database and are read from the cache (supportdesk.sessions): a signed-in
page asks no session query, a session the cache lost comes from the database, a cache that
fails costs a query and never the page, and signing out ends the session in both."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supportdesk import safecache, sessions

pytestmark = pytest.mark.django_db


def session_queries(call) -> tuple[list[str], object]:
    with CaptureQueriesContext(connection) as ctx:
        result = call()
    return [q["sql"] for q in ctx.captured_queries if "django_session" in q["sql"]], result


@pytest.fixture
def signed_in(client, rep):
    client.force_login(rep)
    return client


def my_requests(client):
    response = client.get(reverse("tickets:my_requests"))
    assert response.status_code == 200, "signed in"
    return response


def test_the_engine_is_the_cached_one():
    assert settings.SESSION_ENGINE == "supportdesk.sessions"


def test_a_signed_in_page_reads_its_session_from_the_cache(signed_in):
    found, _ = session_queries(lambda: my_requests(signed_in))
    assert found == []


def test_a_session_the_cache_lost_comes_from_the_database_once(signed_in):
    cache.clear()
    found, _ = session_queries(lambda: my_requests(signed_in))
    assert len(found) == 1 and found[0].startswith("SELECT")
    found, _ = session_queries(lambda: my_requests(signed_in))
    assert found == []


def test_with_the_cache_down_the_session_comes_from_the_database(signed_in, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    found, _ = session_queries(lambda: my_requests(signed_in))
    assert len(found) == 1
    safecache.reset()  # the next page tries the cache again: it fails again, the page does not
    my_requests(signed_in)


def test_signing_out_ends_the_session_in_the_cache_and_the_database(signed_in):
    key = signed_in.session.session_key
    my_requests(signed_in)
    signed_in.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()
    assert sessions.SessionStore(key).load() == {}
    # The old cookie signs nobody in.
    signed_in.cookies[settings.SESSION_COOKIE_NAME] = key
    response = signed_in.get(reverse("tickets:my_requests"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_cache_keeps_a_session_at_most_five_minutes(client, rep, monkeypatch):
    timeouts = []
    real = safecache.set

    def spy(key, value, timeout):
        if key.startswith(cached_db.KEY_PREFIX):
            timeouts.append(timeout)
        return real(key, value, timeout)

    monkeypatch.setattr(safecache, "set", spy)
    client.force_login(rep)
    cache.clear()
    my_requests(client)  # read from the database, then cached again
    # (a session expires after two weeks: Django would keep it in the cache as long)
    assert timeouts and set(timeouts) == {sessions.CACHE_SECONDS}
