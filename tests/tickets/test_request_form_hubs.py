"""The new-request form lists its community's active hubs from one plain query (issue 21: the
field read them a second time, through a server-side cursor), preselects a lone hub, and still
refuses a hub that is not the community's."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import HubFactory

pytestmark = pytest.mark.django_db

NEW = reverse("tickets:new")


def _hub_options(html: str) -> list[tuple[str, bool, str]]:
    select = re.search(r'<select name="hub"[^>]*>(.*?)</select>', html, re.S).group(1)
    return [
        (value, bool(selected), label)
        for value, selected, label in re.findall(
            r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select
        )
    ]


def test_a_lone_hub_is_chosen_and_the_hubs_are_read_once(client, rep, hub, other_hub):
    client.force_login(rep)
    client.get(NEW)  # warm
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(NEW).content.decode()
    assert _hub_options(html) == [("", False, "Choose a hub"), (str(hub.pk), True, "Alpha Hub")]
    hub_reads = [q["sql"] for q in ctx.captured_queries if 'FROM "communities_hub"' in q["sql"]]
    assert len(hub_reads) == 1
    assert not any(q["sql"].lstrip().upper().startswith("DECLARE") for q in ctx.captured_queries)


def test_several_hubs_are_listed_by_name_and_none_is_chosen(client, rep, hub, community):
    HubFactory(community=community, name="Zeta Hub", slug="zeta")
    HubFactory(community=community, name="Aardvark Hub", slug="aardvark")
    HubFactory(community=community, name="Closed Hub", slug="closed", is_active=False)
    client.force_login(rep)
    options = _hub_options(client.get(NEW).content.decode())
    assert [(selected, label) for _, selected, label in options] == [
        (True, "Choose a hub"),  # no value yet: Django marks the empty choice
        (False, "Aardvark Hub"),
        (False, "Alpha Hub"),
        (False, "Zeta Hub"),
    ]


def test_another_communitys_hub_is_refused(client, rep, hub, other_hub):
    client.force_login(rep)
    token = re.search(
        r'name="submission_token" value="([^"]+)"', client.get(NEW).content.decode()
    ).group(1)
    response = client.post(
        NEW,
        {
            "hub": other_hub.pk,
            "subject": "Wrong hub",
            "description": "x",
            "affected_users": 0,
            "submission_token": token,
        },
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert _hub_options(response.content.decode())[1:] == [(str(hub.pk), False, "Alpha Hub")]
