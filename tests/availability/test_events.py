"""The team's rule, evaluated by the app from the events hubs post: two server starts that fail
in a row on one hub within 30 minutes open an incident (threshold and window configurable)."""

from __future__ import annotations

import datetime
import json

import pytest
from rest_framework.test import APIClient

from availability.models import AvailabilitySettings, HubEvent, MaintenanceWindow
from availability.services.hub_events import hub_event_record
from incidents.models import Incident
from supportdesk.errors import DomainError
from tests.availability.conftest import TUESDAY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday")]

FAILED = HubEvent.Kind.SERVER_START_FAILED
SUCCEEDED = HubEvent.Kind.SERVER_START_SUCCEEDED


def at(minutes: float) -> datetime.datetime:
    """An instant `minutes` before the frozen now."""
    return TUESDAY - datetime.timedelta(minutes=60 - minutes)


def record(hub, kind, minutes, user="u1"):
    return hub_event_record(hub=hub, kind=kind, user=user, occurred_at=at(minutes))


def test_two_failures_29_minutes_apart_open_an_incident(hub):
    record(hub, FAILED, 0, user="alice")
    receipt = record(hub, FAILED, 29, user="bob")

    assert receipt.opened_incident
    incident = receipt.incident
    assert incident.detected_by == Incident.Detection.ALERT
    assert incident.symptom == Incident.Symptom.START_SERVERS
    assert incident.affected_users == 2
    assert incident.impact_started_at == at(0)
    assert list(incident.hubs.all()) == [hub]
    assert HubEvent.objects.filter(incident=incident).count() == 2
    entry = incident.timeline.get(kind="alert")
    assert "2 server starts failed in a row" in entry.body and not entry.is_public


def test_two_failures_exactly_30_minutes_apart_open_an_incident(hub):
    record(hub, FAILED, 0)
    assert record(hub, FAILED, 30).opened_incident


def test_two_failures_31_minutes_apart_open_nothing(hub):
    record(hub, FAILED, 0)
    receipt = record(hub, FAILED, 31)

    assert not receipt.opened_incident
    assert not Incident.objects.exists()


def test_a_success_in_between_resets_the_count(hub):
    record(hub, FAILED, 0)
    record(hub, SUCCEEDED, 5)
    receipt = record(hub, FAILED, 10)

    assert not receipt.opened_incident
    assert not Incident.objects.exists()


def test_after_a_success_two_new_failures_open_an_incident(hub):
    record(hub, FAILED, 0)
    record(hub, SUCCEEDED, 5)
    record(hub, FAILED, 10)
    assert record(hub, FAILED, 12).opened_incident


def test_one_failure_opens_nothing(hub):
    assert not record(hub, FAILED, 0).opened_incident
    assert not Incident.objects.exists()


def test_failures_on_two_hubs_do_not_add_up(hub, other_hub):
    record(hub, FAILED, 0)
    record(other_hub, FAILED, 1)

    assert not Incident.objects.exists()


def test_same_user_failing_twice_opens_it_with_an_override_reason(hub):
    record(hub, FAILED, 0, user="alice")
    incident = record(hub, FAILED, 1, user="alice").incident

    assert incident.affected_users == 1
    assert "2 server starts failed in a row" in incident.definition_override_reason


def test_no_second_incident_while_the_first_is_open(hub):
    record(hub, FAILED, 0)
    first = record(hub, FAILED, 1).incident
    record(hub, FAILED, 2)
    receipt = record(hub, FAILED, 3)

    assert not receipt.opened_incident
    assert receipt.incident == first
    assert "already open" in receipt.note
    assert Incident.objects.count() == 1


def test_no_second_incident_while_a_community_reported_one_is_open(hub, declare):
    reported = declare()
    record(hub, FAILED, 0)
    receipt = record(hub, FAILED, 1)

    assert receipt.incident == reported and not receipt.opened_incident
    assert Incident.objects.count() == 1


def test_failures_counted_once_do_not_reopen_after_resolution(hub, steward):
    from incidents.services import lifecycle

    record(hub, FAILED, 0)
    incident = record(hub, FAILED, 1).incident
    lifecycle.incident_acknowledge(incident=incident, by=steward)
    lifecycle.incident_resolve(
        incident=incident, by=steward, impact_ended_at=at(2), verification_note="Spawned a server."
    )

    # One new failure right after: the earlier failure already counted towards INC-1.
    assert not record(hub, FAILED, 3).opened_incident
    # A second one completes a fresh streak.
    assert record(hub, FAILED, 4).opened_incident
    assert Incident.objects.count() == 2


