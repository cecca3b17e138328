"""Signed outgoing webhooks, delivered to a real HTTP receiver (pytest-httpserver): exactly once
per event and endpoint, retried with back-off, logged, disabled after repeated failures."""

from __future__ import annotations

import datetime
import json
import time

import pytest
import time_machine
from django.core import mail
from werkzeug import Response

from incidents.models import Incident
from incidents.services import lifecycle, updates
from integrations import events, webhooks
from integrations.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from integrations.webhooks import webhook_endpoint_enable, webhook_signature_valid
from notifications.models import Notification
from notifications.services import notifications_deliver_pending
from supportdesk import refdata
from tests.incidents.conftest import acknowledge, resolve, review_report
from tests.notifications.helpers import march

pytestmark = pytest.mark.django_db
START = march(9, 10)


class Receiver:
    """A webhook receiver on a real local port: answers the queued statuses in turn, then
    200, and checks every signature as a receiver would."""

    def __init__(self, httpserver, *, secret: str, fail_first: int = 0, status: int = 500):
        self.requests: list[dict] = []
        self.secret = secret
        self.answers = [status] * fail_first
        httpserver.expect_request("/hook", method="POST").respond_with_handler(self.handle)
        self.url = httpserver.url_for("/hook")

    def handle(self, request):
        body = request.get_data()
        self.requests.append(
            {
                "body": json.loads(body),
                "headers": dict(request.headers),
                "valid": webhook_signature_valid(
                    secret=self.secret,
                    timestamp=request.headers.get("X-Supportdesk-Timestamp"),
                    body=body,
                    signature=request.headers.get("X-Supportdesk-Signature"),
                    now=time.time(),
                ),
            }
        )
        status = self.answers.pop(0) if self.answers else 200
        return Response("nope" if status >= 300 else "ok", status=status)


def endpoint(url: str, events_=(Event.INCIDENT_DECLARED,), **kwargs) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        name="Ops bot", url=url, secret="s3cret", events=list(events_), **kwargs
    )


def declare(hub, steward) -> Incident:
    return lifecycle.incident_declare(
        by=steward,
        hubs=[hub],
        title="Servers do not start",
        symptom=Incident.Symptom.START_SERVERS,
        affected_users=5,
        detected_by=Incident.Detection.COMMUNITY,
    )


