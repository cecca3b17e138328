"""POST /api/v1/alerts/alertmanager/: Alertmanager's webhook (payload version 4)."""

from __future__ import annotations

import datetime
import json

import pytest
from rest_framework.test import APIClient

from availability.models import Alert, AvailabilityLog, MaintenanceWindow
from communities.models import Hub
from incidents.models import Incident, TimelineEntry
from tests.availability.conftest import TUESDAY, load_payload
from tests.factories import HubFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday")]

URL = "/api/v1/alerts/alertmanager/"


def test_firing_alert_opens_an_incident_detected_by_alert(hub, post_alerts):
    response = post_alerts(load_payload("firing.json", hub=hub.slug))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["recorded"] == 1 and body["duplicates"] == 0
    [incident] = Incident.objects.all()
    assert body["incidents_opened"] == [incident.pk]
    assert incident.detected_by == Incident.Detection.ALERT
    assert incident.declared_by is None
    assert list(incident.hubs.all()) == [hub]
    assert incident.title == "Alpha Hub: JupyterHubDown"
    # Impact started when the alert did, not when it reached us (nanoseconds truncated).
    assert incident.impact_started_at == datetime.datetime(
        2026, 11, 24, 9, 58, 30, 123456, tzinfo=datetime.UTC
    )
    alert = Alert.objects.get()
    assert (alert.hub, alert.incident, alert.status) == (hub, incident, "firing")
    assert alert.ends_at is None  # Alertmanager's zero time means "not set"
    entry = incident.timeline.get(kind=TimelineEntry.Kind.ALERT)
    assert "JupyterHubDown" in entry.body and not entry.is_public
    assert entry.link_url.startswith("https://prometheus.example.org/")
    assert AvailabilityLog.objects.filter(kind="incident_opened", incident=incident).exists()


def test_incident_opened_by_alert_puts_the_hub_in_outage(hub, post_alerts):
    post_alerts(load_payload("firing.json", hub=hub.slug))

    hub.refresh_from_db()
    assert hub.status == Hub.Status.OUTAGE


def test_resolved_alert_is_recorded_but_does_not_resolve_the_incident(hub, post_alerts):
    post_alerts(load_payload("firing.json", hub=hub.slug))
    incident = Incident.objects.get()

    response = post_alerts(load_payload("resolved.json", hub=hub.slug))

    assert response.status_code == 200
    assert response.json()["incidents_updated"] == [incident.pk]
    incident.refresh_from_db()
    assert incident.state == Incident.State.TRIGGERED
    resolved = Alert.objects.get(status="resolved")
    assert resolved.incident == incident
    assert resolved.ends_at == datetime.datetime(2026, 11, 24, 10, 3, tzinfo=datetime.UTC)
    bodies = list(incident.timeline.filter(kind="alert").values_list("body", flat=True))
    assert any(b.startswith("Alert resolved") for b in bodies)
    assert Incident.objects.count() == 1


def test_resolved_alert_without_a_firing_one_is_only_recorded(hub, post_alerts):
    response = post_alerts(load_payload("resolved.json", hub=hub.slug))

    assert response.status_code == 200
    assert Alert.objects.get().incident is None
    assert not Incident.objects.exists()


def test_grouped_alerts_for_one_hub_open_one_incident(hub, post_alerts):
    response = post_alerts(load_payload("grouped.json", hub=hub.slug))

    assert response.status_code == 200
    assert response.json()["recorded"] == 3
    [incident] = Incident.objects.all()
    assert Alert.objects.filter(incident=incident).count() == 3
    assert incident.timeline.filter(kind="alert").count() == 3


def test_alerts_for_two_hubs_open_one_incident_each(hub, other_hub, post_alerts):
    payload = load_payload("grouped.json", hub=hub.slug)
    payload["alerts"][2]["labels"]["hub"] = other_hub.slug

    post_alerts(payload)

    assert Incident.objects.count() == 2
    assert Incident.objects.filter(hubs=hub).count() == 1
    assert Incident.objects.filter(hubs=other_hub).count() == 1


def test_alert_joins_the_incident_already_open_for_the_hub(hub, declare, post_alerts):
    reported = declare()  # a community reported it first

    response = post_alerts(load_payload("firing.json", hub=hub.slug))

    assert response.json()["incidents_opened"] == []
    assert response.json()["incidents_updated"] == [reported.pk]
    assert Incident.objects.count() == 1
    assert Alert.objects.get().incident == reported


