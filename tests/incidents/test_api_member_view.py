"""What a community member sees of an incident through the API: the same public facts as the
pages, and no staff names on the public timeline."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_throttles", "no_static_scan")]


def test_verification_note_is_public_in_the_api_as_on_the_pages(api, rep, resolved_incident):
    body = api(rep).get(f"/api/v1/incidents/{resolved_incident.pk}/").json()
    assert body["verification_note"] == "Started a test server."
    assert body["internal"] is None


def test_public_timeline_entries_do_not_name_their_authors_to_community_members(
    api, rep, steward, resolved_incident
):
    url = f"/api/v1/incidents/{resolved_incident.pk}/timeline/"
    for_rep = api(rep).get(url).json()["results"]
    assert for_rep and all(entry["author"] is None for entry in for_rep)
    for_staff = api(steward).get(url).json()["results"]
    assert any(entry["author"] for entry in for_staff)
