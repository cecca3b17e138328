"""Issue 19: the status page at 500 communities. A compact grid grouped (and collapsible) by
community, hubs with problems first, a search box that works without JavaScript (GET ?q=),
still cached (a search reads the cached overview, never the database)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from availability.services.hub_status import hub_status_override_set
from communities.models import Hub
from tests.factories import CommunityFactory, HubFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def many_hubs(db, steward):
    communities = [
        CommunityFactory(name=name, slug=slug)
        for name, slug in [("Ártico Lab", "artico"), ("Beta Teaching", "beta"), ("Zeta", "zeta")]
    ]
    for community in communities:
        for n in range(3):
            HubFactory(
                community=community, name=f"{community.name} hub {n}", slug=f"{community.slug}-{n}"
            )
    broken = Hub.objects.get(slug="zeta-2")
    hub_status_override_set(hub=broken, by=steward, status=Hub.Status.OUTAGE, reason="Disk full.")
    return communities


def test_hubs_with_problems_come_first_and_their_community_opens(client, many_hubs):
    page = client.get("/status/").content.decode()
    problems = page.index('id="problems"')
    assert problems < page.index('id="hubs"')
    assert 'id="problem-zeta-2" data-status="outage"' in page
    # The community with the problem is listed first, even though Z sorts last.
    groups = re.findall(r'<details class="community-group" id="community-([\w-]+)"', page)
    assert groups[0] == "zeta"
    assert sorted(groups[1:]) == ["artico", "beta"]


def test_groups_are_closed_beyond_a_few_dozen_hubs_except_those_with_problems(
    client, many_hubs, monkeypatch
):
    monkeypatch.setattr("availability.views.OPEN_ALL_UP_TO", 5)
    page = client.get("/status/").content.decode()
    opened = re.findall(
        r'<details class="community-group" id="community-([\w-]+)"[^>]*\bopen\b', page
    )
    assert opened == ["zeta"]


def test_search_without_javascript_finds_hubs_ignoring_case_and_accents(client, many_hubs):
    page = client.get("/status/", {"q": "artico"}).content.decode()
    assert 'id="community-artico"' in page and 'id="community-beta"' not in page
    assert 'value="artico"' in page
    hub = client.get("/status/", {"q": "BETA TEACHING HUB 1"}).content.decode()
    assert 'id="hub-beta-1"' in hub and 'id="hub-beta-0"' not in hub
    nothing = client.get("/status/", {"q": "<script>"}).content.decode()
    assert "No hub or community matches “&lt;script&gt;”." in nothing


def test_a_search_costs_a_few_queries_whatever_the_number_of_hubs(client, many_hubs):
    def queries_for_search():
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/status/", {"q": "zeta"})
        assert response.status_code == 200
        return len(queries)

    queries_for_search()  # settings and reference data cached from here on
    few = queries_for_search()
    for n in range(20):
        HubFactory(community=many_hubs[0], name=f"More {n}", slug=f"more-{n}")
    assert queries_for_search() == few <= 7


def test_the_status_page_is_cached_per_language(client, many_hubs):
    spanish = client.get("/status/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    english = client.get("/status/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Hubs con problemas" in spanish
    assert "Hubs with problems" in english and "Hubs con problemas" not in english
