"""The stewards' queue: nearest deadline first, filters, search, pagination, and a query count
that does not grow with the page."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from slo.services import calendar_for, refresh_request_deadlines
from tests.factories import CommunityFactory, HubFactory, representative
from tests.tickets.conftest import at
from tickets import services
from tickets.models import SupportRequest
from tickets.priority import RANK_LABELS

pytestmark = pytest.mark.django_db

QUEUE = reverse("tickets:queue")


def pks(response) -> list[int]:
    return [r.pk for r in response.context["rows"]]


def bulk_requests(n: int, *, communities, requester_for, assignees, start: datetime.datetime):
    """n requests spread over communities and assignees, with deadlines from the engine, in a
    handful of queries (the behaviour is tested elsewhere; this is volume)."""
    calendars = {c.pk: calendar_for(timezone_name=c.timezone) for c in communities}
    rows = []
    for i in range(n):
        community = communities[i % len(communities)]
        r = SupportRequest(
            community=community,
            hub=community.hubs.first(),
            requester=requester_for[community.pk],
            subject=f"Bulk {i}",
            description="x",
            assignee=assignees[i % len(assignees)],
            received_at=start - datetime.timedelta(minutes=7 * i),
        )
        r.community = community
        refresh_request_deadlines(r, calendar=calendars[community.pk])
        rows.append(r)
    SupportRequest.objects.bulk_create(rows)


@pytest.fixture
def desk(client, steward):
    client.force_login(steward)
    return client


def test_queue_orders_by_the_nearest_deadline(submit, steward, desk, clock):
    clock.move_to(at(12, 10))  # Thursday: triage due Thursday 18:00, overdue by Friday evening
    early = submit(subject="Early")
    clock.move_to(at(13, 20))
    late = submit(subject="Late")
    answered = submit(subject="Answered")
    answered = services.request_triage(
        support_request=answered, by=steward, category="change", expected_version=1
    )
    services.request_reply(support_request=answered, by=steward, body="On it")
    response = desk.get(QUEUE)
    assert pks(response) == [early.pk, late.pk, answered.pk]
    rows = response.context["rows"]
    assert rows[0].due_state == "overdue" and rows[0].due_text.startswith("overdue by")
    assert rows[0].due_label == "Triage"
    assert rows[1].due_text == "8 h left" and rows[1].due_state == ""
    assert rows[2].due_text == ""  # answered: nothing pending
    assert 'class="due-overdue"' in response.text


def test_queue_shows_category_community_hub_assignee_rank_and_time_left(submit, desk):
    r = submit(cannot_log_in=True, affected_users=5)
    page = desk.get(QUEUE).text
    row = page[page.index(f'id="request-{r.pk}"') :]
    row = row[: row.index("</tr>")]
    for text in ["SD-", "Alpha Research", "Alpha Hub", "Not yet triaged", "New", "Likely incident"]:
        assert text in row
    assert str(r.assignee) in row and "8 h left" in row
    assert f'title="{RANK_LABELS[r.priority_rank]}"' in row
    # The link and the numbers are written from one reverse() and str() (tickets.views.queue).
    assert f'<a href="{reverse("tickets:desk_request", args=[r.pk])}"><strong>{r.reference}' in row
    assert f'<input type="hidden" name="page_ids" value="{r.pk}" form="bulk-form">' in row
    assert f'">{r.priority_rank} <span class="rank-factor">' in row


def test_default_queue_shows_open_requests_and_state_filter_shows_others(resolved, submit, desk):
    fresh = submit(subject="Fresh")
    assert pks(desk.get(QUEUE)) == [fresh.pk]
    assert pks(desk.get(QUEUE, {"state": "resolved"})) == [resolved.pk]
    assert set(pks(desk.get(QUEUE, {"state": "all"}))) == {fresh.pk, resolved.pk}


def test_category_and_likely_incident_filters(triaged, submit, desk):
    untriaged = submit(cannot_run_code=True, affected_users=9)
    assert pks(desk.get(QUEUE, {"category": "change"})) == [triaged.pk]
    assert pks(desk.get(QUEUE, {"category": "untriaged"})) == [untriaged.pk]
    assert pks(desk.get(QUEUE, {"likely_incident": "true"})) == [untriaged.pk]


def test_community_and_assignee_filters(
    submit, other_community, other_hub, steward, engineer, desk
):
    mine = submit()
    other_rep = representative(other_community, username="rep_other")
    theirs = services.request_submit(
        requester=other_rep, hub=other_hub, subject="Theirs", description="x"
    )
    SupportRequest.objects.filter(pk=mine.pk).update(assignee=engineer)
    SupportRequest.objects.filter(pk=theirs.pk).update(assignee=None)
    assert pks(desk.get(QUEUE, {"community": other_community.pk})) == [theirs.pk]
    assert pks(desk.get(QUEUE, {"assignee": engineer.pk})) == [mine.pk]
    assert pks(desk.get(QUEUE, {"assignee": "null"})) == [theirs.pk]


def test_due_within_four_working_hours_and_overdue_filters(submit, desk, clock):
    clock.move_to(at(12, 10))
    overdue = submit(subject="Overdue")  # triage due Thursday 18:00
    clock.move_to(at(13, 13))
    soon = submit(subject="Soon")  # triage due Friday 21:00
    clock.move_to(at(13, 20))
    later = submit(subject="Later")  # triage due Monday 04:00: 8 working hours away
    assert pks(desk.get(QUEUE, {"due": "overdue"})) == [overdue.pk]
    assert pks(desk.get(QUEUE, {"due": "soon"})) == [soon.pk]
    assert later.pk not in pks(desk.get(QUEUE, {"due": "soon"}))


def test_due_soon_counts_working_hours_over_the_weekend(submit, desk, clock):
    clock.move_to(at(13, 16, 30))
    monday = submit(subject="Monday")  # triage due Monday 00:30
    assert monday.triage_due_at == at(16, 0, 30)
    clock.move_to(at(13, 21))
    # 3 working hours left on Friday and half an hour on Monday: within 4 working hours,
    # although more than two days away on the wall clock.
    assert pks(desk.get(QUEUE, {"due": "soon"})) == [monday.pk]


def test_search_by_reference_and_by_words(submit, desk):
    kernel = submit(subject="Kernel dies")
    quota = submit(subject="Storage quota", description="Home directories are full")
    assert pks(desk.get(QUEUE, {"q": f"SD-{quota.pk}"})) == [quota.pk]
    assert pks(desk.get(QUEUE, {"q": "home DIRECTORIES"})) == [quota.pk]
    assert pks(desk.get(QUEUE, {"q": "kernel"})) == [kernel.pk]


def test_pagination_keeps_the_filters(submit, desk):
    for i in range(12):
        submit(subject=f"Request {i}")
    first = desk.get(QUEUE, {"per_page": 10, "q": "Request"})
    assert len(pks(first)) == 10
    assert "per_page=10&amp;q=Request&amp;page=2" in first.text
    second = desk.get(QUEUE, {"per_page": 10, "q": "Request", "page": 2})
    assert len(pks(second)) == 2
    assert desk.get(QUEUE, {"page": "not-a-number"}).status_code == 200


def test_queue_query_count_does_not_grow_with_the_page(
    rep,
    hub,
    other_rep,
    other_hub,
    other_community,
    steward,
    engineer,
    desk,
    clock,
    django_assert_num_queries,
):
    other_community.timezone = "America/New_York"
    other_community.save()
    far = CommunityFactory(name="Gamma", slug="gamma", timezone="Asia/Tokyo")
    HubFactory(community=far)
    far_rep = representative(far, username="rep_g")
    communities = [hub.community, other_community, far]
    requesters = {hub.community.pk: rep, other_community.pk: other_rep, far.pk: far_rep}
    kwargs = {
        "communities": communities,
        "requester_for": requesters,
        "assignees": [steward, engineer, None],
        "start": at(13, 19),
    }
    bulk_requests(5, **kwargs)
    SupportRequest.objects.filter(pk=SupportRequest.objects.first().pk).update(category="incident")
    plain, due_soon = {"per_page": 50}, {"per_page": 10, "page": 3, "due": "soon"}
    desk.get(QUEUE)  # settle one-off rows (settings singletons) before counting
    with CaptureQueriesContext(connection) as small:
        response = desk.get(QUEUE, plain)
    assert len(pks(response)) == 5
    with CaptureQueriesContext(connection) as small_filtered:
        desk.get(QUEUE, due_soon)
    bulk_requests(25, **kwargs)
    with django_assert_num_queries(len(small.captured_queries)):
        response = desk.get(QUEUE, plain)
    assert len(pks(response)) == 30
    with django_assert_num_queries(len(small_filtered.captured_queries)):
        desk.get(QUEUE, due_soon)


def test_a_very_long_queue_is_counted_only_up_to_the_cap(submit, desk, clock, monkeypatch):
    """Counting every open request is the one cost that grows with the desk: past the cap the
    queue says "more than" and counts through a LIMIT."""
    from supportdesk import pagination

    for i in range(4):
        clock.move_to(at(12, 10 + i))
        submit(subject=f"Request {i}")
    monkeypatch.setattr(pagination, "DEFAULT_CAP", 3)
    with CaptureQueriesContext(connection) as ctx:
        response = desk.get(QUEUE, {"per_page": 10})
    assert "More than 3 requests" in response.content.decode()
    assert len(pks(response)) == 3, "the pages reach the first 3"
    count_sql = next(q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"])
    assert "LIMIT 4" in count_sql

    monkeypatch.setattr(pagination, "DEFAULT_CAP", 10)
    response = desk.get(QUEUE, {"per_page": 10})
    assert "4 requests," in response.content.decode()


def test_the_capped_paginator_pages_up_to_the_cap(db, community):
    from supportdesk.pagination import CappedPaginator

    HubFactory.create_batch(7, community=community)
    paginator = CappedPaginator(community.hubs.order_by("pk"), 2, cap=5)
    assert (paginator.count, paginator.capped, paginator.num_pages) == (5, True, 3)
    last = paginator.page(3)
    assert len(last.object_list) == 1 and not last.has_next()
    exact = CappedPaginator(community.hubs.order_by("pk"), 2, cap=10)
    assert (exact.count, exact.capped) == (7, False)


def test_the_last_page_of_a_capped_queue_says_to_narrow_the_filters(
    submit, desk, clock, monkeypatch
):
    from supportdesk import pagination

    for i in range(12):
        clock.move_to(at(12, 8) + datetime.timedelta(minutes=10 * i))
        submit(subject=f"Request {i}")
    monkeypatch.setattr(pagination, "DEFAULT_CAP", 11)
    first = desk.get(QUEUE, {"per_page": 10}).content.decode()
    assert "More than 11 requests" in first
    assert "Page 1 of 2 or more" in first
    assert "narrow the filters" not in first
    last = desk.get(QUEUE, {"per_page": 10, "page": 2})
    assert len(pks(last)) == 1
    assert "Page 2 of 2 or more" in last.content.decode()
    assert "The pages stop here: narrow the filters to see the rest." in last.content.decode()
