"""The queue's order: open incidents and likely incidents pinned above everything, then the
nearest deadline; the steward's other orders (rank, received, last update), validated; the
rank column names the deciding factor; the filters fold away on a phone."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.tickets.conftest import at
from tickets import services
from tickets.models import SupportRequest
from tickets.priority import RANK_SHORT

pytestmark = pytest.mark.django_db

QUEUE = reverse("tickets:queue")


def pks(response) -> list[int]:
    return [r.pk for r in response.context["rows"]]


@pytest.fixture
def desk(client, steward):
    client.force_login(steward)
    return client


def test_incidents_and_likely_incidents_come_before_an_overdue_request(
    submit, steward, desk, clock
):
    clock.move_to(at(12, 10))
    overdue = submit(subject="Overdue change")  # triage due Thursday 18:00
    clock.move_to(at(13, 20))  # Friday: overdue by now
    incident = submit(subject="Declared")
    incident = services.request_triage(
        support_request=incident, by=steward, category="incident", expected_version=1
    )
    services.request_reply(support_request=incident, by=steward, body="On it")
    incident.refresh_from_db()
    assert incident.next_due_at is None  # no open deadline, still on top
    likely = submit(subject="Nobody can log in", cannot_log_in=True, affected_users=5)
    assert likely.likely_incident
    response = desk.get(QUEUE)
    # Pinned ones by their own deadline (none last), then everything else.
    assert pks(response) == [likely.pk, incident.pk, overdue.pk]


def test_a_likely_incident_triaged_as_a_change_is_no_longer_pinned(submit, steward, desk, clock):
    clock.move_to(at(12, 10))
    older = submit(subject="Older")
    clock.move_to(at(13, 20))
    likely = submit(cannot_log_in=True, affected_users=5)
    assert pks(desk.get(QUEUE))[0] == likely.pk
    services.request_triage(
        support_request=likely, by=steward, category="change", expected_version=1
    )
    assert pks(desk.get(QUEUE)) == [older.pk, likely.pk]


def test_a_resolved_incident_is_not_pinned(submit, steward, desk, clock):
    incident = submit(subject="Was down")
    incident = services.request_triage(
        support_request=incident, by=steward, category="incident", expected_version=1
    )
    services.request_reply(support_request=incident, by=steward, body="Back up")
    incident.refresh_from_db()
    services.request_resolve(
        support_request=incident, by=steward, body="Fixed", expected_version=incident.version
    )
    clock.shift(60)
    fresh = submit(subject="Fresh")
    assert SupportRequest.objects.get(pk=incident.pk).queue_pin == 1
    assert pks(desk.get(QUEUE, {"state": "all"})) == [fresh.pk, incident.pk]


def test_sort_by_rank_received_and_last_update(submit, steward, desk, clock):
    clock.move_to(at(12, 10))
    first = submit(subject="First")
    first = services.request_triage(
        support_request=first, by=steward, category="change", expected_version=1
    )
    clock.move_to(at(12, 11))
    second = submit(subject="Second")
    second = services.request_triage(
        support_request=second, by=steward, category="change", expected_version=1
    )
    services.request_set_priority(
        support_request=second,
        by=steward,
        has_dedicated_funding=True,
        expected_version=second.version,
    )
    clock.move_to(at(12, 12))
    services.request_add_note(support_request=first, by=steward, body="Touched last")
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.priority_rank == 1 and first.priority_rank > 1
    assert pks(desk.get(QUEUE, {"sort": "rank"})) == [second.pk, first.pk]
    assert pks(desk.get(QUEUE, {"sort": "received"})) == [second.pk, first.pk]
    SupportRequest.objects.filter(pk=first.pk).update(updated_at=at(12, 13))
    assert pks(desk.get(QUEUE, {"sort": "updated"})) == [first.pk, second.pk]
    assert pks(desk.get(QUEUE, {"sort": "deadline"})) == pks(desk.get(QUEUE))


def test_an_unknown_sort_is_refused_with_a_400_and_the_default_order(submit, desk):
    submit()
    response = desk.get(QUEUE, {"sort": "subject; drop table"})
    assert response.status_code == 400
    assert response.context["sort"] == "deadline"
    assert "Select a valid choice" in response.text
    assert response.context["rows"]


def test_the_rank_column_names_the_deciding_factor(submit, steward, desk):
    r = submit()
    r = services.request_triage(
        support_request=r, by=steward, category="change", expected_version=1
    )
    services.request_set_priority(
        support_request=r,
        by=steward,
        impacts_many_communities=True,
        expected_version=r.version,
    )
    page = desk.get(QUEUE).text
    row = page[page.index(f'id="request-{r.pk}"') :]
    row = row[: row.index("</tr>")]
    assert f'2 <span class="rank-factor">{RANK_SHORT[2]}</span>' in row
    assert RANK_SHORT[2] == "Many communities"


def test_every_rank_has_a_short_name():
    assert sorted(RANK_SHORT) == list(range(9))


def test_the_filters_fold_into_a_details_open_only_when_filtering(submit, desk):
    submit()
    page = desk.get(QUEUE).text
    assert '<details class="filters-panel" id="queue-filters-panel">' in page
    filtered = desk.get(QUEUE, {"category": "change"}).text
    assert '<details class="filters-panel" id="queue-filters-panel" open>' in filtered
    assert "(1 active)" in filtered


def test_representatives_have_no_sort_and_ignore_it(client, rep, submit):
    r = submit()
    client.force_login(rep)
    response = client.get(reverse("tickets:my_requests"), {"sort": "rank"})
    assert response.status_code == 200
    assert "sort" not in response.context["filterset"].form.fields
    assert [x.pk for x in response.context["page"]] == [r.pk]
