"""notify_many(savepoint=False): one INSERT ... ON CONFLICT DO NOTHING, no savepoint, and a key
still claimed once (what a submission uses; tickets.services._open_request)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications import services
from notifications.models import Notification
from notifications.services import notify, notify_many
from tests.notifications.test_notify_many import email

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued(monkeypatch) -> list[int]:
    ids: list[int] = []
    monkeypatch.setattr(services, "enqueue_delivery", ids.append)
    monkeypatch.setattr(services, "enqueue_deliveries", ids.extend)
    return ids


def test_one_insert_and_no_savepoint(enqueued):
    with CaptureQueriesContext(connection) as ctx:
        results = notify_many(messages=[email("x:2"), email("x:1")], savepoint=False)
    sql = [q["sql"] for q in ctx.captured_queries]
    assert len(sql) == 1 and sql[0].startswith('INSERT INTO "notifications_notification"')
    assert "ON CONFLICT" in sql[0]
    assert [n.key for n in results] == ["x:2", "x:1"]
    stored = dict(Notification.objects.values_list("key", "pk"))
    assert {n.key: n.pk for n in results} == stored
    assert enqueued == []  # after commit only


def test_a_taken_key_is_none_and_the_others_are_claimed(
    enqueued, django_capture_on_commit_callbacks
):
    notify(key="x:taken", kind="test", subject="S", body="B", email="a@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        results = notify_many(
            messages=[email("x:taken"), email("x:new"), email("x:new")], savepoint=False
        )
    assert results[0] is None and results[2] is None
    assert results[1].key == "x:new" and results[1].pk
    assert Notification.objects.count() == 2
    assert enqueued == [results[1].pk]


def test_a_single_taken_key_is_none(enqueued):
    notify(key="x:one", kind="test", subject="S", body="B", email="a@example.org")
    assert notify_many(messages=[email("x:one")], savepoint=False) == [None]
    assert notify_many(messages=[email("x:two")], savepoint=False)[0].key == "x:two"
