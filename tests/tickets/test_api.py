"""/api/v1/requests/: list, submit, read, and the actions on one request."""

from __future__ import annotations

import datetime

import pytest

from tests.factories import HubFactory
from tickets import services
from tickets.models import Message, SupportRequest

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_throttles", "no_static_scan")]

URL = "/api/v1/requests/"


def url(r, action: str = "") -> str:
    return f"{URL}{r.pk}/{action + '/' if action else ''}"


# --- list ------------------------------------------------------------------------------------


def test_staff_list_every_request_nearest_deadline_first_with_the_clocks(
    api, steward, new_request, other_request, triaged
):
    body = api(steward).get(URL).json()
    assert body["count"] == 2
    first = body["results"][0]
    assert first["internal"]["next_due_at"] is not None
    assert first["internal"]["due_text"]
    dues = [r["internal"]["next_due_at"] for r in body["results"]]
    assert dues == sorted(dues)


def test_a_representative_lists_only_their_communitys_requests_without_internal_facts(
    api, rep, new_request, other_request
):
    body = api(rep).get(URL).json()
    assert [r["id"] for r in body["results"]] == [new_request.pk]
    assert body["results"][0]["internal"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=new", {"other"}),
        ("state=triaged", {"triaged"}),
        ("state=open", {"triaged", "other"}),
        ("category=change", {"triaged"}),
        ("category=untriaged", {"other"}),
        ("q=Beta", {"other"}),
        ("due=overdue", set()),
    ],
)
def test_the_list_is_filtered_like_the_queue(api, steward, triaged, other_request, query, expected):
    names = {triaged.pk: "triaged", other_request.pk: "other"}
    body = api(steward).get(f"{URL}?{query}").json()
    assert {names[r["id"]] for r in body["results"]} == expected


def test_filter_by_community_and_assignee(api, steward, triaged, other_request, other_community):
    body = api(steward).get(f"{URL}?community={other_community.pk}").json()
    assert [r["id"] for r in body["results"]] == [other_request.pk]
    assignee = triaged.assignee_id
    body = api(steward).get(f"{URL}?assignee={assignee}").json()
    assert {r["internal"] is not None for r in body["results"]} == {True}
    assert all(r["assignee"]["id"] == assignee for r in body["results"])


def test_overdue_requests_are_found_once_their_deadline_passes(api, steward, new_request, clock):
    clock.move_to(datetime.datetime(2026, 3, 17, 12, tzinfo=datetime.UTC))
    body = api(steward).get(f"{URL}?due=overdue").json()
    assert [r["id"] for r in body["results"]] == [new_request.pk]
    assert body["results"][0]["internal"]["due_state"] == "overdue"


def test_invalid_filters_are_refused_with_the_reason(api, steward, new_request):
    response = api(steward).get(f"{URL}?state=sleeping&community=alpha&due=later")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"state", "community", "due"}


def test_a_representative_cannot_filter_by_another_community(api, rep, other_community):
    response = api(rep).get(f"{URL}?community={other_community.pk}")
    assert response.status_code == 400


def test_pages_hold_50_by_default_and_page_size_is_capped_at_200(api, steward, submit):
    for i in range(3):
        submit(subject=f"Request {i}")
    body = api(steward).get(f"{URL}?page_size=2").json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"].endswith("page=2&page_size=2")
    assert len(api(steward).get(f"{URL}?page_size=1000").json()["results"]) == 3
    assert api(steward).get(f"{URL}?page=9").status_code == 404
    assert api(steward).get(f"{URL}?page=0").status_code == 400


