"""Permission-scoped reads (tickets/selectors.py) and the FilterSet they share with the API."""

from __future__ import annotations

import pytest
from django.http import Http404

from tests.factories import MembershipFactory, UserFactory
from tickets import selectors, services
from tickets.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_requests(submit, other_rep, other_hub):
    mine = submit(subject="Ours")
    theirs = services.request_submit(
        requester=other_rep, hub=other_hub, subject="Theirs", description="x"
    )
    return mine, theirs


def test_staff_see_every_request(two_requests, steward):
    assert set(selectors.request_list_for(user=steward).requests) == set(two_requests)


def test_a_representative_sees_only_their_community(two_requests, rep, other_rep):
    mine, theirs = two_requests
    assert list(selectors.request_list_for(user=rep).requests) == [mine]
    assert list(selectors.request_list_for(user=other_rep).requests) == [theirs]


def test_outsiders_and_anonymous_see_nothing(two_requests, outsider):
    from django.contrib.auth.models import AnonymousUser

    assert not selectors.request_list_for(user=outsider).requests.exists()
    assert not selectors.request_list_for(user=AnonymousUser()).requests.exists()


def test_hub_administrators_read_their_communities(two_requests, community):
    hub_admin = UserFactory(username="ha")
    MembershipFactory(user=hub_admin, community=community, role="hub_admin")
    assert list(selectors.request_list_for(user=hub_admin).requests) == [two_requests[0]]


def test_filters_apply_within_the_scope(two_requests, rep, steward, other_community):
    mine, theirs = two_requests
    assert list(selectors.request_list_for(user=steward, filters={"q": "Theirs"}).requests) == [
        theirs
    ]
    # A representative cannot reach another community by filtering for it: the filter is
    # refused (each interface says so) and the list stays within their own.
    refused = selectors.request_list_for(user=rep, filters={"community": other_community.pk})
    assert "community" in refused.errors
    assert list(refused.requests) == [mine]
    found = selectors.request_list_for(user=rep, filters={"q": f"SD-{mine.pk}"})
    assert list(found.requests) == [mine]


def test_request_outside_the_scope_is_not_found(two_requests, rep):
    mine, theirs = two_requests
    assert selectors.request_get_for(user=rep, pk=mine.pk) == mine
    for pk in (theirs.pk, 10_000, "nonsense"):
        with pytest.raises(Http404):
            selectors.request_get_for(user=rep, pk=pk)


def test_conversation_hides_internal_notes_from_representatives(two_requests, rep, steward):
    mine, _ = two_requests
    services.request_add_note(support_request=mine, by=steward, body="internal")
    services.request_reply(support_request=mine, by=rep, body="public")
    rep_view = selectors.conversation_for(support_request=mine, user=rep)
    staff_view = selectors.conversation_for(support_request=mine, user=steward)
    assert [m.visibility for m in rep_view] == [Message.Visibility.PUBLIC]
    assert len(staff_view) == 2


def test_next_steps_name_the_requests_own_deadlines(submit):
    r = submit(cannot_log_in=True, affected_users=3)
    steps = selectors.what_happens_next(r)
    assert steps[0].startswith("Your answers meet our incident definition")
    assert any("8 working hours: by Mon 16 Mar 2026, 04:00 UTC." in s for s in steps)
    assert any("2 working days (48 working hours)" in s for s in steps)


def test_one_list_for_the_queue_the_api_and_the_export(two_requests, steward):
    """Staff get the queue's order: the sort asked for, best match first when searching."""
    mine, theirs = two_requests
    listing = selectors.request_list_for(user=steward, filters={"sort": "received"})
    assert (listing.sort, list(listing.requests)) == ("received", [theirs, mine])
    searching = selectors.request_list_for(user=steward, filters={"q": "Ours"})
    assert (searching.sort, searching.words) == ("relevance", "Ours")
    assert list(searching.requests) == [mine]
    wrong = selectors.request_list_for(user=steward, filters={"sort": "nonsense"})
    assert "sort" in wrong.errors
    assert wrong.sort == selectors.DEFAULT_SORT
