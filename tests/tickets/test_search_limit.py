"""The product rule of search (README "Search"): a search takes the newest SEARCH_LIMIT
requests that match, within the list's scope and filters, ranks those, and the page says when
more matched. Its cost then does not grow with the number of requests (`make bench`)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.urls import reverse

from tickets import search, services

pytestmark = pytest.mark.django_db

QUEUE = reverse("tickets:queue")
MINE = reverse("tickets:my_requests")
NOTE = "More requests match"


@pytest.fixture
def limit(monkeypatch):
    monkeypatch.setattr(search, "SEARCH_LIMIT", 3)
    return 3


@pytest.fixture
def desk(client, steward):
    client.force_login(steward)
    return client


def pks(response) -> set[int]:
    return {r.pk for r in response.context["rows"]}


def test_a_search_takes_the_newest_matches_of_every_kind_and_says_more_matched(
    limit, submit, steward, desk, other_rep, other_hub
):
    other_hub.community.name = "Zebra Teaching"
    other_hub.community.save(update_fields=["name"])
    oldest = submit(subject="Zebra printer", description="Ink.")
    older = submit(subject="Toner", description="A zebra again.")
    by_reply = submit(subject="Paper", description="Out.")
    by_note = submit(subject="Stapler", description="Jammed.")
    services.request_reply(support_request=by_reply, by=steward, body="Is the zebra back?")
    services.request_add_note(support_request=by_note, by=steward, body="Zebra workaround")
    by_name = services.request_submit(
        requester=other_rep, hub=other_hub, subject="Chairs", description="Broken."
    )
    submit(subject="Unrelated", description="Nothing to see.")

    response = desk.get(QUEUE, {"q": "zebra"})

    # The newest three of five matches (by the hub's community name, an internal note, a
    # reply); the two oldest are left for narrower searches.
    assert pks(response) == {by_name.pk, by_note.pk, by_reply.pk}
    assert response.context["page"].paginator.count == limit
    assert response.context["search_capped"] is True
    assert NOTE in response.text and "newest 3 matches" in response.text
    assert oldest.pk not in pks(response) and older.pk not in pks(response)


def test_matches_in_the_conversation_count_when_the_request_text_fills_the_limit(
    limit, submit, steward, desk
):
    """The request text alone fills the limit: the conversation is then read only as far back
    as the oldest of those, and a newer match there still takes its place."""
    old_reply = submit(subject="Paper", description="Out.")
    services.request_reply(support_request=old_reply, by=steward, body="The zebra again?")
    by_subject = [submit(subject=f"Zebra {i}", description="Ink.") for i in range(limit + 1)]
    new_reply = submit(subject="Toner", description="Empty.")
    services.request_reply(support_request=new_reply, by=steward, body="A zebra, surely.")

    response = desk.get(QUEUE, {"q": "zebra"})

    assert pks(response) == {new_reply.pk, by_subject[-1].pk, by_subject[-2].pk}
    assert response.context["search_capped"] is True


def test_no_note_when_every_match_is_listed(limit, submit, desk):
    found = {submit(subject=f"Zebra {i}", description="Ink.").pk for i in range(limit)}
    submit(subject="Unrelated", description="Nothing to see.")

    response = desk.get(QUEUE, {"q": "zebra"})

    assert pks(response) == found
    assert response.context["search_capped"] is False
    assert NOTE not in response.text


def test_the_filters_apply_before_the_limit(limit, submit, steward, desk):
    """Matches outside the list's filters never take a place: an older open match is listed
    even though newer closed ones match too."""
    open_match = submit(subject="Zebra open", description="Ink.")
    for i in range(limit + 1):
        r = submit(subject=f"Zebra closed {i}", description="Ink.")
        r = services.request_triage(
            support_request=r, by=steward, category="change", expected_version=r.version
        )
        services.request_resolve(
            support_request=r, by=steward, body="Done.", expected_version=r.version
        )

    response = desk.get(QUEUE, {"q": "zebra"})  # the open queue

    assert pks(response) == {open_match.pk}
    assert response.context["search_capped"] is False
    every_state = desk.get(QUEUE, {"q": "zebra", "state": "all"})
    assert len(pks(every_state)) == limit and every_state.context["search_capped"] is True
    assert open_match.pk not in pks(every_state)  # the oldest of five


def test_the_export_and_the_representative_list_follow_the_same_rule(
    limit, submit, rep, client, desk
):
    made = [submit(subject=f"Zebra {i}", description="Ink.") for i in range(limit + 2)]
    newest = {r.pk for r in made[-limit:]}

    export = desk.get(reverse("tickets:queue_export"), {"q": "zebra"})
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert {row[0] for row in rows[1:]} == {r.reference for r in made[-limit:]}

    client.force_login(rep)
    response = client.get(MINE, {"q": "zebra"})
    assert pks(response) == newest
    assert NOTE in response.text


def test_the_readme_states_the_limit():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert f"newest {search.SEARCH_LIMIT} matching requests" in readme
