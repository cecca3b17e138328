"""/api/v1/communities/ and their budgets; /api/v1/hubs/ with their current status; members of a
deactivated community lose access."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communities.models import Community, Hub
from tests.factories import CommunityFactory, HubFactory, SupportBudgetFactory
from tickets import services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_throttles", "no_static_scan")]


def test_staff_list_every_community_with_its_hubs(api, steward, hub, other_hub):
    body = api(steward).get("/api/v1/communities/").json()
    assert [c["slug"] for c in body["results"]] == ["alpha", "beta"]
    assert [h["slug"] for h in body["results"][0]["hubs"]] == ["alpha-hub"]


def test_members_list_their_own_communities_and_outsiders_none(
    api, rep, hub_admin, outsider, hub, other_hub
):
    assert [c["slug"] for c in api(rep).get("/api/v1/communities/").json()["results"]] == ["alpha"]
    assert api(hub_admin).get("/api/v1/communities/").json()["count"] == 1
    assert api(outsider).get("/api/v1/communities/").json()["count"] == 0


def test_budget_shows_hours_used_and_remaining(api, rep, steward, triaged, community, clock):
    SupportBudgetFactory(community=community, month="2026-03-01", hours=Decimal("4"))
    services.request_log_time(support_request=triaged, by=steward, minutes=90)
    body = api(rep).get("/api/v1/communities/alpha/budget/", {"month": "2026-03"}).json()
    assert body == {
        "community": "alpha",
        "month": "2026-03",
        "hours": "4.00",
        "used": "1.50",
        "remaining": "2.50",
        "percent_used": 38,
        "exhausted": False,
        "nearly_exhausted": False,
    }


def test_budget_defaults_to_the_current_month(api, steward, community, clock):
    assert api(steward).get("/api/v1/communities/alpha/budget/").json()["month"] == "2026-03"


def test_incident_work_never_draws_on_the_budget(api, steward, triaged, clock):
    services.request_triage(
        support_request=triaged, by=steward, category="incident", expected_version=triaged.version
    )
    services.request_log_time(support_request=triaged, by=steward, minutes=60)
    assert api(steward).get("/api/v1/communities/alpha/budget/").json()["used"] == "0.00"


@pytest.mark.parametrize("month", ["2026-13", "2026-3", "March", "0000-01", "10000-01"])
def test_a_bad_month_is_refused(api, steward, community, month):
    response = api(steward).get("/api/v1/communities/alpha/budget/", {"month": month})
    assert response.status_code == 400
    assert "month" in response.json()["errors"]


def test_another_communitys_budget_does_not_exist_for_a_representative(api, rep, other_community):
    assert api(rep).get("/api/v1/communities/beta/budget/").status_code == 404
    assert api(rep).get("/api/v1/communities/nowhere/budget/").status_code == 404


def test_hubs_are_public_with_their_current_status(api, hub, other_hub):
    Hub.objects.filter(pk=other_hub.pk).update(status="outage")
    Hub.objects.filter(pk=hub.pk).update(
        status="outage", status_override="maintenance", status_override_reason="Upgrade"
    )
    body = api().get("/api/v1/hubs/").json()
    statuses = {h["slug"]: (h["current_status"], h["status_note"]) for h in body["results"]}
    assert statuses == {"alpha-hub": ("maintenance", "Upgrade"), "beta-hub": ("outage", "")}


def test_hubs_filtered_by_community_and_inactive_ones_left_out(api, hub, other_hub, community):
    HubFactory(community=community, is_active=False)
    body = api().get("/api/v1/hubs/", {"community": "alpha"}).json()
    assert [h["slug"] for h in body["results"]] == ["alpha-hub"]
    assert api().get("/api/v1/hubs/", {"community": "not a slug!"}).status_code == 400


def test_hub_and_community_lists_cost_the_same_queries_for_3_or_25(
    api, steward, django_assert_num_queries
):
    client = api(steward)
    for _ in range(3):
        HubFactory(community=CommunityFactory())
    counts = {}
    for path in ("/api/v1/hubs/", "/api/v1/communities/"):
        with CaptureQueriesContext(connection) as few:
            client.get(path)
        counts[path] = len(few)
    for _ in range(22):
        HubFactory(community=CommunityFactory())
    for path, count in counts.items():
        with django_assert_num_queries(count):
            assert client.get(path).json()["count"] == 25


def test_members_of_a_deactivated_community_lose_read_access(api, rep, new_request, community):
    Community.objects.filter(pk=community.pk).update(is_active=False)
    assert api(rep).get(f"/api/v1/requests/{new_request.pk}/").status_code in (403, 404)