def test_a_later_firing_alert_joins_the_open_incident(hub, post_alerts):
    post_alerts(load_payload("firing.json", hub=hub.slug))
    payload = load_payload("firing.json", hub=hub.slug)
    payload["alerts"][0]["fingerprint"] = "ffff000000000009"

    post_alerts(payload)

    assert Incident.objects.count() == 1
    assert Alert.objects.filter(incident__isnull=False).count() == 2


def test_replayed_payload_changes_nothing(hub, post_alerts):
    payload = load_payload("grouped.json", hub=hub.slug)
    post_alerts(payload)
    before = (
        Alert.objects.count(),
        Incident.objects.count(),
        TimelineEntry.objects.count(),
        AvailabilityLog.objects.count(),
        Incident.objects.get().version,
    )

    response = post_alerts(payload)

    assert response.status_code == 200
    assert response.json()["duplicates"] == 3 and response.json()["recorded"] == 0
    after = (
        Alert.objects.count(),
        Incident.objects.count(),
        TimelineEntry.objects.count(),
        AvailabilityLog.objects.count(),
        Incident.objects.get().version,
    )
    assert after == before


def test_replayed_resolved_payload_changes_nothing(hub, post_alerts):
    post_alerts(load_payload("firing.json", hub=hub.slug))
    post_alerts(load_payload("resolved.json", hub=hub.slug))
    entries = TimelineEntry.objects.count()

    response = post_alerts(load_payload("resolved.json", hub=hub.slug))

    assert response.json()["duplicates"] == 1
    assert TimelineEntry.objects.count() == entries


def test_alert_with_unknown_hub_is_recorded_with_a_note(post_alerts, db):
    response = post_alerts(load_payload("firing.json", hub="no-such-hub"))

    assert response.status_code == 200
    body = response.json()
    assert body["recorded"] == 1
    assert "no-such-hub" in body["notes"][0]
    assert Alert.objects.get().hub is None
    assert not Incident.objects.exists()


def test_alert_without_the_hub_label_is_recorded_with_a_note(post_alerts, hub):
    payload = load_payload("firing.json", hub=hub.slug)
    del payload["alerts"][0]["labels"]["hub"]

    body = post_alerts(payload).json()

    assert "no “hub” label" in body["notes"][0]
    assert not Incident.objects.exists()


def test_integration_with_another_hub_label(hub, db):
    from availability.services.alerts import alert_integration_create

    _, token = alert_integration_create(name="grafana", hub_label="jupyterhub")
    payload = load_payload("firing.json", hub="ignored")
    payload["alerts"][0]["labels"]["jupyterhub"] = hub.slug
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    client.post(URL, data=json.dumps(payload), content_type="application/json")

    assert Incident.objects.filter(hubs=hub).count() == 1


def test_alert_for_a_hub_in_maintenance_is_recorded_but_opens_no_incident(
    hub, post_alerts, steward
):
    window = MaintenanceWindow.objects.create(
        title="Cluster upgrade",
        starts_at=TUESDAY - datetime.timedelta(minutes=30),
        ends_at=TUESDAY + datetime.timedelta(hours=1),
        created_by=steward,
    )
    window.hubs.add(hub)

    response = post_alerts(load_payload("firing.json", hub=hub.slug))

    assert response.status_code == 200
    assert response.json()["suppressed"] == 1
    alert = Alert.objects.get()
    assert alert.suppressed_by_maintenance and alert.incident is None
    assert not Incident.objects.exists()


def test_maintenance_of_another_hub_does_not_suppress(hub, other_hub, post_alerts, steward):
    window = MaintenanceWindow.objects.create(
        title="Other cluster",
        starts_at=TUESDAY - datetime.timedelta(minutes=30),
        ends_at=TUESDAY + datetime.timedelta(hours=1),
    )
    window.hubs.add(other_hub)

    post_alerts(load_payload("firing.json", hub=hub.slug))

    assert Incident.objects.count() == 1


def test_alert_after_the_window_ended_opens_an_incident(hub, post_alerts):
    window = MaintenanceWindow.objects.create(
        title="Cluster upgrade",
        starts_at=TUESDAY - datetime.timedelta(hours=2),
        ends_at=TUESDAY - datetime.timedelta(minutes=1),
    )
    window.hubs.add(hub)

    post_alerts(load_payload("firing.json", hub=hub.slug))

    assert Incident.objects.count() == 1


