"""Idempotency-Key on the API's creating POSTs (supportdesk/idempotency.py): the same key and
body replay the first answer, another body is 409, keys live 24 hours per user, and two
requests at once with one key create one request (PostgreSQL, real threads)."""

from __future__ import annotations

import datetime
import threading

import pytest
import time_machine
from django.db import connection
from rest_framework.test import APIClient

from supportdesk import idempotency
from supportdesk.errors import DomainError
from supportdesk.models import IdempotencyKey
from tickets import services as ticket_services
from tickets.models import Message, SupportRequest

pytestmark = pytest.mark.usefixtures("fresh_throttles", "no_static_scan")

URL = "/api/v1/requests/"


def payload(hub, **overrides) -> dict:
    return {"hub": hub.pk, "subject": "Spawn times out", "description": "Since 9:00.", **overrides}


# --- the key and the store (units) -----------------------------------------------------------


@pytest.mark.parametrize("key", ["", " ", "a b", "é", "x" * 256, "tab\there"])
def test_a_malformed_key_is_refused(key):
    with pytest.raises(DomainError) as raised:
        idempotency.check_key(key)
    assert raised.value.field == "Idempotency-Key"


@pytest.mark.parametrize("key", ["a", "x" * 255, "5f0c6c52-6d1e-4bb5-a1f4-0a3d0e0c1e7b", "~!#$"])
def test_a_well_formed_key_is_accepted(key):
    assert idempotency.check_key(key) == key


def test_the_fingerprint_ignores_key_order_but_not_values_or_the_endpoint():
    fp = idempotency.fingerprint
    assert fp(method="post", path="/a", data={"x": 1, "y": [1, 2]}) == fp(
        method="POST", path="/a", data={"y": [1, 2], "x": 1}
    )
    one = fp(method="POST", path="/a", data={"x": 1})
    assert one != fp(method="POST", path="/a", data={"x": 2})
    assert one != fp(method="POST", path="/b", data={"x": 1})


def test_run_once_runs_once_per_user_and_key(rep, other_rep):
    calls = []

    def action():
        calls.append(1)
        return 201, {"n": len(calls)}

    assert idempotency.run_once(user=rep, key="k", fingerprint="f", action=action) == (
        201,
        {"n": 1},
        False,
    )
    assert idempotency.run_once(user=rep, key="k", fingerprint="f", action=action) == (
        201,
        {"n": 1},
        True,
    )
    # Keys are per user: another person's "k" is another key.
    assert idempotency.run_once(user=other_rep, key="k", fingerprint="f", action=action)[2] is False
    assert len(calls) == 2
    with pytest.raises(idempotency.IdempotencyConflict):
        idempotency.run_once(user=rep, key="k", fingerprint="other", action=action)
    assert len(calls) == 2


def test_a_failed_action_stores_nothing_so_a_retry_runs(rep):
    def failing():
        raise DomainError("no")

    with pytest.raises(DomainError):
        idempotency.run_once(user=rep, key="k", fingerprint="f", action=failing)
    assert not IdempotencyKey.objects.exists()
    _, _, replayed = idempotency.run_once(
        user=rep, key="k", fingerprint="f", action=lambda: (201, {})
    )
    assert replayed is False


def test_keys_live_24_hours_and_the_sweep_forgets_older_ones_once(rep):
    start = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as clock:
        idempotency.run_once(user=rep, key="old", fingerprint="f", action=lambda: (201, {"v": 1}))
        clock.shift(datetime.timedelta(hours=23, minutes=59))
        idempotency.run_once(user=rep, key="new", fingerprint="f", action=lambda: (201, {"v": 2}))
        assert idempotency.run_once(user=rep, key="old", fingerprint="f", action=lambda: (0, {}))[2]
        clock.shift(datetime.timedelta(minutes=2))  # "old" is now 24 h 1 min old
        # Expired but not swept yet: as good as unused.
        assert idempotency.stored(user=rep, key="old") is None
        assert idempotency.sweep_expired() == 1
        assert idempotency.sweep_expired() == 0
        assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
        status, body, replayed = idempotency.run_once(
            user=rep, key="old", fingerprint="other", action=lambda: (201, {"v": 3})
        )
        assert (status, body, replayed) == (201, {"v": 3}, False)


