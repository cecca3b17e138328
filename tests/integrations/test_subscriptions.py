"""Status-page subscriptions: double opt-in, one-click unsubscribe, notices to the right
subscribers only, webhook subscriptions through the outgoing-webhook machinery, counts only
for admins."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from incidents.models import Incident
from incidents.services import lifecycle, updates
from integrations import subscriptions
from integrations.models import StatusSubscription, WebhookDelivery
from tests.incidents.conftest import acknowledge, resolve

pytestmark = pytest.mark.django_db


def link(message, name: str) -> str:
    return re.search(rf"http\S+/{name}/", message.body).group(0)


def subscribe(client, email="fan@example.org", hubs=(), **extra):
    data = {"email": email, "hubs": [h.pk for h in hubs], **extra}
    return client.post(reverse("integrations:subscribe"), data)


def declare(hub, steward) -> Incident:
    return lifecycle.incident_declare(
        by=steward,
        hubs=[hub],
        title="Servers do not start",
        symptom=Incident.Symptom.START_SERVERS,
        affected_users=5,
        detected_by=Incident.Detection.COMMUNITY,
    )


def confirmed(client, email, hubs=()):
    """Subscribe and confirm (the confirmation mail itself is read in the tests above and in
    the browser journey)."""
    subscribe(client, email, hubs)
    subscription = StatusSubscription.objects.get(email=email)
    client.post(reverse("integrations:confirm", args=[subscription.token]))
    subscription.refresh_from_db()
    assert subscription.is_active
    return subscription


def test_nothing_but_the_confirmation_is_sent_before_confirming(
    client, hub, steward, eager_delivery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = subscribe(client, hubs=[hub])
    assert response.status_code == 200 and b"Check your inbox" in response.content
    (message,) = mail.outbox
    assert "Confirm" in message.subject and "/confirm/" in message.body
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    with django_capture_on_commit_callbacks(execute=True):
        declare(hub, steward)
    # Unconfirmed: no notice (the on-duty stewards are paged, which is not ours to count).
    assert [m.to for m in mail.outbox].count(["fan@example.org"]) == 1


def test_subscribers_get_notices_for_their_hubs_with_a_one_click_unsubscribe(
    client, hub, other_hub, steward, eager_delivery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        confirmed(client, "all@example.org")
        confirmed(client, "alpha@example.org", [hub])
        confirmed(client, "beta@example.org", [other_hub])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(hub, steward)
    subscribers = {"all@example.org", "alpha@example.org", "beta@example.org"}
    told = sorted(m.to[0] for m in mail.outbox if m.to[0] in subscribers)
    assert told == ["all@example.org", "alpha@example.org"]
    notice = next(m for m in mail.outbox if m.to == ["alpha@example.org"])
    assert notice.subject == "Incident: Servers do not start"
    assert "Declared by" not in notice.body  # internal timeline stays internal
    unsubscribe = link(notice, "unsubscribe")
    assert notice.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert notice.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # RFC 8058: the mail client POSTs, with no form and no CSRF token.
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(unsubscribe.split("8000", 1)[-1], {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        acknowledge(incident, steward)
    with django_capture_on_commit_callbacks(execute=True):
        updates.incident_send_update(incident=incident, by=steward, body="Nodes up.")
    with django_capture_on_commit_callbacks(execute=True):
        resolve(incident, steward)
    to_subscribers = [m for m in mail.outbox if m.to[0].endswith("example.org") and "@" in m.to[0]]
    subjects = sorted((m.to[0], m.subject) for m in to_subscribers if m.to[0] != steward.email)
    assert ("all@example.org", "Update: Servers do not start") in subjects
    assert ("all@example.org", "Resolved: Servers do not start") in subjects
    assert not any(to == "alpha@example.org" for to, _ in subjects)


def test_a_maintenance_notice_reaches_subscribers(
    client, hub, steward, eager_delivery, django_capture_on_commit_callbacks
):
    import datetime

    from availability.services.maintenance import maintenance_schedule

    with django_capture_on_commit_callbacks(execute=True):
        confirmed(client, "fan@example.org")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        maintenance_schedule(
            by=steward,
            hubs=[hub],
            title="Upgrade to JupyterHub 5",
            starts_at=datetime.datetime(2030, 3, 12, 3, tzinfo=datetime.UTC),
            ends_at=datetime.datetime(2030, 3, 12, 4, tzinfo=datetime.UTC),
            accept_warnings=True,
        )
    notice = next(m for m in mail.outbox if m.to == ["fan@example.org"])
    assert notice.subject == "Planned maintenance: Upgrade to JupyterHub 5"
    assert "12 Mar 2030 03:00 UTC to 12 Mar 2030 04:00 UTC" in notice.body


def test_the_form_cannot_flood_an_inbox(client, eager_delivery, django_capture_on_commit_callbacks):
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            subscribe(client, "victim@example.org")
    assert len(mail.outbox) == 1


def test_bad_input_redisplays_the_form(client):
    response = subscribe(client, "not-an-address", webhook_url="http://insecure.example.org")
    assert response.status_code == 400
    assert b"valid email" in response.content and b"https://" in response.content
    assert not StatusSubscription.objects.exists()


def test_unknown_tokens_are_refused(client):
    assert client.get(reverse("integrations:confirm", args=["nope"])).status_code == 404
    assert client.post(reverse("integrations:unsubscribe", args=["nope"])).status_code == 404


def test_a_webhook_subscription_uses_the_outgoing_webhooks(
    client, httpserver, hub, steward, eager_delivery, django_capture_on_commit_callbacks
):
    httpserver.expect_request("/status-hook", method="POST").respond_with_data("ok")
    url = httpserver.url_for("/status-hook").replace("http://", "https://")
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(client, "ops@example.org", [hub], webhook_url=url)
    subscription = StatusSubscription.objects.get()
    endpoint = subscription.webhook
    assert not endpoint.is_active and "request.created" not in endpoint.events
    with django_capture_on_commit_callbacks(execute=True):
        declare(hub, steward)
    assert not WebhookDelivery.objects.exists()  # not confirmed yet
    response = client.post(reverse("integrations:confirm", args=[subscription.token]))
    assert endpoint.secret in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        declare(hub, steward)
    assert WebhookDelivery.objects.get().endpoint == endpoint
    client.post(reverse("integrations:unsubscribe", args=[subscription.token]))
    endpoint.refresh_from_db()
    assert not endpoint.is_active


def test_admins_see_counts_never_addresses(
    client, admin_client, hub, eager_delivery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        confirmed(client, "secret-person@example.org", [hub])
        subscribe(client, "pending@example.org")
    page = admin_client.get(reverse("admin:integrations_statussubscription_changelist"))
    text = page.content.decode()
    assert page.status_code == 200 and "example.org" not in text
    assert subscriptions.subscription_counts()["active"] == 1
    assert re.search(r'id="count-active">1<', text)
    pk = StatusSubscription.objects.first().pk
    change = admin_client.get(reverse("admin:integrations_statussubscription_change", args=[pk]))
    assert change.status_code == 403
