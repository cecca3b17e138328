"""Issue 19: the representative's list says whose move it is ("Waiting on us: answer due in
5 h", "Waiting on you"), marks likely incidents, and shows every time in the community's zone by
its friendly name, to the minute."""

from __future__ import annotations

import re

import pytest

from tests.tickets.conftest import at
from tickets import selectors, services

pytestmark = pytest.mark.django_db


def _waiting(r):
    r.refresh_from_db()
    return selectors.waiting_on(r, now=at(16, 1))


def test_a_new_request_waits_on_us_with_its_answer_deadline(submit):
    # Received Friday 20:00 UTC; the first response (24 working hours: 4 that Friday evening,
    # 20 on Monday) is due Monday 20:00 UTC: at Monday 01:00, 19 working hours remain.
    r = submit()
    waiting = _waiting(r)
    assert (waiting.party, waiting.text) == ("us", "Waiting on us: answer due in 19 h")


def test_after_our_answer_it_waits_on_the_representative(submit, steward, rep, clock):
    r = submit()
    r = services.request_triage(
        support_request=r, by=steward, category="change", expected_version=r.version
    )
    services.request_reply(support_request=r, by=steward, body="Try restarting your server.")
    assert _waiting(r).text == "Waiting on you"
    # Their reply hands the move back to us, with a fresh answer deadline.
    services.request_reply(support_request=r, by=rep, body="Restarted; still broken.")
    waiting = _waiting(r)
    assert waiting.party == "us"
    assert waiting.text.startswith("Waiting on us: answer due in ")


def test_a_resolved_request_waits_on_the_representatives_confirmation(triaged, steward):
    r = services.request_resolve(
        support_request=triaged, by=steward, body="Fixed.", expected_version=triaged.version
    )
    waiting = _waiting(r)
    assert waiting.party == "you"
    assert "confirm" in waiting.text


def test_a_missed_answer_says_overdue(submit):
    r = submit()
    r.refresh_from_db()
    waiting = selectors.waiting_on(r, now=at(16, 22, 30))
    assert (waiting.text, waiting.overdue) == ("Waiting on us: answer overdue by 2 h 30 m", True)


def test_the_list_shows_whose_move_and_likely_incidents_in_the_community_zone(
    client, submit, rep, community
):
    community.timezone = "America/Los_Angeles"
    community.save()
    submit(subject="Nobody can log in", cannot_log_in=True, affected_users=5)
    submit(subject="A new package")
    client.force_login(rep)
    html = client.get("/requests/").content.decode()
    assert html.count("Waiting on us: answer due in") == 2
    row = re.search(r'<tr id="request-\d+" class="row-incident">.*?</tr>', html, re.S).group(0)
    assert "Nobody can log in" in row and "Likely incident" in row
    assert "Times are in Pacific Time." in html
    assert "America/Los_Angeles" not in html


def test_the_request_page_shows_times_in_the_community_zone_by_name(client, submit, rep, community):
    community.timezone = "America/Los_Angeles"
    community.save()
    r = submit()
    client.force_login(rep)
    html = client.get(f"/requests/{r.pk}/").content.decode()
    assert "Fri 13 Mar 2026, 13:00 Pacific Time" in html  # 20:00 UTC, PDT since 8 March
    assert "America/Los_Angeles" not in html
    received = client.get(f"/requests/{r.pk}/received/").content.decode()
    assert "Pacific Time" in received and "America/Los_Angeles" not in received
    assert re.search(r"\d\d:\d\d:\d\d", received) is None  # minutes, never seconds


def test_answered_but_not_yet_triaged_still_waits_on_our_triage(submit, steward):
    r = submit()
    services.request_reply(support_request=r, by=steward, body="Looking at it.")
    waiting = _waiting(r)
    # Triage (8 working hours from Friday 20:00 UTC) is due Monday 04:00: 3 h at 01:00.
    assert (waiting.party, waiting.text) == ("us", "Waiting on us: triage due in 3 h")
