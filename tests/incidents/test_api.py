"""/api/v1/incidents/: list, declare, read, the live log, community updates, hand-offs, the
lifecycle, and the report with its review."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import Incident, IncidentReport
from incidents.services import lifecycle
from tickets.models import SupportRequest

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_throttles", "no_static_scan")]

URL = "/api/v1/incidents/"


@pytest.fixture
def declare(declare, clock):
    """The project's `declare` (tests/conftest.py), under the frozen clock of `incident`."""
    return declare


def url(incident, action: str = "") -> str:
    return f"{URL}{incident.pk}/{action + '/' if action else ''}"


# --- list and read ---------------------------------------------------------------------------


def test_staff_list_open_incidents_first_with_their_commander(
    api, steward, incident, resolved_incident, other_incident
):
    body = api(steward).get(URL).json()
    states = [i["state"] for i in body["results"]]
    assert states.index("resolved") == len(states) - 1
    assert body["results"][0]["internal"]["commander"]["id"] == steward.pk


def test_a_representative_sees_only_incidents_on_their_hubs_and_no_internal_facts(
    api, rep, incident, other_incident
):
    body = api(rep).get(URL).json()
    assert [i["id"] for i in body["results"]] == [incident.pk]
    assert body["results"][0]["internal"] is None


def test_a_representative_sees_only_their_own_hubs_of_a_shared_incident(
    api, rep, declare, hub, other_hub
):
    shared = declare(hubs=[hub, other_hub])
    body = api(rep).get(url(shared)).json()
    assert [h["slug"] for h in body["hubs"]] == [hub.slug]


def test_list_filtered_by_state(api, steward, incident, acknowledged_other):
    body = api(steward).get(f"{URL}?state=acknowledged").json()
    assert [i["id"] for i in body["results"]] == [acknowledged_other.pk]
    assert api(steward).get(f"{URL}?state=burning").status_code == 400


@pytest.fixture
def acknowledged_other(other_incident, steward):
    return lifecycle.incident_acknowledge(incident=other_incident, by=steward)


def test_the_list_costs_the_same_queries_for_3_or_25_incidents(
    api, steward, declare, django_assert_num_queries
):
    client = api(steward)
    for i in range(3):
        declare(title=f"Incident {i}")
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for i in range(22):
        declare(title=f"More {i}")
    with django_assert_num_queries(len(few)):
        assert client.get(URL).json()["count"] == 25


# --- declare ---------------------------------------------------------------------------------