# --- malformed payloads -----------------------------------------------------------------------


def _malformed(hub_slug: str):
    base = load_payload("firing.json", hub=hub_slug)
    cases = {}

    def case(name, mutate, reason):
        payload = json.loads(json.dumps(base))
        mutate(payload)
        cases[name] = (payload, reason)

    case("wrong version", lambda p: p.update(version="3"), "version: unsupported version")
    case("no alerts key", lambda p: p.pop("alerts"), "alerts: This field is required.")
    case("bad status", lambda p: p.update(status="pending"), "status: ")
    case(
        "bad alert status",
        lambda p: p["alerts"][0].update(status="bogus"),
        "alerts.0.status: ",
    )
    case(
        "unparseable start",
        lambda p: p["alerts"][0].update(startsAt="yesterday at ten"),
        "alerts.0.startsAt: not an RFC 3339 timestamp",
    )
    case(
        "start without time zone",
        lambda p: p["alerts"][0].update(startsAt="2026-11-24T09:58:30"),
        "alerts.0.startsAt: not an RFC 3339 timestamp",
    )
    case(
        "no fingerprint",
        lambda p: p["alerts"][0].pop("fingerprint"),
        "alerts.0.fingerprint: This field is required.",
    )
    case(
        "labels not an object",
        lambda p: p["alerts"][0].update(labels=["hub"]),
        "alerts.0.labels: ",
    )
    case("alert not an object", lambda p: p.update(alerts=["firing"]), "alerts.0: ")
    case(
        "start out of range",
        lambda p: p["alerts"][0].update(startsAt="9999-12-31T23:59:59-05:00"),
        "alerts.0.startsAt: give an instant between",
    )
    return cases


@pytest.mark.parametrize(
    "case",
    [
        "wrong version",
        "no alerts key",
        "bad status",
        "bad alert status",
        "unparseable start",
        "start without time zone",
        "no fingerprint",
        "labels not an object",
        "alert not an object",
        "start out of range",
    ],
)
def test_malformed_payload_is_refused_with_a_reason(case, hub, post_alerts):
    payload, reason = _malformed(hub.slug)[case]

    response = post_alerts(payload)

    assert response.status_code == 400
    assert reason in response.json()["detail"]
    assert not Alert.objects.exists() and not Incident.objects.exists()


def test_malformed_fixture_is_refused(hub, post_alerts):
    response = post_alerts(load_payload("malformed.json", hub=hub.slug))

    assert response.status_code == 400
    assert "alerts.0.startsAt: not an RFC 3339 timestamp" in response.json()["detail"]
    assert "alerts" in response.json()["errors"]


def test_invalid_json_is_refused(alert_client):
    response = alert_client.post(URL, data="{not json", content_type="application/json")

    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_payload_that_is_not_an_object_is_refused(post_alerts):
    response = post_alerts([1, 2, 3])

    assert response.status_code == 400


def test_bad_alert_in_a_batch_refuses_the_whole_batch(hub, post_alerts):
    payload = load_payload("grouped.json", hub=hub.slug)
    payload["alerts"][1]["startsAt"] = "soon"

    response = post_alerts(payload)

    assert response.status_code == 400
    assert "alerts.1.startsAt" in response.json()["detail"]
    assert not Alert.objects.exists()


# --- authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [None, "Bearer wrong-token", "Bearer", "Bearer a b", "Token something"],
)
def test_bad_or_missing_token_is_401(header, hub, integration):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)

    response = client.post(
        URL,
        data=json.dumps(load_payload("firing.json", hub=hub.slug)),
        content_type="application/json",
    )

    assert response.status_code == 401
    assert not Alert.objects.exists()


def test_inactive_integration_is_401(hub, integration, post_alerts):
    integration.is_active = False
    integration.save()

    response = post_alerts(load_payload("firing.json", hub=hub.slug))

    assert response.status_code == 401


def test_staff_session_cannot_post_alerts(hub, client, steward):
    client.force_login(steward)

    response = client.post(
        URL,
        data=json.dumps(load_payload("firing.json", hub=hub.slug)),
        content_type="application/json",
    )

    assert response.status_code == 401


def test_inactive_hub_does_not_get_incidents(post_alerts, community):
    retired = HubFactory(community=community, slug="retired", is_active=False)

    body = post_alerts(load_payload("firing.json", hub=retired.slug)).json()

    assert body["recorded"] == 1 and body["notes"]
    assert not Incident.objects.exists()
