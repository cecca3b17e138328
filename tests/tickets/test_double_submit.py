"""A double-clicked submit creates one thing: the new-request form, the representative's reply,
the steward's reply and note and the incident declaration carry a one-time token
(supportdesk/idempotency.py); a second POST of the same token, also while the first is still
running, redirects to what the first one made."""

from __future__ import annotations

import re
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from supportdesk.models import IdempotencyKey
from tickets import services
from tickets.models import Message, SupportRequest


def token_of(html: str, prefix: str = "") -> str:
    name = f"{prefix}-submission_token" if prefix else "submission_token"
    found = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert found, f"no {name} in the form"
    return found.group(1)


def form_data(hub, token: str | None) -> dict:
    data = {"hub": hub.pk, "subject": "Kernel dies", "description": "On import."}
    data["affected_users"] = 0
    if token is not None:
        data["submission_token"] = token
    return data


@pytest.fixture
def token(client, rep, hub, rotation, clock):
    client.force_login(rep)
    return token_of(client.get(reverse("tickets:new")).content.decode())


def test_every_new_request_form_has_a_fresh_token(client, rep, hub, rotation, clock):
    client.force_login(rep)
    first = token_of(client.get(reverse("tickets:new")).content.decode())
    second = token_of(client.get(reverse("tickets:new")).content.decode())
    assert first != second and len(first) >= 24


def test_a_double_submit_makes_one_request_and_both_land_on_it(client, hub, token):
    first = client.post(reverse("tickets:new"), form_data(hub, token))
    second = client.post(reverse("tickets:new"), form_data(hub, token))
    r = SupportRequest.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == reverse("tickets:received", args=[r.pk])
    assert IdempotencyKey.objects.get().key.startswith("form:new-request:")


def test_a_form_sent_back_with_errors_keeps_its_token_usable(client, hub, token):
    bad = client.post(reverse("tickets:new"), {**form_data(hub, token), "subject": ""})
    assert bad.status_code == 400
    assert token_of(bad.content.decode()) == token
    assert client.post(reverse("tickets:new"), form_data(hub, token)).status_code == 302
    assert SupportRequest.objects.count() == 1


def test_without_a_token_the_form_still_works(client, hub, token):
    for _ in range(2):
        assert client.post(reverse("tickets:new"), form_data(hub, None)).status_code == 302
    assert SupportRequest.objects.count() == 2


def test_a_forged_token_is_a_form_error_not_a_500(client, hub, token):
    response = client.post(reverse("tickets:new"), form_data(hub, "bad token with spaces"))
    assert response.status_code == 400
    assert "reload the page" in response.content.decode()
    assert not SupportRequest.objects.exists()


def test_the_representatives_reply_is_sent_once(client, rep, hub, rotation, clock):
    r = services.request_submit(requester=rep, hub=hub, subject="S", description="D")
    client.force_login(rep)
    html = client.get(reverse("tickets:detail", args=[r.pk])).content.decode()
    data = {"reply-body": "Still broken.", "reply-submission_token": token_of(html, "reply")}
    for _ in range(2):
        response = client.post(reverse("tickets:reply", args=[r.pk]), data)
        assert response.status_code == 302
        assert response["Location"] == reverse("tickets:detail", args=[r.pk])
    assert Message.objects.filter(request=r, body="Still broken.").count() == 1


@pytest.mark.parametrize("key", ["reply", "note"])
def test_the_stewards_reply_and_note_are_added_once(client, rep, hub, steward, clock, key):
    r = services.request_submit(requester=rep, hub=hub, subject="S", description="D")
    client.force_login(steward)
    html = client.get(reverse("tickets:desk_request", args=[r.pk])).content.decode()
    data = {f"{key}-body": "Restarted it.", f"{key}-submission_token": token_of(html, key)}
    for _ in range(2):
        response = client.post(reverse(f"tickets:desk_{key}", args=[r.pk]), data)
        assert response.status_code == 302
    assert Message.objects.filter(request=r, body="Restarted it.").count() == 1


def test_a_double_declare_makes_one_incident(client, steward, hub, clock):
    from incidents.models import Incident

    client.force_login(steward)
    token = token_of(client.get(reverse("incidents:declare")).content.decode())
    form = {
        "title": "Servers do not start",
        "hubs": [hub.pk],
        "symptom": "start_servers",
        "affected_users": "30",
        "detected_by": "community",
        "summary": "",
        "impact_started_at": "",
        "override_reason": "",
        "submission_token": token,
    }
    first = client.post(reverse("incidents:declare"), form)
    second = client.post(reverse("incidents:declare"), form)
    incident = Incident.objects.get()
    expected = reverse("incidents:detail", args=[incident.pk])
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == expected


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_submits_at_once_make_one_request(postgres, rep, hub, rotation, monkeypatch):
    """The first POST has created the request but not committed; the second one waits on the
    token's row, then redirects to the first one's request."""
    browser = Client()
    browser.force_login(rep)
    token = token_of(browser.get(reverse("tickets:new")).content.decode())
    real_submit = services.request_submit
    created = threading.Event()
    release = threading.Event()

    def slow_submit(**kwargs):
        r = real_submit(**kwargs)
        if not created.is_set():
            created.set()
            release.wait(timeout=10)
        return r

    monkeypatch.setattr(services, "request_submit", slow_submit)
    responses: dict[str, object] = {}
    failures: list[BaseException] = []

    def post(name: str) -> None:
        try:
            client = Client()
            client.force_login(rep)
            responses[name] = client.post(reverse("tickets:new"), form_data(hub, token))
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
    r = SupportRequest.objects.get()
    expected = reverse("tickets:received", args=[r.pk])
    assert responses["first"]["Location"] == responses["second"]["Location"] == expected