def test_threshold_and_window_are_settings(hub):
    config = AvailabilitySettings.load()
    config.failure_threshold = 3
    config.failure_window_minutes = 10
    config.save()

    record(hub, FAILED, 0)
    assert not record(hub, FAILED, 5).opened_incident
    assert record(hub, FAILED, 10).opened_incident


def test_threshold_three_outside_the_window_opens_nothing(hub):
    config = AvailabilitySettings.load()
    config.failure_threshold = 3
    config.failure_window_minutes = 10
    config.save()

    record(hub, FAILED, 0)
    record(hub, FAILED, 5)
    assert not record(hub, FAILED, 11).opened_incident


def test_failures_inside_a_maintenance_window_open_nothing(hub):
    window = MaintenanceWindow.objects.create(title="Upgrade", starts_at=at(-10), ends_at=at(20))
    window.hubs.add(hub)

    record(hub, FAILED, 0)
    receipt = record(hub, FAILED, 1)

    assert not receipt.opened_incident
    assert "maintenance" in receipt.note
    assert not Incident.objects.exists()


def test_a_repeated_event_is_recorded_once(hub):
    record(hub, FAILED, 0, user="alice")
    receipt = record(hub, FAILED, 0, user="alice")

    assert receipt.duplicate
    assert HubEvent.objects.count() == 1
    assert not Incident.objects.exists()


def test_unknown_event_type_is_refused(hub):
    with pytest.raises(DomainError):
        hub_event_record(hub=hub, kind="kernel_died")


def test_event_in_the_future_is_refused(hub):
    with pytest.raises(DomainError):
        hub_event_record(hub=hub, kind=FAILED, occurred_at=TUESDAY + datetime.timedelta(minutes=10))


# --- the endpoint -----------------------------------------------------------------------------


def post_event(client, slug, payload):
    return client.post(
        f"/api/v1/hubs/{slug}/events/", data=json.dumps(payload), content_type="application/json"
    )


def test_events_endpoint_opens_an_incident_on_the_second_failure(hub, alert_client):
    first = post_event(
        alert_client,
        hub.slug,
        {"type": "server_start_failed", "user": "alice", "at": "2026-11-24T09:40:00Z"},
    )
    second = post_event(
        alert_client,
        hub.slug,
        {"type": "server_start_failed", "user": "bob", "at": "2026-11-24T10:00:00Z"},
    )

    assert first.status_code == 201 and first.json()["incident"] is None
    assert second.status_code == 201
    body = second.json()
    assert body["opened_incident"] is True
    assert Incident.objects.get().pk == body["incident"]


def test_events_endpoint_defaults_the_time_to_now(hub, alert_client):
    response = post_event(alert_client, hub.slug, {"type": "server_start_succeeded"})

    assert response.status_code == 201
    assert HubEvent.objects.get().occurred_at == TUESDAY


def test_events_endpoint_replay_answers_200(hub, alert_client):
    payload = {"type": "server_start_failed", "user": 42, "at": "2026-11-24T09:40:00Z"}
    post_event(alert_client, hub.slug, payload)

    response = post_event(alert_client, hub.slug, payload)

    assert response.status_code == 200 and response.json()["duplicate"] is True
    assert HubEvent.objects.get().user == "42"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"type": "kernel_died"}, "type: "),
        ({}, "type: This field is required."),
        ({"type": "server_start_failed", "at": "noon"}, "at: "),
        ({"type": "server_start_failed", "at": "1999-12-31T00:00:00Z"}, "at: Give an instant"),
        ({"type": "server_start_failed", "at": "2027-01-01T00:00:00Z"}, "future"),
    ],
)
def test_events_endpoint_refuses_bad_events_with_a_reason(hub, alert_client, payload, reason):
    response = post_event(alert_client, hub.slug, payload)

    assert response.status_code == 400
    assert reason in response.json()["detail"]


def test_events_endpoint_unknown_hub_is_404(alert_client, db):
    response = post_event(alert_client, "nope", {"type": "server_start_failed"})

    assert response.status_code == 404


def test_events_endpoint_needs_a_token(hub):
    response = post_event(APIClient(), hub.slug, {"type": "server_start_failed"})

    assert response.status_code == 401


@pytest.mark.parametrize(("who", "status"), [("steward", 201), ("rep", 403)])
def test_events_endpoint_accepts_staff_but_not_representatives(hub, request, who, status):
    client = APIClient()
    client.force_authenticate(request.getfixturevalue(who))

    response = post_event(client, hub.slug, {"type": "server_start_failed"})

    assert response.status_code == status