def test_staff_declare_an_incident_and_become_its_commander(api, engineer, hub, clock):
    response = api(engineer).post(
        URL,
        {
            "title": "Kernels die",
            "hubs": [hub.pk],
            "symptom": "run_code",
            "affected_users": 12,
            "detected_by": "community",
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "triggered"
    assert body["internal"]["commander"]["id"] == engineer.pk
    assert body["internal"]["liaison"]["id"] == engineer.pk


def test_declaring_below_the_definition_needs_an_override_reason(api, steward, hub, clock):
    payload = {
        "title": "One user is stuck",
        "hubs": [hub.pk],
        "symptom": "login",
        "affected_users": 1,
        "detected_by": "community",
    }
    response = api(steward).post(URL, payload, format="json")
    assert response.status_code == 400
    assert "override_reason" in response.json()["errors"]
    payload["override_reason"] = "The one user is the course instructor, 300 students wait."
    assert api(steward).post(URL, payload, format="json").status_code == 201


def test_declaring_from_a_request_links_it(api, steward, hub, new_request):
    response = api(steward).post(
        URL,
        {
            "title": "Servers do not start",
            "hubs": [hub.pk],
            "symptom": "start_servers",
            "affected_users": 5,
            "detected_by": "community",
            "request": new_request.pk,
        },
        format="json",
    )
    assert response.status_code == 201
    new_request.refresh_from_db()
    assert new_request.incident_id == response.json()["id"]
    assert new_request.category == SupportRequest.Category.INCIDENT


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"hubs": []}, {"hubs"}),
        ({"hubs": [999999]}, {"hubs"}),
        ({"hubs": "alpha-hub"}, {"hubs"}),
        ({"symptom": "slow"}, {"symptom"}),
        ({"affected_users": 2**40}, {"affected_users"}),
        ({"impact_started_at": "2026-03-14T00:00:00Z"}, {"impact_started_at"}),
        ({"impact_started_at": "0001-01-01T00:00:00+01:00"}, {"impact_started_at"}),
        ({"request": 10**25}, {"request"}),
    ],
)
def test_bad_declarations_are_refused_field_by_field(api, steward, hub, clock, payload, fields):
    base = {
        "title": "Down",
        "hubs": [hub.pk],
        "symptom": "login",
        "affected_users": 5,
        "detected_by": "alert",
    }
    response = api(steward).post(URL, {**base, **payload}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == fields


# --- the live log and community updates -------------------------------------------------------


def test_community_members_see_only_the_public_timeline(api, rep, steward, incident):
    api(steward).post(
        url(incident, "timeline"),
        {"kind": "command", "body": "kubectl get pods", "is_public": False},
        format="json",
    )
    rep_kinds = {e["is_public"] for e in api(rep).get(url(incident, "timeline")).json()["results"]}
    assert rep_kinds == {True}
    staff_entries = api(steward).get(url(incident, "timeline")).json()["results"]
    assert "kubectl get pods" in [e["body"] for e in staff_entries]


def test_a_fix_needs_its_pull_request(api, steward, incident):
    response = api(steward).post(
        url(incident, "timeline"), {"kind": "fix", "body": "Bumped the pool"}, format="json"
    )
    assert response.status_code == 400
    assert "link_url" in response.json()["errors"]


def test_the_liaison_sends_a_community_update_that_resets_the_clock(api, steward, incident):
    response = api(steward).post(
        url(incident, "updates"), {"body": "We found the cause."}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["kind"] == "update"
    assert response.json()["is_public"] is True
    incident.refresh_from_db()
    assert incident.last_update_sent_at is not None


def test_updates_on_a_resolved_incident_are_a_conflict(api, steward, resolved_incident):
    response = api(steward).post(url(resolved_incident, "updates"), {"body": "x"}, format="json")
    assert response.status_code == 409


def test_handoff_passes_command_and_is_recorded(api, steward, engineer, incident):
    response = api(steward).post(
        url(incident, "handoff"),
        {"role": "commander", "to_user": engineer.pk, "reason": "End of my day."},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["user"]["id"] == engineer.pk
    internal = api(steward).get(url(incident)).json()["internal"]
    assert internal["commander"]["id"] == engineer.pk


def test_handoff_to_a_representative_or_of_the_sme_role_is_refused(api, steward, rep, incident):
    response = api(steward).post(
        url(incident, "handoff"),
        {"role": "commander", "to_user": rep.pk, "reason": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert "to_user" in response.json()["errors"]
    response = api(steward).post(
        url(incident, "handoff"), {"role": "sme", "to_user": rep.pk, "reason": "x"}, format="json"
    )
    assert response.status_code == 400
    assert "role" in response.json()["errors"]


# --- lifecycle -------------------------------------------------------------------------------


def test_acknowledge_then_resolve(api, steward, incident, clock):
    assert api(steward).post(url(incident, "acknowledge")).json()["state"] == "acknowledged"
    assert api(steward).post(url(incident, "acknowledge")).status_code == 409
    clock.shift(datetime.timedelta(minutes=20))
    response = api(steward).post(
        url(incident, "resolve"),
        {"impact_ended_at": "2026-03-13T20:15:00Z", "verification_note": "Spawned a server."},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["state"] == "resolved"
    assert response.json()["impact_ended_at"] == "2026-03-13T20:15:00Z"


def test_resolving_a_triggered_incident_is_a_conflict(api, steward, incident):
    response = api(steward).post(
        url(incident, "resolve"),
        {"impact_ended_at": "2026-03-13T20:00:00Z", "verification_note": "x"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_impact_cannot_end_in_the_future(api, steward, acknowledged):
    response = api(steward).post(
        url(acknowledged, "resolve"),
        {"impact_ended_at": "2026-03-14T20:00:00Z", "verification_note": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert "impact_ended_at" in response.json()["errors"]


def test_the_representative_confirms_service_is_back(api, rep, resolved_incident):
    response = api(rep).post(url(resolved_incident, "confirm"))
    assert response.status_code == 200
    resolved_incident.refresh_from_db()
    assert resolved_incident.community_confirmed_at is not None


def test_escalating_twice_alerts_once(api, steward, incident):
    first = api(steward).post(url(incident, "escalate")).json()["internal"]["escalated_at"]
    second = api(steward).post(url(incident, "escalate")).json()["internal"]["escalated_at"]
    assert first == second is not None


# --- the report ------------------------------------------------------------------------------


def test_the_report_cycle_draft_review_publish_close(api, steward, rep, resolved_incident):
    client = api(steward)
    assert client.post(url(resolved_incident, "report")).status_code == 201
    report = client.get(url(resolved_incident, "report")).json()
    assert report["review_state"] == "draft"
    assert "impact started" in report["timeline_markdown"]
    assert api(rep).get(url(resolved_incident, "report")).status_code == 404

    response = client.post(url(resolved_incident, "report/submit"))
    assert response.status_code == 400  # analysis is missing
    response = client.patch(
        url(resolved_incident, "report"),
        {"analysis": "A hard autoscaling limit.", "version": report["version"]},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["summary"] == report["summary"]  # untouched

    assert client.post(url(resolved_incident, "report/submit")).json()["review_state"] == (
        "in_review"
    )
    assert (
        client.post(
            url(resolved_incident, "report/return"), {"reason": "More detail"}, format="json"
        ).json()["review_state"]
        == "draft"
    )
    client.post(url(resolved_incident, "report/submit"))
    reviewed = client.post(url(resolved_incident, "report/review")).json()
    assert reviewed["review_state"] == "reviewed"
    assert reviewed["published_at"] is not None

    assert api(rep).get(url(resolved_incident, "report")).status_code == 200
    api(rep).post(url(resolved_incident, "confirm"))
    assert client.post(url(resolved_incident, "close")).json()["state"] == "closed"


def test_a_report_edit_on_a_stale_version_is_a_conflict(api, steward, reported_incident):
    response = api(steward).patch(
        url(reported_incident, "report"), {"summary": "x", "version": 99}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "concurrent_edit"


def test_a_report_edit_needs_the_version(api, steward, reported_incident):
    response = api(steward).patch(url(reported_incident, "report"), {"summary": "x"}, format="json")
    assert response.status_code == 400
    assert "version" in response.json()["errors"]


def test_a_report_cannot_be_written_while_the_incident_is_open(api, steward, incident):
    assert api(steward).post(url(incident, "report")).status_code == 409
    assert api(steward).get(url(incident, "report")).status_code == 404
    assert not IncidentReport.objects.exists()


def test_unknown_incidents_are_404(api, steward):
    assert api(steward).get(f"{URL}424242/").status_code == 404
    assert api(steward).post(f"{URL}{10**30}/acknowledge/").status_code == 404
    assert not Incident.objects.exists()
