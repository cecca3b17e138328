"""The role x action matrix of the API: the same answers as the web pages.

Every action targets an object of the Alpha community (the representative's `rep`; `other_rep`
speaks for Beta). Staff are the whole desk; a representative acts only within their community;
a hub administrator reads only; outsiders (logged in, no community) and other communities'
members get 404 for objects they cannot see, 403 for actions on objects they can see; anonymous
clients get 401."""

from __future__ import annotations

import pytest
from django.db import transaction

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_throttles", "no_static_scan")]

ROLES = [
    "steward",
    "engineer",
    "project_manager",
    "admin",
    "rep",
    "other_rep",
    "hub_admin",
    "outsider",
    "anonymous",
]


def row(**statuses):
    """Expected status per role; `staff=` sets the four staff roles at once, `others=` the
    outsider and other_rep (who cannot see the object)."""
    expected = {}
    if "staff" in statuses:
        for role in ("steward", "engineer", "project_manager", "admin"):
            expected[role] = statuses["staff"]
    if "others" in statuses:
        expected["other_rep"] = expected["outsider"] = statuses["others"]
    expected.setdefault("anonymous", 401)
    for role, code in statuses.items():
        if role not in ("staff", "others"):
            expected[role] = code
    missing = set(ROLES) - set(expected)
    assert not missing, missing
    return expected


# Each action: (name, fixture holding the target, method, url, payload), then the expected
# status per role. R and I are the request and incident URLs.
R = "/api/v1/requests/{pk}/"
I = "/api/v1/incidents/{pk}/"  # noqa: E741
RESOLVE_INCIDENT = {"impact_ended_at": "2026-03-13T20:00:00Z", "verification_note": "Works."}
HANDOFF = {"role": "commander", "to_user": "{dan}", "reason": "End of my day."}

# fmt: off
REQUEST_ACTIONS = [
    (("list", None, "get", "/api/v1/requests/", None),
     row(staff=200, rep=200, other_rep=200, hub_admin=200, outsider=403)),
    (("read", "new_request", "get", R, None),
     row(staff=200, rep=200, hub_admin=200, others=404)),
    (("messages", "new_request", "get", R + "messages/", None),
     row(staff=200, rep=200, hub_admin=200, others=404)),
    (("reply", "new_request", "post", R + "messages/", {"body": "Any news?"}),
     row(staff=201, rep=201, hub_admin=403, others=404)),
    (("note", "new_request", "post", R + "messages/", {"body": "x", "visibility": "internal"}),
     row(staff=201, rep=403, hub_admin=403, others=404)),
    (("triage", "new_request", "post", R + "triage/", {"category": "change"}),
     row(staff=200, rep=403, hub_admin=403, others=404)),
    (("time entries", "new_request", "get", R + "time-entries/", None),
     row(staff=200, rep=403, hub_admin=403, others=404)),
    (("log time", "triaged", "post", R + "time-entries/", {"minutes": 30}),
     row(staff=201, rep=403, hub_admin=403, others=404)),
    (("link issue", "triaged", "post", R + "issue/", {"url": "https://github.com/o/r/issues/1"}),
     row(staff=200, rep=403, hub_admin=403, others=404)),
    (("priority", "triaged", "post", R + "priority/", {"aligns_with_team_goals": True}),
     row(staff=200, rep=403, hub_admin=403, others=404)),
    (("resolve", "answered", "post", R + "resolve/", {"body": "Done."}),
     row(staff=200, rep=403, hub_admin=403, others=404)),
    (("confirm", "resolved", "post", R + "confirm/", None),
     row(staff=403, rep=200, hub_admin=403, others=404)),
    (("close", "answered", "post", R + "close/", {}),
     row(staff=200, rep=403, hub_admin=403, others=404)),
]

INCIDENT_ACTIONS = [
    (("list", None, "get", "/api/v1/incidents/", None),
     row(staff=200, rep=200, other_rep=200, hub_admin=200, outsider=403)),
    (("read", "incident", "get", I, None),
     row(staff=200, rep=200, hub_admin=200, others=404)),
    (("timeline", "incident", "get", I + "timeline/", None),
     row(staff=200, rep=200, hub_admin=200, others=404)),
    (("add entry", "incident", "post", I + "timeline/", {"kind": "note", "body": "Looking."}),
     row(staff=201, rep=403, hub_admin=403, others=404)),
    # Community updates come from the liaison or the commander (the steward who declared it).
    (("update", "incident", "post", I + "updates/", {"body": "Still on it."}),
     row(steward=201, engineer=403, project_manager=403, admin=403, rep=403, hub_admin=403,
         others=404)),
    # Hand-offs: by the commander, a project manager or an admin.
    (("handoff", "incident", "post", I + "handoff/", HANDOFF),
     row(steward=201, engineer=403, project_manager=201, admin=201, rep=403, hub_admin=403,
         others=404)),
    (("acknowledge", "incident", "post", I + "acknowledge/", None),
     row(staff=200, rep=403, hub_admin=403, others=404)),
    (("escalate", "incident", "post", I + "escalate/", None),
     row(staff=200, rep=403, hub_admin=403, others=404)),
    (("resolve", "acknowledged", "post", I + "resolve/", RESOLVE_INCIDENT),
     row(staff=200, rep=403, hub_admin=403, others=404)),
    (("confirm", "resolved_incident", "post", I + "confirm/", None),
     row(staff=200, rep=200, hub_admin=403, others=404)),
    # Staff pass the role check and meet the rule: the report is not reviewed yet.
    (("close", "resolved_incident", "post", I + "close/", None),
     row(staff=409, rep=403, hub_admin=403, others=404)),
    # A draft report is the team's; the community reads it once published.
    (("report read", "reported_incident", "get", I + "report/", None),
     row(staff=200, rep=404, hub_admin=404, others=404)),
    (("report create", "resolved_incident", "post", I + "report/", None),
     row(staff=201, rep=403, hub_admin=403, others=404)),
]

