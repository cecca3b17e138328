"""The queue's community filter is a search box, not a <select> of every community: the server
resolves an id, a slug or a name (or the only name containing the text), and a JSON endpoint
suggests names as the steward types (static/js/lookup.js)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import CommunityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_requests(submit, other_rep, other_hub, rotation, clock):
    from tickets import services

    mine = submit(subject="Alpha's problem")
    theirs = services.request_submit(
        requester=other_rep, hub=other_hub, subject="Beta's problem", description="x"
    )
    return mine, theirs


def _queue(client, **params):
    response = client.get(reverse("tickets:queue"), params)
    assert response.status_code == 200
    return response


def test_the_queue_offers_a_search_box_not_every_community(steward, community, client):
    CommunityFactory.create_batch(30)
    client.force_login(steward)
    page = _queue(client).content.decode()
    assert '<select name="community"' not in page
    assert 'name="community"' in page and 'list="community-options"' in page
    assert f'data-lookup="{reverse("tickets:community_lookup")}"' in page
    assert '<datalist id="community-options"></datalist>' in page
    assert "js/lookup.js" in page


@pytest.mark.parametrize("typed", ["{pk}", "alpha", "ALPHA", "Alpha Research", "alpha res"])
def test_a_community_is_found_by_id_slug_or_name(typed, two_requests, steward, community, client):
    mine, _theirs = two_requests
    client.force_login(steward)
    response = _queue(client, community=typed.format(pk=community.pk))
    assert [r.pk for r in response.context["rows"]] == [mine.pk]
    # The box shows the community's name, whatever was typed.
    assert 'value="Alpha Research"' in response.content.decode()


def test_text_matching_no_single_community_is_a_form_error(two_requests, steward, client):
    client.force_login(steward)
    for typed in ("nowhere", "a"):  # "a": both Alpha and Beta contain it
        page = _queue(client, community=typed).content.decode()
        assert "No single community matches" in page


def test_the_lookup_suggests_names_for_staff_only(steward, rep, community, other_community, client):
    url = reverse("tickets:community_lookup")
    client.force_login(steward)
    data = client.get(url, {"q": "alp"}).json()
    assert data == {"results": [{"id": community.pk, "slug": "alpha", "name": "Alpha Research"}]}
    assert len(client.get(url).json()["results"]) == 2
    CommunityFactory.create_batch(25)
    assert len(client.get(url).json()["results"]) == 20
    client.force_login(rep)
    assert client.get(url, {"q": "alp"}).status_code == 403
    client.logout()
    assert client.get(url, {"q": "alp"}).status_code == 302


def test_representatives_keep_their_short_list(rep, community, client):
    client.force_login(rep)
    page = client.get(reverse("tickets:my_requests")).content.decode()
    assert "community-options" not in page