def test_a_receiver_that_fails_twice_gets_the_event_once_signed_on_the_third_try(
    httpserver, hub, steward, eager_delivery, django_capture_on_commit_callbacks
):
    receiver = Receiver(httpserver, secret="s3cret", fail_first=2)
    hook = endpoint(receiver.url)
    with time_machine.travel(START, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            incident = declare(hub, steward)
        # The first attempt went out after commit and failed: pending, backing off a minute.
        delivery = WebhookDelivery.objects.get()
        delivery.notification.refresh_from_db()
        assert (delivery.notification.status, delivery.notification.attempts) == ("pending", 1)
        assert notifications_deliver_pending() == 0  # still backing off
        clock.shift(datetime.timedelta(minutes=1, seconds=1))
        assert notifications_deliver_pending() == 0  # second attempt fails too
        clock.shift(datetime.timedelta(minutes=1, seconds=1))
        assert notifications_deliver_pending() == 0  # back-off doubled: not yet
        clock.shift(datetime.timedelta(minutes=1))
        assert notifications_deliver_pending() == 1  # third attempt succeeds
        clock.shift(datetime.timedelta(hours=2))
        assert notifications_deliver_pending() == 0
        # Publishing the same event again (a retried task, a second worker) claims nothing.
        events.incident_declared(incident=incident)

    assert [r["valid"] for r in receiver.requests] == [True, True, True]
    delivery_ids = {r["headers"]["X-Supportdesk-Delivery"] for r in receiver.requests}
    assert delivery_ids == {str(delivery.delivery_id)}
    body = receiver.requests[-1]["body"]
    assert body["event"] == "incident.declared" and body["id"] == f"incident.declared:{incident.pk}"
    assert body["data"]["reference"] == incident.reference
    assert body["data"]["hubs"] == ["alpha-hub"]
    assert receiver.requests[-1]["headers"]["X-Supportdesk-Event"] == "incident.declared"
    assert WebhookDelivery.objects.count() == 1
    attempts = list(WebhookAttempt.objects.values_list("status_code", "succeeded"))
    assert attempts == [(500, False), (500, False), (200, True)]
    delivery.notification.refresh_from_db()
    assert delivery.notification.status == Notification.Status.SENT
    hook.refresh_from_db()
    assert hook.consecutive_failures == 0 and hook.is_active


def test_a_forged_or_stale_signature_does_not_verify():
    body = b'{"event":"incident.declared"}'
    from integrations.webhooks import webhook_signature

    good = webhook_signature(secret="s3cret", timestamp=1000, body=body)
    assert webhook_signature_valid(
        secret="s3cret", timestamp="1000", body=body, signature=good, now=1010
    )
    assert not webhook_signature_valid(
        secret="other", timestamp="1000", body=body, signature=good, now=1010
    )
    assert not webhook_signature_valid(
        secret="s3cret", timestamp="1000", body=body + b" ", signature=good, now=1010
    )
    assert not webhook_signature_valid(
        secret="s3cret", timestamp="1000", body=body, signature=good, now=5000
    )


def test_only_subscribed_endpoints_hear_an_event_and_hub_filters_apply(
    httpserver, hub, other_hub, steward, eager_delivery, django_capture_on_commit_callbacks
):
    receiver = Receiver(httpserver, secret="s3cret")
    wants_it = endpoint(receiver.url)
    endpoint(receiver.url, events_=(Event.INCIDENT_RESOLVED,))
    other_hub_only = endpoint(receiver.url)
    other_hub_only.hubs.set([other_hub])
    with django_capture_on_commit_callbacks(execute=True):
        declare(hub, steward)
    assert list(WebhookDelivery.objects.values_list("endpoint", flat=True)) == [wants_it.pk]
    assert len(receiver.requests) == 1


def test_the_endpoints_are_read_once_and_every_change_to_them_is_seen(
    hub, other_hub, django_assert_num_queries
):
    """Every event asks which endpoints want it (a submission too): they are cached with the
    reference data (supportdesk.refdata, whose tests show a change is never served stale), and
    each kind of change to an endpoint drops them."""

    def hearing(hubs=(hub,)) -> list[int]:
        refdata.mark_committed()  # the change committed, as before the next request
        return [
            e.pk for e in webhooks._endpoints_for(Event.INCIDENT_DECLARED, [h.pk for h in hubs])
        ]

    hook = endpoint("https://example.org/hook")
    assert hearing() == [hook.pk]
    with django_assert_num_queries(0):
        assert hearing() == [hook.pk]
    hook.hubs.set([other_hub])
    assert hearing() == [] and hearing([other_hub]) == [hook.pk]
    hook.hubs.clear()
    assert hearing() == [hook.pk]
    hook.events = [Event.INCIDENT_RESOLVED]
    hook.save()
    assert hearing() == []
    hook.events = [Event.INCIDENT_DECLARED]
    hook.save()
    assert hearing() == [hook.pk]
    hook.delete()
    assert hearing() == []


def test_a_new_unconfirmed_subscribers_endpoint_leaves_the_cache_alone(hub):
    """Anybody may subscribe on the status page: an inactive endpoint is not cached, so its
    creation must not drop the cached reference data of every page."""
    refdata.mark_committed()
    token = refdata.version()
    inactive = endpoint("https://example.org/later", is_active=False)
    inactive.hubs.set([hub])
    assert refdata.version() == token
    inactive.is_active = True
    inactive.save()
    assert refdata.version() != token


def test_a_rolled_back_change_sends_nothing(httpserver, hub, steward, eager_delivery):
    receiver = Receiver(httpserver, secret="s3cret")
    endpoint(receiver.url)
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        declare(hub, steward)
        raise RuntimeError("the declaration failed later on")
    assert not WebhookDelivery.objects.exists() and receiver.requests == []


def test_every_lifecycle_event_reaches_its_subscribers(
    httpserver, hub, steward, rep, eager_delivery, django_capture_on_commit_callbacks
):
    receiver = Receiver(httpserver, secret="s3cret")
    endpoint(receiver.url, events_=Event.values)
    from availability.services.maintenance import maintenance_schedule
    from tickets.services import request_submit

    with django_capture_on_commit_callbacks(execute=True):
        request_submit(requester=rep, hub=hub, subject="More RAM", description="Please.")
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(hub, steward)
    with django_capture_on_commit_callbacks(execute=True):
        acknowledge(incident, steward)
    with django_capture_on_commit_callbacks(execute=True):
        updates.incident_send_update(incident=incident, by=steward, body="Nodes are coming back.")
    with django_capture_on_commit_callbacks(execute=True):
        resolve(incident, steward)
    with django_capture_on_commit_callbacks(execute=True):
        review_report(incident, steward)
    with django_capture_on_commit_callbacks(execute=True):
        maintenance_schedule(
            by=steward,
            hubs=[hub],
            title="Upgrade",
            starts_at=datetime.datetime(2030, 3, 12, 3, tzinfo=datetime.UTC),
            ends_at=datetime.datetime(2030, 3, 12, 4, tzinfo=datetime.UTC),
            accept_warnings=True,
        )
    seen = [r["body"]["event"] for r in receiver.requests]
    assert seen == [
        "request.created",
        "incident.declared",
        "incident.updated",
        "incident.resolved",
        "report.published",
        "maintenance.scheduled",
    ]
    bodies = {r["body"]["event"]: r["body"]["data"] for r in receiver.requests}
    assert bodies["request.created"]["subject"] == "More RAM"
    assert bodies["incident.updated"]["update"]["body"] == "Nodes are coming back."
    assert bodies["report.published"]["report"]["url"].endswith(f"/reports/{incident.report.pk}/")
    assert all(r["valid"] for r in receiver.requests)


@pytest.fixture
def admin_with_email(admin_user):
    admin_user.email = "admin@example.org"
    admin_user.save()
    return admin_user


def test_an_endpoint_is_disabled_with_a_notice_after_repeated_failures(
    httpserver,
    hub,
    steward,
    admin_with_email,
    eager_delivery,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    receiver = Receiver(httpserver, secret="s3cret", fail_first=100, status=503)
    hook = endpoint(receiver.url)
    with time_machine.travel(START, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            declare(hub, steward)
        for _ in range(2):
            clock.shift(datetime.timedelta(minutes=5))
            with django_capture_on_commit_callbacks(execute=True):
                notifications_deliver_pending()
        hook.refresh_from_db()
        assert not hook.is_active and hook.consecutive_failures == 3
        assert "503" in hook.disabled_reason
        notice = [m for m in mail.outbox if "admin@example.org" in m.to]
        assert len(notice) == 1 and "Ops bot" in notice[0].subject
        # Its pending delivery fails at once now, without another post.
        clock.shift(datetime.timedelta(minutes=10))
        notifications_deliver_pending()
    assert len(receiver.requests) == 3
    delivery = WebhookDelivery.objects.get()
    delivery.notification.refresh_from_db()
    assert delivery.notification.status == Notification.Status.FAILED
    assert "disabled" in delivery.notification.last_error
    # A disabled endpoint hears no new events until an admin enables it again.
    with django_capture_on_commit_callbacks(execute=True):
        declare(hub, steward)
    assert WebhookDelivery.objects.count() == 1
    webhook_endpoint_enable(endpoint=hook)
    hook.refresh_from_db()
    assert hook.is_active and hook.consecutive_failures == 0


def test_the_payloads_are_documented_in_the_openapi_schema():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    hooks = schema["x-webhooks"]
    assert set(hooks) == set(Event.values)
    body = hooks["incident.updated"]["post"]["requestBody"]["content"]["application/json"]
    ref = body["schema"]["$ref"].rsplit("/", 1)[1]
    component = schema["components"]["schemas"][ref]
    assert {"id", "event", "occurred_at", "data"} <= set(component["properties"])
    assert "X-Supportdesk-Signature" in hooks["incident.updated"]["post"]["description"]
