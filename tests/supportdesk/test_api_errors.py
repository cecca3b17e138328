"""Errors are JSON with a reason, in one shape (supportdesk.api.exception_handler); bad input
is a 4xx, never a 500; clients are throttled with 429."""

from __future__ import annotations

import pytest
from rest_framework.throttling import SimpleRateThrottle

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_throttles", "no_static_scan")]


def test_malformed_json_is_a_400_with_the_parse_error(api, steward, new_request):
    response = api(steward).post(
        f"/api/v1/requests/{new_request.pk}/triage/",
        '{"category": ',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert "JSON parse error" in response.json()["detail"]


def test_a_body_that_is_not_an_object_is_a_400(api, steward, new_request):
    response = api(steward).post(
        f"/api/v1/requests/{new_request.pk}/triage/", ["change"], format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "non_field_errors" in response.json()["errors"]


def test_field_errors_name_each_field_and_sum_them_up(api, steward, new_request):
    response = api(steward).post(
        f"/api/v1/requests/{new_request.pk}/triage/",
        {"category": 5, "version": "latest", "assignee": [1]},
        format="json",
    )
    body = response.json()
    assert response.status_code == 400
    assert set(body["errors"]) == {"category", "version", "assignee"}
    assert body["detail"].startswith("Invalid input: ")
    assert "version: A valid integer is required." in body["detail"]


def test_a_rule_of_a_service_is_a_400_naming_its_field(api, steward, triaged):
    response = api(steward).post(
        f"/api/v1/requests/{triaged.pk}/time-entries/", {"minutes": 0}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"] == {"minutes": [response.json()["detail"]]}


def test_only_json_is_accepted(api, steward, new_request):
    response = api(steward).post(
        f"/api/v1/requests/{new_request.pk}/triage/", {"category": "change"}, format="multipart"
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_an_unsupported_method_is_a_405(api, steward):
    response = api(steward).delete("/api/v1/requests/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


@pytest.fixture
def tight_rates(monkeypatch):
    """DRF reads the rates into a class attribute at import: patch that, not the settings."""
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "2/min", "user": "3/min"})


def test_authenticated_clients_are_throttled_with_429(api, rep, tight_rates):
    client = api(rep)
    assert [client.get("/api/v1/tokens/").status_code for _ in range(3)] == [200] * 3
    response = client.get("/api/v1/tokens/")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 0 < response.json()["wait"] <= 60
    assert response["Retry-After"] == str(response.json()["wait"])


def test_anonymous_clients_are_throttled_with_429(api, hub, tight_rates):
    client = api()
    assert [client.get("/api/v1/hubs/").status_code for _ in range(3)] == [200, 200, 429]


GARBAGE = [
    None,
    [],
    "text",
    12,
    {"version": -1},
    {"body": {"nested": [1]}},
    {"": ""},
    {"category": None, "hubs": None, "minutes": None, "kind": None, "role": None},
    {"to_user": "me", "hub": True, "impact_ended_at": 12, "worked_at": [], "owner": {}},
]

ACTIONS = [
    "/api/v1/requests/",
    "/api/v1/requests/{r}/messages/",
    "/api/v1/requests/{r}/triage/",
    "/api/v1/requests/{r}/time-entries/",
    "/api/v1/requests/{r}/issue/",
    "/api/v1/requests/{r}/priority/",
    "/api/v1/requests/{r}/resolve/",
    "/api/v1/requests/{r}/confirm/",
    "/api/v1/requests/{r}/close/",
    "/api/v1/incidents/",
    "/api/v1/incidents/{i}/timeline/",
    "/api/v1/incidents/{i}/updates/",
    "/api/v1/incidents/{i}/handoff/",
    "/api/v1/incidents/{i}/acknowledge/",
    "/api/v1/incidents/{i}/resolve/",
    "/api/v1/incidents/{i}/report/",
    "/api/v1/incidents/{i}/report/return/",
    "/api/v1/tokens/",
]


@pytest.mark.parametrize("role", ["steward", "rep"])
def test_garbage_input_never_causes_a_server_error(api, people, new_request, incident, role):
    client = api(people[role])
    for path in ACTIONS:
        for payload in GARBAGE:
            target = path.format(r=new_request.pk, i=incident.pk)
            response = client.post(target, payload, format="json")
            assert response.status_code < 500, (target, payload, response.content)
            assert response["Content-Type"] == "application/json"
    response = client.patch(f"/api/v1/incidents/{incident.pk}/report/", GARBAGE[-1], format="json")
    assert response.status_code < 500
