"""Bulk actions on the queue's ticked rows (assign, categorise, priority factors, close as a
duplicate): each row through the single-request service, a result per row, staff only; and the
project manager's planning view."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import representative
from tickets import bulk, services
from tickets.models import Message, RequestEvent, SupportRequest

pytestmark = pytest.mark.django_db

BULK = reverse("tickets:queue_bulk")
QUEUE = reverse("tickets:queue")
PLANNING = reverse("tickets:planning")


@pytest.fixture
def desk(client, steward):
    client.force_login(steward)
    return client


def results(response) -> dict[int, tuple[bool, str]]:
    return {row.pk: (row.ok, row.message) for row in response.context["results"]}


def test_the_queue_has_a_labelled_checkbox_per_row_and_a_select_all(submit, desk):
    r = submit()
    page = desk.get(QUEUE).text
    assert f'id="select-{r.pk}" form="bulk-form"' in page
    assert (
        f'<label for="select-{r.pk}" class="visually-hidden">Select {r.reference}</label>' in page
    )
    assert '<label for="id_all_on_page">Select every request on this page</label>' in page
    assert f'action="{BULK}"' in page
    assert "<script>" not in page and "onclick" not in page


def test_bulk_assign_three_requests_with_a_result_each(submit, desk, engineer, steward):
    rows = [submit(subject=f"R{i}") for i in range(3)]
    closed = submit(subject="Closed")
    SupportRequest.objects.filter(pk=closed.pk).update(
        status="closed",
        category="change",
        triaged_at=closed.received_at,
        resolved_at=closed.received_at,
        closed_at=closed.received_at,
    )
    response = desk.post(
        BULK,
        {
            "ids": [r.pk for r in rows] + [closed.pk],
            "action": "assign",
            "assignee": engineer.pk,
            "back": "sort=rank&page=3",
        },
    )
    assert response.status_code == 200
    got = results(response)
    for r in rows:
        assert got[r.pk] == (True, f"Assigned to {engineer}.")
        r.refresh_from_db()
        assert r.assignee == engineer and r.status == "new"  # assigned, not triaged
        assert r.events.filter(kind=RequestEvent.Kind.ASSIGNED).exists()
    assert got[closed.pk][0] is False and "closed" in got[closed.pk][1]
    assert "3 done, 1 refused" in response.text
    assert f'href="{QUEUE}?sort=rank"' in response.text  # back to the same queue, page 1


def test_select_all_without_javascript_sends_the_page_rows(submit, desk, engineer):
    rows = [submit(subject=f"R{i}") for i in range(2)]
    response = desk.post(
        BULK,
        {
            "page_ids": [r.pk for r in rows],
            "all_on_page": "on",
            "action": "assign",
            "assignee": engineer.pk,
        },
    )
    assert set(results(response)) == {r.pk for r in rows}


def test_page_rows_alone_select_nothing(submit, desk, engineer):
    r = submit()
    version = r.version
    response = desk.post(BULK, {"page_ids": [r.pk], "action": "assign", "assignee": engineer.pk})
    assert response.status_code == 400
    assert "Tick at least one request." in response.text
    r.refresh_from_db()
    assert r.version == version


def test_bulk_categorise_goes_through_triage(submit, desk):
    a, b = submit(), submit()
    response = desk.post(
        BULK, {"ids": [a.pk, b.pk], "action": "categorise", "category": "guidance"}
    )
    assert results(response)[a.pk] == (True, "Categorised: Guidance request.")
    for r in (a, b):
        r.refresh_from_db()
        assert (r.category, r.status) == ("guidance", "triaged")
        assert r.triaged_at is not None


def test_bulk_priority_sets_only_the_chosen_factors(triaged, submit, steward, desk):
    other = services.request_triage(
        support_request=submit(), by=steward, category="change", expected_version=1
    )
    SupportRequest.objects.filter(pk=other.pk).update(aligns_with_team_goals=True)
    response = desk.post(
        BULK,
        {
            "ids": [triaged.pk, other.pk],
            "action": "priority",
            "has_dedicated_funding": "yes",
            "aligns_with_team_goals": "",  # keep
        },
    )
    assert results(response)[triaged.pk] == (True, "Rank 1.")
    other.refresh_from_db()
    assert other.has_dedicated_funding and other.aligns_with_team_goals
    assert other.priority_rank == 1


def test_bulk_priority_needs_a_factor(triaged, desk):
    response = desk.post(BULK, {"ids": [triaged.pk], "action": "priority"})
    assert response.status_code == 400
    assert "Set at least one priority factor" in response.text


def test_close_as_duplicate_tells_the_representative_where_work_goes_on(
    triaged, submit, desk, other_community, other_hub
):
    dupe = submit(subject="Same again")  # new: takes the original's category
    other_rep = representative(other_community, username="rep_elsewhere")
    elsewhere = services.request_submit(
        requester=other_rep, hub=other_hub, subject="Elsewhere", description="x"
    )
    response = desk.post(
        BULK,
        {
            "ids": [dupe.pk, elsewhere.pk, triaged.pk],
            "action": "duplicate",
            "duplicate_of": triaged.reference.lower(),
        },
    )
    got = results(response)
    assert got[dupe.pk] == (True, f"Closed as a duplicate of {triaged.reference}.")
    assert got[elsewhere.pk][0] is False and "another community" in got[elsewhere.pk][1]
    assert got[triaged.pk] == (False, f"{triaged.reference} cannot be a duplicate of itself.")
    dupe.refresh_from_db()
    assert dupe.status == "closed" and dupe.duplicate_of_id == triaged.pk
    assert dupe.category == "change" and dupe.first_responded_at is not None
    note = dupe.messages.get()
    assert note.visibility == Message.Visibility.PUBLIC and triaged.reference in note.body
    elsewhere.refresh_from_db()
    assert elsewhere.status == "new"


def test_duplicate_of_an_unknown_request_is_a_form_error(submit, desk):
    r = submit()
    response = desk.post(BULK, {"ids": [r.pk], "action": "duplicate", "duplicate_of": "SD-999999"})
    assert response.status_code == 400
    assert "There is no request SD-999999." in response.text


@pytest.mark.parametrize(
    "data",
    [
        {"ids": ["x"], "action": "assign"},
        {"ids": [1], "action": "drop"},
        {"ids": [1], "action": "assign"},
        {"ids": [1], "action": "categorise", "category": "nonsense"},
    ],
)
def test_bad_input_is_a_400_never_a_500(desk, data):
    assert desk.post(BULK, data).status_code == 400


def test_a_representative_cannot_bulk_act_or_see_planning(client, rep, submit, engineer):
    r = submit()
    before = (r.assignee_id, r.version)
    client.force_login(rep)
    response = client.post(BULK, {"ids": [r.pk], "action": "assign", "assignee": engineer.pk})
    assert response.status_code == 403
    assert client.get(PLANNING).status_code == 403
    r.refresh_from_db()
    assert (r.assignee_id, r.version) == before


def test_anonymous_is_sent_to_log_in(client):
    assert client.post(BULK, {}).status_code == 302
    assert client.get(PLANNING).status_code == 302


def test_the_service_refuses_a_representative_and_unknown_rows(rep, submit, steward):
    r = submit()
    from supportdesk.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        bulk.bulk_apply(by=rep, ids=[r.pk], action="assign", params={"assignee": steward})
    rows = bulk.bulk_apply(
        by=steward, ids=[r.pk, 10**9], action="assign", params={"assignee": steward}
    )
    assert [row.ok for row in rows] == [True, False]
    assert rows[1].message == "No such request."


def test_planning_lists_planned_change_and_guidance_by_rank_with_budget_use(
    submit, steward, desk, project_manager, client
):
    def planned(subject, **factors):
        r = services.request_triage(
            support_request=submit(subject=subject),
            by=steward,
            category="change",
            expected_version=1,
        )
        if factors:
            r = services.request_set_priority(
                support_request=r, by=steward, expected_version=r.version, **factors
            )
        return services.request_link_issue(
            support_request=r,
            by=steward,
            url="https://github.com/org/repo/issues/1",
            send_canned=False,
            expected_version=r.version,
        )

    low = planned("Low")
    high = planned("High", has_dedicated_funding=True)
    not_planned = submit(subject="Still new")
    services.request_log_time(support_request=low, by=steward, minutes=90)
    client.force_login(project_manager)
    response = client.get(PLANNING)
    assert response.status_code == 200
    assert [r.pk for r in response.context["rows"]] == [high.pk, low.pk]
    assert not_planned.pk not in [r.pk for r in response.context["rows"]]
    page = response.text
    assert '1 <span class="rank-factor">Funded</span>' in page
    entry = response.context["summary"][0]
    assert entry["requests"] == 2 and entry["budget"].used > 0
    assert f"{entry['budget'].percent_used}%" in page


def test_planning_asks_the_same_queries_for_one_or_four_planned_requests(
    submit,
    steward,
    desk,
    django_assert_num_queries,
    django_assert_max_num_queries,
    other_rep,
    other_hub,
):
    def plan(r):
        r = services.request_triage(
            support_request=r, by=steward, category="guidance", expected_version=1
        )
        services.request_link_issue(
            support_request=r,
            by=steward,
            url="https://github.com/org/repo/issues/2",
            send_canned=False,
            expected_version=r.version,
        )

    plan(submit(subject="One"))
    desk.get(PLANNING)
    with django_assert_max_num_queries(15) as ctx:
        desk.get(PLANNING)
    few = len(ctx.captured_queries)  # now: the next request clears Django's query log
    assert few > 0
    for i in range(3):
        plan(
            services.request_submit(
                requester=other_rep, hub=other_hub, subject=f"More {i}", description="x"
            )
        )
    desk.get(PLANNING)
    with django_assert_num_queries(few):
        response = desk.get(PLANNING)
    assert len(response.context["rows"]) == 4