def test_the_sweep_is_a_beat_task(rep):
    from supportdesk.tasks import idempotency_sweep_task

    IdempotencyKey.objects.create(
        user=rep,
        key="k",
        fingerprint="f",
        status_code=201,
        created_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
    )
    assert idempotency_sweep_task.apply().get() == 1
    assert idempotency_sweep_task.apply().get() == 0


# --- the API ---------------------------------------------------------------------------------


def test_the_same_key_and_body_replays_the_first_answer(api, rep, hub, rotation, clock):
    client = api(rep)
    first = client.post(URL, payload(hub), format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    second = client.post(URL, payload(hub), format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == "true"
    assert SupportRequest.objects.count() == 1
    # Without a key, or with a new one, a POST creates.
    assert client.post(URL, payload(hub), format="json").status_code == 201
    assert (
        client.post(URL, payload(hub), format="json", HTTP_IDEMPOTENCY_KEY="abc-2").status_code
        == 201
    )
    assert SupportRequest.objects.count() == 3


def test_the_same_key_with_another_body_is_409(api, rep, hub, rotation, clock):
    client = api(rep)
    client.post(URL, payload(hub), format="json", HTTP_IDEMPOTENCY_KEY="abc")
    response = client.post(
        URL, payload(hub, subject="Something else"), format="json", HTTP_IDEMPOTENCY_KEY="abc"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "idempotency_conflict"
    assert "different request" in body["detail"]
    assert "Idempotency-Key" in body["errors"]
    assert SupportRequest.objects.count() == 1


def test_a_malformed_key_is_a_400_in_the_error_shape(api, rep, hub, rotation, clock):
    response = api(rep).post(URL, payload(hub), format="json", HTTP_IDEMPOTENCY_KEY="x" * 300)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not SupportRequest.objects.exists()


def test_a_refused_request_is_not_remembered(api, rep, hub, rotation, clock):
    client = api(rep)
    bad = client.post(URL, payload(hub, subject=""), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert bad.status_code == 400
    good = client.post(URL, payload(hub), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert good.status_code == 201


def test_a_reply_with_a_key_is_posted_once(api, steward, triaged):
    client = api(steward)
    url = f"{URL}{triaged.pk}/messages/"
    body = {"body": "Restarted the node pool.", "visibility": "public"}
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="reply-1")
    second = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="reply-1")
    assert first.status_code == second.status_code == 201
    assert second.json()["id"] == first.json()["id"]
    assert Message.objects.filter(request=triaged, body="Restarted the node pool.").count() == 1


def test_the_header_and_the_409_are_in_the_openapi_schema(api, steward):
    schema = api(steward).get("/api/schema/?format=json").json()
    for path, operation in [
        ("/api/v1/requests/", "post"),
        ("/api/v1/requests/{id}/messages/", "post"),
        ("/api/v1/incidents/", "post"),
    ]:
        op = schema["paths"][path][operation]
        headers = [p for p in op["parameters"] if p["in"] == "header"]
        assert [p["name"] for p in headers] == ["Idempotency-Key"], path
        assert "409" in op["responses"], path


# --- two at once (PostgreSQL) ----------------------------------------------------------------


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_with_one_key_create_one(postgres, rep, hub, rotation, monkeypatch):
    """The first request has created its row but not committed; the second one's key insert
    waits for it, then finds the key and replays the first answer."""
    real_submit = ticket_services.request_submit
    created = threading.Event()
    release = threading.Event()

    def slow_submit(**kwargs):
        r = real_submit(**kwargs)
        if not created.is_set():
            created.set()
            release.wait(timeout=10)
        return r

    monkeypatch.setattr(ticket_services, "request_submit", slow_submit)
    responses: dict[str, object] = {}
    failures: list[BaseException] = []

    def post(name: str) -> None:
        try:
            client = APIClient()
            client.force_authenticate(rep)
            responses[name] = client.post(
                URL, payload(hub), format="json", HTTP_IDEMPOTENCY_KEY="same"
            )
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            failures.append(exc)
        finally:
            connection.close()

    first = threading.Thread(target=post, args=("first",))
    second = threading.Thread(target=post, args=("second",))
    first.start()
    assert created.wait(timeout=10)
    second.start()
    waited = any(_waiting_on_a_lock() for _ in range(100_000))
    release.set()
    first.join(timeout=20)
    second.join(timeout=20)

    assert waited and not failures
    a, b = responses["first"], responses["second"]
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] == b.json()["id"]
    assert b.headers["Idempotent-Replayed"] == "true"
    assert SupportRequest.objects.count() == 1
