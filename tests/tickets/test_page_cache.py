"""The request pages' thread is cached (tickets/pagecache.py): a second view reads neither the
messages, the files nor the history again; any change shows at once; an internal note never
reaches a representative's page, cached or not.

A test runs in one transaction, which would keep the cache away from a request changed in it
(as in production until the commit): `settled()` marks the changes committed, as they are by
the time the next request comes."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from tickets import pagecache, services
from tickets.attachments import IncomingFile

pytestmark = pytest.mark.django_db

NOTE = "Internal: the node pool is misconfigured"


def settled():
    pagecache.mark_committed()


def thread(page: str) -> list[str]:
    """The cached parts of a page: the conversation and the history."""
    return re.findall(r'<ol class="(?:conversation|timeline)".*?</ol>', page, flags=re.DOTALL)


def tables_read(client, url) -> tuple[str, set[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    read = {
        table
        for q in queries.captured_queries
        for table in ("tickets_message", "tickets_attachment", "tickets_requestevent")
        if f'FROM "{table}"' in q["sql"]
    }
    return response.content.decode(), read


def test_the_second_view_reads_the_thread_from_the_cache(client, steward, triaged):
    url = reverse("tickets:desk_request", args=[triaged.pk])
    client.force_login(steward)
    settled()
    first, read = tables_read(client, url)
    assert read == {"tickets_message", "tickets_attachment", "tickets_requestevent"}
    again, read = tables_read(client, url)
    assert read == set()
    assert len(thread(first)) == 2 and thread(again) == thread(first)


def test_an_internal_note_never_reaches_the_representative(client, steward, rep, answered):
    services.request_add_note(support_request=answered, by=steward, body=NOTE)
    settled()
    client.force_login(steward)
    staff_page = client.get(reverse("tickets:desk_request", args=[answered.pk])).content.decode()
    assert NOTE in staff_page  # the team's thread, now cached, has the note
    client.force_login(rep)
    url = reverse("tickets:detail", args=[answered.pk])
    for _ in range(2):  # built, then cached
        page = client.get(url).content.decode()
        assert NOTE not in page and "Internal note" not in page
        assert 'id="conversation"' in page


def test_a_note_added_after_the_representative_s_view_stays_out(client, steward, rep, answered):
    client.force_login(rep)
    url = reverse("tickets:detail", args=[answered.pk])
    settled()
    client.get(url)
    services.request_add_note(support_request=answered, by=steward, body=NOTE)
    settled()
    page = client.get(url).content.decode()
    assert NOTE not in page


@pytest.mark.parametrize("change", ["reply", "note", "rep reply", "file"])
def test_a_change_shows_at_once(change, client, steward, rep, answered):
    url = reverse("tickets:desk_request", args=[answered.pk])
    client.force_login(steward)
    settled()
    client.get(url)  # cached
    text = f"Fresh {change} text"
    if change == "reply":
        services.request_reply(support_request=answered, by=steward, body=text)
    elif change == "note":
        services.request_add_note(support_request=answered, by=steward, body=text)
    elif change == "rep reply":
        services.request_reply(support_request=answered, by=rep, body=text)
    else:
        text = "fresh-file.txt"
        services.request_add_attachments(
            support_request=answered, by=rep, files=[IncomingFile(filename=text, data=b"x")]
        )
    # Before the commit (this transaction's own view) and after it.
    assert text in client.get(url).content.decode()
    settled()
    assert text in client.get(url).content.decode()


def test_a_renamed_author_shows_at_once(client, steward, rep, answered):
    url = reverse("tickets:detail", args=[answered.pk])
    client.force_login(rep)
    settled()
    client.get(url)
    steward.first_name = "Renamedsteward"
    steward.save()
    settled()
    assert "Renamedsteward" in client.get(url).content.decode()


def test_a_login_keeps_the_cache(client, steward, triaged):
    url = reverse("tickets:desk_request", args=[triaged.pk])
    client.force_login(steward)
    settled()
    client.get(url)
    client.force_login(steward)  # saves last_login only
    settled()
    assert tables_read(client, url)[1] == set()


def test_the_parts_are_kept_apart_by_audience_reader_language_and_zone(triaged):
    built = []

    def parts(audience="public", staff=False):
        return pagecache.parts(
            triaged.pk,
            audience=audience,
            user_is_staff=staff,
            build=lambda: built.append(1) or {"n": len(built)},
        )

    settled()
    assert parts() == {"n": 1}
    assert parts() == {"n": 1}
    assert parts(audience="team") == {"n": 2}
    assert parts(staff=True) == {"n": 3}
    with translation.override("de"):
        assert parts() == {"n": 4}
    with timezone.override("Asia/Tokyo"):
        assert parts() == {"n": 5}
    pagecache.request_changed(triaged.pk)
    assert parts() == {"n": 6}  # changed in this transaction: never cached until the commit
    assert parts() == {"n": 7}
    settled()
    assert parts() == {"n": 8}
    assert parts() == {"n": 8}