@pytest.mark.parametrize("role", ["steward", "rep"])
def test_the_list_costs_the_same_queries_for_3_or_25_requests(
    api, people, submit, django_assert_num_queries, role
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(people[role])
    for i in range(3):
        submit(subject=f"Request {i}")
    # force_authenticate hands every request the same user object, which keeps what a request
    # caches on it (accounts.roles): warm it up, as every later request finds it.
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    for i in range(22):
        submit(subject=f"More {i}")
    with django_assert_num_queries(len(few)):
        body = client.get(URL).json()
    assert body["count"] == 25


# --- submit ----------------------------------------------------------------------------------


def test_a_representative_submits_a_request_through_the_api(api, rep, hub, rotation, clock):
    response = api(rep).post(
        URL,
        {
            "hub": hub.pk,
            "subject": "Nobody can start a server",
            "description": "Spawn times out.",
            "cannot_start_servers": True,
            "affected_users": 30,
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["channel"] == "api"
    assert body["likely_incident"] is True
    assert body["state"] == "new"
    assert body["assignee"] is not None  # a steward on duty
    assert SupportRequest.objects.get(pk=body["id"]).requester == rep


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"hub", "subject", "description"}),
        ({"subject": "", "description": " "}, {"hub", "subject", "description"}),
        ({"subject": "x" * 201}, {"hub", "subject", "description"}),
        ({"affected_users": -1}, {"hub", "subject", "description", "affected_users"}),
        ({"affected_users": 10**12}, {"hub", "subject", "description", "affected_users"}),
        (
            {"affected_users": "many", "cannot_log_in": "perhaps"},
            {"hub", "subject", "description", "affected_users", "cannot_log_in"},
        ),
    ],
)
def test_bad_submissions_are_refused_field_by_field(api, rep, payload, fields):
    response = api(rep).post(URL, payload, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == fields


def test_an_inactive_hub_cannot_be_chosen(api, rep, community):
    closed = HubFactory(community=community, is_active=False)
    response = api(rep).post(
        URL, {"hub": closed.pk, "subject": "x", "description": "y"}, format="json"
    )
    assert response.status_code == 400
    assert "hub" in response.json()["errors"]


# --- read ------------------------------------------------------------------------------------


def test_read_one_request(api, rep, steward, new_request):
    body = api(rep).get(url(new_request)).json()
    assert body["reference"] == new_request.reference
    assert body["requester"]["name"] == "Ada Rep"
    assert body["internal"] is None
    assert api(steward).get(url(new_request)).json()["internal"]["due_label"] == "Triage"


def test_unknown_and_out_of_scope_ids_are_404(api, rep, other_request):
    assert api(rep).get(url(other_request)).status_code == 404
    assert api(rep).get(f"{URL}999999/").status_code == 404
    assert api(rep).get(f"{URL}{10**30}/").status_code == 404


# --- messages --------------------------------------------------------------------------------


def test_a_representative_never_sees_internal_notes(api, rep, steward, new_request):
    services.request_add_note(support_request=new_request, by=steward, body="Customer is grumpy.")
    services.request_reply(support_request=new_request, by=steward, body="On it.")
    rep_view = api(rep).get(url(new_request, "messages")).json()["results"]
    assert [m["body"] for m in rep_view] == ["On it."]
    staff_view = api(steward).get(url(new_request, "messages")).json()["results"]
    assert {m["visibility"] for m in staff_view} == {"public", "internal"}


def test_staff_reply_answers_the_representative(api, steward, new_request):
    response = api(steward).post(
        url(new_request, "messages"),
        {"body": "We are looking at it.", "link_url": "https://status.example.org"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["is_from_staff"] is True
    new_request.refresh_from_db()
    assert new_request.first_responded_at is not None


def test_a_representatives_reply_reopens_a_resolved_request(api, rep, resolved):
    response = api(rep).post(url(resolved, "messages"), {"body": "Still broken."}, format="json")
    assert response.status_code == 201
    resolved.refresh_from_db()
    assert resolved.status == SupportRequest.Status.TRIAGED


def test_staff_add_an_internal_note(api, steward, new_request):
    response = api(steward).post(
        url(new_request, "messages"),
        {"body": "Checked logs.", "visibility": "internal"},
        format="json",
    )
    assert response.status_code == 201
    assert Message.objects.get(pk=response.json()["id"]).visibility == "internal"


def test_an_internal_note_carries_no_link(api, steward, new_request):
    response = api(steward).post(
        url(new_request, "messages"),
        {"body": "x", "visibility": "internal", "link_url": "https://example.org"},
        format="json",
    )
    assert response.status_code == 400
    assert "link_url" in response.json()["errors"]


def test_a_representatives_reply_on_a_closed_request_opens_a_follow_up(api, rep, resolved):
    services.request_confirm(support_request=resolved, by=rep)
    response = api(rep).post(url(resolved, "messages"), {"body": "One more thing"}, format="json")
    assert response.status_code == 201
    body = response.json()
    follow_up = SupportRequest.objects.get(follow_up_of=resolved)
    assert body["id"] == follow_up.pk and body["follow_up_of"] == resolved.pk
    assert response["Location"] == url(follow_up)
    assert body["channel"] == "api" and body["description"] == "One more thing"
    assert api(rep).get(url(resolved)).json()["state"] == "closed"


def test_a_steward_reply_on_a_closed_request_is_a_conflict(api, rep, steward, resolved):
    services.request_confirm(support_request=resolved, by=rep)
    response = api(steward).post(url(resolved, "messages"), {"body": "Still?"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert not SupportRequest.objects.filter(follow_up_of=resolved).exists()


def test_a_steward_reply_on_a_stale_version_is_refused(api, steward, new_request):
    response = api(steward).post(
        url(new_request, "messages"), {"body": "Hello", "version": 7}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "concurrent_edit"


# --- triage, time, resolve, confirm, close ----------------------------------------------------


def test_triage_categorises_and_bumps_the_version(api, steward, new_request):
    response = api(steward).post(
        url(new_request, "triage"),
        {"category": "guidance", "version": new_request.version},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["category"]) == ("triaged", "guidance")
    assert body["version"] == new_request.version + 1


def test_triage_on_a_version_somebody_else_changed_is_a_conflict(api, steward, triaged):
    response = api(steward).post(
        url(triaged, "triage"), {"category": "incident", "version": 1}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "concurrent_edit"


def test_triage_to_another_communitys_hub_or_a_non_staff_assignee_is_refused(
    api, steward, rep, new_request, other_hub
):
    response = api(steward).post(
        url(new_request, "triage"), {"category": "change", "hub": other_hub.pk}, format="json"
    )
    assert response.status_code == 400
    assert "hub" in response.json()["errors"]
    response = api(steward).post(
        url(new_request, "triage"), {"category": "change", "assignee": rep.pk}, format="json"
    )
    assert response.status_code == 400
    assert "assignee" in response.json()["errors"]


def test_logged_time_is_listed_and_counts_against_the_budget(api, steward, triaged):
    response = api(steward).post(
        url(triaged, "time-entries"), {"minutes": 90, "note": "Rebuilt image"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["counts_against_budget"] is True
    entries = api(steward).get(url(triaged, "time-entries")).json()["results"]
    assert [e["minutes"] for e in entries] == [90]
    budget = api(steward).get("/api/v1/communities/alpha/budget/?month=2026-03").json()
    assert budget["used"] == "1.50"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"minutes": 0}, "minutes"),
        ({"minutes": 24 * 60 + 1}, "minutes"),
        ({"minutes": 10, "worked_at": "2026-03-20T10:00:00Z"}, "worked_at"),
        ({"minutes": 10, "worked_at": "1999-12-31T10:00:00Z"}, "worked_at"),
        ({"minutes": 10, "worked_at": "yesterday"}, "worked_at"),
        ({"minutes": 2**40}, "minutes"),
    ],
)
def test_time_entries_out_of_range_are_refused(api, steward, triaged, payload, field):
    response = api(steward).post(url(triaged, "time-entries"), payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_linking_an_issue_puts_the_request_into_work_planning(api, steward, rep, triaged):
    response = api(steward).post(
        url(triaged, "issue"),
        {"url": "https://github.com/org/infra/issues/7", "version": triaged.version},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["engineering_issue_url"]) == (
        "planned",
        "https://github.com/org/infra/issues/7",
    )
    told = api(rep).get(url(triaged, "messages")).json()["results"]
    assert told[-1]["link_url"] == "https://github.com/org/infra/issues/7"


def test_incidents_do_not_go_to_work_planning(api, steward, triaged):
    services.request_triage(
        support_request=triaged, by=steward, category="incident", expected_version=triaged.version
    )
    response = api(steward).post(
        url(triaged, "issue"), {"url": "https://github.com/org/infra/issues/7"}, format="json"
    )
    assert response.status_code == 409


def test_priority_factors_set_the_rank(api, steward, triaged):
    response = api(steward).post(
        url(triaged, "priority"), {"has_dedicated_funding": True}, format="json"
    )
    assert response.status_code == 200
    internal = response.json()["internal"]
    assert (internal["priority_rank"], internal["has_dedicated_funding"]) == (1, True)
    assert internal["priority_label"] == "Comes with dedicated funding"


def test_resolve_then_the_representative_confirms(api, steward, rep, answered):
    response = api(steward).post(
        url(answered, "resolve"), {"body": "Fixed.", "version": answered.version}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["state"] == "resolved"
    response = api(rep).post(url(answered, "confirm"))
    assert response.status_code == 200
    assert response.json()["state"] == "closed"


def test_resolving_an_untriaged_request_is_a_conflict(api, steward, new_request):
    response = api(steward).post(url(new_request, "resolve"), {"body": "Done"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_confirming_a_request_that_is_not_resolved_is_a_conflict(api, rep, triaged):
    response = api(rep).post(url(triaged, "confirm"))
    assert response.status_code == 409


def test_staff_close_an_answered_request(api, steward, answered):
    response = api(steward).post(
        url(answered, "close"), {"version": answered.version}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["state"] == "closed"
    assert api(steward).post(url(answered, "close"), {}, format="json").status_code == 409


def test_the_representative_reopens_a_resolved_request(api, rep, resolved, clock):
    clock.shift(datetime.timedelta(hours=2))
    response = api(rep).post(url(resolved, "reopen"), {"reason": "Still broken"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "triaged"
    resolved.refresh_from_db()
    assert resolved.resolved_at is None
    assert resolved.auto_close_due_at is None
    # The representative is waiting for an answer again.
    assert resolved.response_due_at is not None
    assert resolved.events.filter(kind="reopened", detail="Reopened: Still broken").exists()


def test_reopening_a_request_that_is_not_resolved_is_a_conflict(api, rep, triaged):
    response = api(rep).post(url(triaged, "reopen"), {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_another_communitys_representative_cannot_reopen(api, other_rep, resolved):
    assert api(other_rep).post(url(resolved, "reopen"), {}, format="json").status_code == 404


def test_reopen_with_a_stale_version_is_a_conflict(api, steward, resolved):
    response = api(steward).post(
        url(resolved, "reopen"), {"version": resolved.version - 1}, format="json"
    )
    assert response.status_code == 409
