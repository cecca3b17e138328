"""Two stewards on one request: a stale edit is refused (ConcurrentEdit), the page says so and
keeps what the steward typed, and nothing either of them did is lost."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.urls import reverse

from supportdesk.errors import ConcurrentEdit
from tests.factories import StaffFactory
from tickets import services
from tickets.models import Message, SupportRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(db):
    return StaffFactory(username="bea", first_name="Bea", last_name="Eng")


def test_stale_triage_is_refused_and_the_first_edit_survives(triaged, steward, colleague):
    loaded = triaged.version
    services.request_triage(
        support_request=triaged, by=colleague, category="guidance", expected_version=loaded
    )
    with pytest.raises(ConcurrentEdit):
        services.request_triage(
            support_request=triaged, by=steward, category="incident", expected_version=loaded
        )
    triaged.refresh_from_db()
    assert triaged.category == "guidance" and triaged.version == loaded + 1


@pytest.mark.parametrize(
    ("service", "kwargs"),
    [
        (services.request_set_priority, {"has_dedicated_funding": True}),
        (services.request_resolve, {"body": "Fixed"}),
        (services.request_link_issue, {"url": "https://x.org/1"}),
        (services.request_close, {}),
        (services.request_reply, {"body": "Hello"}),
    ],
)
def test_every_versioned_action_refuses_a_stale_version(answered, steward, service, kwargs):
    before = (answered.version, answered.status, answered.messages.count())
    with pytest.raises(ConcurrentEdit):
        service(
            support_request=answered, by=steward, expected_version=answered.version - 1, **kwargs
        )
    answered.refresh_from_db()
    assert (answered.version, answered.status, answered.messages.count()) == before


def test_notes_from_two_stewards_both_land(triaged, steward, colleague):
    services.request_add_note(support_request=triaged, by=steward, body="First")
    services.request_add_note(support_request=triaged, by=colleague, body="Second")
    assert list(triaged.messages.values_list("body", flat=True)) == ["First", "Second"]


def test_stale_triage_form_shows_the_conflict_and_keeps_the_choice(
    triaged, steward, colleague, client
):
    loaded = triaged.version
    services.request_triage(
        support_request=triaged, by=colleague, category="guidance", expected_version=loaded
    )
    client.force_login(steward)
    url = reverse("tickets:desk_triage", args=[triaged.pk])
    response = client.post(url, {"triage-category": "incident", "triage-version": loaded})
    assert response.status_code == 409
    assert "changed by someone else" in response.text
    form = response.context["forms"]["triage"]
    assert form["category"].value() == "incident"  # the steward's choice is kept
    assert int(form["version"].value()) == loaded + 1  # re-based on what is stored now
    triaged.refresh_from_db()
    assert triaged.category == "guidance"
    # Submitting again, knowingly, applies it.
    again = client.post(url, {"triage-category": "incident", "triage-version": loaded + 1})
    assert again.status_code == 302
    triaged.refresh_from_db()
    assert triaged.category == "incident"


def test_stale_reply_keeps_the_text_and_shows_the_colleagues_reply(
    triaged, steward, colleague, client
):
    loaded = triaged.version
    services.request_reply(
        support_request=triaged, by=colleague, body="Bea's answer", expected_version=loaded
    )
    client.force_login(steward)
    response = client.post(
        reverse("tickets:desk_reply", args=[triaged.pk]),
        {"reply-body": "My carefully written answer", "reply-version": loaded},
    )
    assert response.status_code == 409
    assert "My carefully written answer" in response.text  # in the textarea
    assert "Bea&#x27;s answer" in response.text  # the colleague's reply is on the page
    assert not Message.objects.filter(body="My carefully written answer").exists()


def test_stale_resolution_keeps_the_message(answered, steward, colleague, client):
    loaded = answered.version
    services.request_set_priority(
        support_request=answered, by=colleague, aligns_with_team_goals=True, expected_version=loaded
    )
    client.force_login(steward)
    response = client.post(
        reverse("tickets:desk_resolve", args=[answered.pk]),
        {"resolve-body": "Rebuilt the image", "resolve-version": loaded},
    )
    assert response.status_code == 409 and "Rebuilt the image" in response.text
    answered.refresh_from_db()
    assert answered.status == SupportRequest.Status.TRIAGED and answered.aligns_with_team_goals


@pytest.mark.django_db(transaction=True)
def test_racing_triages_on_postgresql_one_wins_one_is_told(postgres, triaged, steward, colleague):
    """Real row locks: two threads triage from the same version at the same time."""
    loaded = triaged.version
    barrier = threading.Barrier(2)
    outcomes = {}

    def triage(user, category):
        try:
            barrier.wait(timeout=5)
            services.request_triage(
                support_request=triaged, by=user, category=category, expected_version=loaded
            )
            outcomes[category] = "ok"
        except ConcurrentEdit:
            outcomes[category] = "conflict"
        finally:
            connection.close()  # this thread's own connection

    threads = [
        threading.Thread(target=triage, args=(steward, "guidance")),
        threading.Thread(target=triage, args=(colleague, "incident")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(outcomes.values()) == ["conflict", "ok"]
    triaged.refresh_from_db()
    winner = next(category for category, outcome in outcomes.items() if outcome == "ok")
    assert triaged.category == winner and triaged.version == loaded + 1


def test_a_reply_locks_the_request_alone_reusing_the_rows_the_view_loaded(triaged, steward, client):
    # The view has just loaded the request with its community, hub and people (scope check):
    # the locked load is a primary-key lookup, not that 5-way join again.
    from django.test.utils import CaptureQueriesContext

    client.force_login(steward)
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(
            reverse("tickets:desk_reply", args=[triaged.pk]), {"reply-body": "On it."}
        )
    assert response.status_code == 302
    locking = [q["sql"] for q in ctx.captured_queries if "FOR UPDATE" in q["sql"]]
    assert len(locking) == 1 and "JOIN" not in locking[0]
    assert Message.objects.filter(request=triaged, body="On it.").exists()


def test_the_locked_row_reads_a_relation_changed_since_the_view_loaded_it(
    triaged, steward, colleague
):
    from tickets import selectors

    loaded = selectors.request_get_for(user=steward, pk=triaged.pk)
    assert loaded.assignee_id != colleague.pk
    SupportRequest.objects.filter(pk=triaged.pk).update(assignee=colleague)
    locked = services._lock(loaded)
    assert locked.assignee == colleague
    assert locked.community is loaded.community  # unchanged: the view's copy is reused
    # Any other instance (held by a task, a sweep) has its related rows read afresh.
    assert services._lock(triaged).community is not triaged.community