OTHER_ACTIONS = [
    (("on duty", None, "get", "/api/v1/rotation/on-duty/", None),
     row(staff=200, rep=403, hub_admin=403, others=403)),
    (("schedule", None, "get", "/api/v1/rotation/schedule/", None),
     row(staff=200, rep=403, hub_admin=403, others=403)),
    (("communities", None, "get", "/api/v1/communities/", None),
     row(staff=200, rep=200, hub_admin=200, others=200)),
    (("budget", "community", "get", "/api/v1/communities/alpha/budget/", None),
     row(staff=200, rep=200, hub_admin=404, others=404)),
    (("hubs", None, "get", "/api/v1/hubs/", None),
     row(staff=200, rep=200, hub_admin=200, others=200, anonymous=200)),
    (("tokens", None, "get", "/api/v1/tokens/", None),
     row(staff=200, rep=200, hub_admin=200, others=200)),
    (("create token", None, "post", "/api/v1/tokens/", {"name": "laptop"}),
     row(staff=201, rep=201, hub_admin=201, others=201)),
]
# fmt: on


def _statuses(request, api, people, rotation, target, method, url, payload) -> dict:
    """Each role's status for one action on one object. Each role acts in a savepoint that is
    rolled back, so every role meets the object in the same state."""
    obj = request.getfixturevalue(target) if target else None
    if payload and payload.get("to_user") == "{dan}":
        payload = {**payload, "to_user": rotation[3].user.pk}
    statuses = {}
    for role in ROLES:
        with transaction.atomic():
            response = getattr(api(people[role]), method)(
                url.format(pk=getattr(obj, "pk", "")), payload, format="json"
            )
            transaction.set_rollback(True)
        assert response["Content-Type"] == "application/json", role
        statuses[role] = response.status_code
    return statuses


def _params(actions):
    return [
        pytest.param(target, method, url, payload, expected, id=name)
        for (name, target, method, url, payload), expected in actions
    ]


ARGS = ("target", "method", "url", "payload", "expected")


@pytest.mark.parametrize(ARGS, _params(REQUEST_ACTIONS))
def test_request_actions_by_role(
    request, api, people, rotation, clock, target, method, url, payload, expected
):
    assert _statuses(request, api, people, rotation, target, method, url, payload) == expected


@pytest.mark.parametrize(ARGS, _params(INCIDENT_ACTIONS))
def test_incident_actions_by_role(
    request, api, people, rotation, clock, target, method, url, payload, expected
):
    assert _statuses(request, api, people, rotation, target, method, url, payload) == expected


@pytest.mark.parametrize(ARGS, _params(OTHER_ACTIONS))
def test_rotation_community_hub_and_token_actions_by_role(
    request, api, people, rotation, clock, target, method, url, payload, expected
):
    assert _statuses(request, api, people, rotation, target, method, url, payload) == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("rep", 201),
        ("other_rep", 201),
        ("hub_admin", 403),
        ("steward", 403),
        ("outsider", 403),
        ("anonymous", 401),
    ],
)
def test_only_a_representative_submits_and_only_for_their_own_community(
    api, people, hub, other_hub, rotation, clock, role, expected
):
    own_hub = other_hub if role == "other_rep" else hub
    response = api(people[role]).post(
        "/api/v1/requests/",
        {"hub": own_hub.pk, "subject": "Help", "description": "Please."},
        format="json",
    )
    assert response.status_code == expected, response.json()
    if expected == 201:
        assert response.json()["community"]["id"] == own_hub.community_id


def test_a_representative_cannot_submit_for_another_communitys_hub(api, rep, other_hub, clock):
    response = api(rep).post(
        "/api/v1/requests/",
        {"hub": other_hub.pk, "subject": "Help", "description": "Please."},
        format="json",
    )
    assert response.status_code == 400
    assert "hub" in response.json()["errors"]
