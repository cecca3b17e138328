"""The staff "My nudges" page."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from notifications.services import notify

pytestmark = pytest.mark.django_db

URL = reverse("notifications:my_nudges")
READ_URL = reverse("notifications:mark_all_read")


def nudge(user, n: int, kind: str = "slo_near") -> Notification:
    return notify(
        key=f"test:{user.pk}:{n}",
        kind=kind,
        subject=f"[SD-{n}] Triage due soon",
        body="Body",
        user=user,
        url=f"/desk/requests/{n}/",
    )


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("outsider", 403), ("rep", 403), ("steward", 200), ("pm", 200)],
)
def test_only_staff_see_their_nudges(client, who, status, outsider, rep, steward, project_manager):
    user = {"outsider": outsider, "rep": rep, "steward": steward, "pm": project_manager}.get(who)
    if user is not None:
        client.force_login(user)
    response = client.get(URL)
    assert response.status_code == status
    if who == "anonymous":
        assert response.url.startswith(reverse("login"))
    post = client.post(READ_URL)
    assert post.status_code == (302 if who in ("anonymous", "steward", "pm") else 403)


def test_the_list_shows_my_nudges_newest_first_and_not_colleagues(client, steward, engineer):
    nudge(steward, 1)
    nudge(steward, 2, kind="slo_breach")
    nudge(engineer, 3)
    client.force_login(steward)
    response = client.get(URL)
    html = response.content.decode()
    assert "[SD-2] Triage due soon" in html and "[SD-1] Triage due soon" in html
    assert "[SD-3]" not in html
    assert html.index("[SD-2]") < html.index("[SD-1]")
    assert "Deadline missed" in html and 'href="/desk/requests/2/"' in html
    assert "2 unread" in html


def test_mark_all_read_marks_only_mine(client, steward, engineer):
    nudge(steward, 1)
    nudge(steward, 2)
    nudge(engineer, 3)
    client.force_login(steward)
    response = client.post(READ_URL, follow=True)
    assert "Marked 2 as read." in response.content.decode()
    assert not Notification.objects.filter(recipient=steward, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=engineer, read_at__isnull=True).count() == 1
    assert "All read" in client.get(URL).content.decode()


def test_the_page_costs_the_same_queries_for_5_or_60_nudges(
    client, steward, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(steward)
    for n in range(5):
        nudge(steward, n)
    client.get(URL)  # warm-up: session, settings rows
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    Notification.objects.bulk_create(
        [
            Notification(
                key=f"bulk:{n}",
                kind="slo_near",
                recipient=steward,
                recipient_email=steward.email,
                subject=f"Bulk {n}",
                body="B",
                created_at=timezone.now(),
            )
            for n in range(55)
        ]
    )
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    assert len(many) == len(few)
    assert "Page 1 of 2" in response.content.decode()
    with django_assert_max_num_queries(len(few)):
        assert client.get(URL, {"page": 2}).status_code == 200
