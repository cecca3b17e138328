"""Every aria-describedby / aria-labelledby on the main pages names an element that exists
(issue 19: Django points inputs at "<id>_helptext", which our field partials did not render)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

REFERENCE = re.compile(r'aria-(?:describedby|labelledby)="([^"]+)"')
ID = re.compile(r'\sid="([^"]+)"')


def _dangling(html: str) -> set[str]:
    ids = set(ID.findall(html))
    named = {name for value in REFERENCE.findall(html) for name in value.split()}
    return named - ids


@pytest.mark.parametrize(
    "path",
    ["/requests/new/", "/requests/", "/accounts/profile/", "/accounts/tokens/", "/status/"],
)
def test_representative_pages_reference_only_existing_ids(client, rep, hub, path):
    client.force_login(rep)
    response = client.get(path)
    assert response.status_code == 200
    assert _dangling(response.content.decode()) == set()


@pytest.mark.parametrize(
    "path",
    ["/incidents/declare/", "/maintenance/", "/desk/", "/invitations/", "/accounts/profile/"],
)
def test_steward_pages_reference_only_existing_ids(client, steward, hub, path):
    client.force_login(steward)
    response = client.get(path)
    assert response.status_code == 200
    assert _dangling(response.content.decode()) == set()


def test_a_submitted_request_page_references_only_existing_ids(client, rep, hub):
    client.force_login(rep)
    response = client.post(
        "/requests/new/",
        {"hub": hub.pk, "subject": "Kernel dies", "description": "x", "affected_users": 0},
    )
    detail = client.get(response["Location"].replace("received/", ""))
    assert _dangling(detail.content.decode()) == set()
