"""The queue's two staff <select>s (assignee filter, bulk assignment) share one plain query, and
the bulk fields, rendered once per language and staff list, follow every change to that list."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("tickets:queue")


def _options(html: str, select_id: str) -> list[str]:
    select = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert select, select_id
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))


def test_the_staff_are_read_once_and_without_a_server_side_cursor(client, steward, new_request):
    client.force_login(steward)
    client.get(QUEUE)  # warm: the session, the reference data
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(QUEUE)
    assert response.status_code == 200
    staff_lists = [
        q["sql"]
        for q in ctx.captured_queries
        if "ORDER BY" in q["sql"] and 'FROM "accounts_user"' in q["sql"]
    ]
    assert len(staff_lists) == 1
    assert not any(q["sql"].lstrip().upper().startswith("DECLARE") for q in ctx.captured_queries)


def test_both_selects_list_the_active_staff_and_follow_changes(
    client, steward, rotation, new_request
):
    client.force_login(steward)
    html = client.get(QUEUE).content.decode()
    names = sorted(e.user.display_name for e in rotation)
    assert _options(html, "id_assignee") == ["Anyone", "Unassigned", *names]
    assert _options(html, "bulk_assignee") == ["Choose…", *names]

    StaffFactory(username="zed", first_name="Zed", last_name="New")
    gone = rotation[1].user
    gone.is_active = False
    gone.save()
    html = client.get(QUEUE).content.decode()
    names = sorted({*names, "Zed New"} - {gone.display_name})
    assert _options(html, "id_assignee") == ["Anyone", "Unassigned", *names]
    assert _options(html, "bulk_assignee") == ["Choose…", *names]


def test_the_bulk_fields_are_in_the_stewards_language(client, steward, new_request):
    client.force_login(steward)
    english = client.get(QUEUE).content.decode()
    steward.language = "es"
    steward.save()
    spanish = client.get(QUEUE).content.decode()
    assert _options(english, "bulk_category")[1:] == [
        "Incident",
        "Change request",
        "Guidance request",
    ]
    assert "Solicitud de cambio" in _options(spanish, "bulk_category")


def test_a_filtered_assignee_stays_selected(client, steward):
    client.force_login(steward)
    html = client.get(QUEUE, {"assignee": steward.pk}).content.decode()
    assert f'<option value="{steward.pk}" selected>' in html
    html = client.get(QUEUE, {"assignee": "null"}).content.decode()
    assert '<option value="null" selected>' in html
