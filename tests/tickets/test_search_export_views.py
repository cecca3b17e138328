"""Search (full text on PostgreSQL, icontains on SQLite), the CSV export of a filtered list and
saved views of the queue."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.db import connection
from django.urls import reverse

from tests.factories import StaffFactory
from tickets import export, saved_views, search, services
from tickets.models import SavedView, SupportRequest

pytestmark = pytest.mark.django_db

QUEUE = reverse("tickets:queue")
EXPORT = reverse("tickets:queue_export")
SAVE = reverse("tickets:saved_view_save")


@pytest.fixture
def desk(client, steward):
    client.force_login(steward)
    return client


def pks(response) -> list[int]:
    return [r.pk for r in response.context["rows"]]


# --- search -----------------------------------------------------------------------------------


def test_search_finds_subject_description_and_messages_and_marks_the_words(submit, steward, desk):
    in_subject = submit(subject="Dask gateway refuses clusters", description="Since Monday.")
    in_description = submit(subject="Workers", description="The dask scheduler restarts.")
    in_reply = submit(subject="Slow notebooks", description="Everything is slow.")
    services.request_reply(support_request=in_reply, by=steward, body="Is dask involved?")
    submit(subject="Unrelated", description="Nothing to see.")
    response = desk.get(QUEUE, {"q": "dask"})
    assert set(pks(response)) == {in_subject.pk, in_description.pk, in_reply.pk}
    assert response.context["sort"] == "relevance"
    page = response.text
    assert "<mark>Dask</mark> gateway" in page or "<mark>dask</mark>" in page.lower()
    if connection.vendor == "postgresql":
        # Best match first: the word in the subject weighs most; the reply-only match last.
        assert pks(response)[0] == in_subject.pk and pks(response)[-1] == in_reply.pk


def test_search_stems_words_on_postgresql(submit, desk):
    if connection.vendor != "postgresql":
        pytest.skip("stemming is PostgreSQL full-text search; SQLite matches substrings")
    r = submit(subject="Kernels keep dying", description="After the upgrade.")
    assert pks(desk.get(QUEUE, {"q": "kernel dies"})) == [r.pk]


def test_search_snippets_are_escaped_never_marked_safe_as_typed(submit, desk):
    r = submit(
        subject="<script>alert(1)</script> xarray",
        description="<img src=x onerror=alert(2)> xarray breaks",
    )
    page = desk.get(QUEUE, {"q": "xarray"}).text
    row = page[page.index(f'id="request-{r.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "<script>" not in row and "<img" not in row
    assert "&lt;script&gt;" in row and "<mark>xarray</mark>" in row


def test_representatives_never_find_requests_by_an_internal_note(
    submit, steward, rep, client, other_rep, other_hub
):
    noted = submit(subject="Printer", description="Ink.")
    services.request_add_note(support_request=noted, by=steward, body="Secret zebra workaround")
    services.request_submit(
        requester=other_rep, hub=other_hub, subject="Zebra elsewhere", description="x"
    )
    client.force_login(rep)
    response = client.get(reverse("tickets:my_requests"), {"q": "zebra"})
    assert list(response.context["page"]) == []  # neither the note nor the other community
    client.force_login(steward)
    assert noted.pk in pks(client.get(QUEUE, {"q": "zebra"}))


def test_snippets_show_an_internal_note_to_staff_only_and_escape_messages(submit, steward):
    """search.annotate_snippets: the first matching message of each row when the request's own
    text does not match, public ones only for a representative, escaped before marking."""
    noted = submit(subject="Printer", description="Ink.")
    services.request_add_note(support_request=noted, by=steward, body="Secret <b>zebra</b> fix")
    replied = submit(subject="Scanner", description="Paper.")
    services.request_reply(support_request=replied, by=steward, body="A \ue000zebra<i> reply")
    for internal in (True, False):
        rows = list(SupportRequest.objects.filter(pk__in=[noted.pk, replied.pk]))
        search.annotate_snippets(rows, "zebra", internal=internal)
        snippets = {r.pk: str(r.search_snippet) for r in rows}
        subjects = {r.pk: str(r.search_subject) for r in rows}
        assert subjects == {noted.pk: "Printer", replied.pk: "Scanner"}
        for snippet in snippets.values():
            assert "<b>" not in snippet and "<i>" not in snippet and "\ue000" not in snippet
        assert "<mark>zebra</mark>" in snippets[replied.pk]
        if internal:
            assert "<mark>zebra</mark>" in snippets[noted.pk] and "Secret" in snippets[noted.pk]
        else:
            assert snippets[noted.pk] == ""


def test_stop_words_alone_still_find_by_substring(submit, desk):
    r = submit(subject="Theirs is broken")
    assert pks(desk.get(QUEUE, {"q": "Theirs"})) == [r.pk]


def test_search_pages_rank_every_kind_of_match_then_keep_the_queue_order(
    submit, steward, desk, clock, other_rep, other_hub
):
    """Page after page, the same rows in the same order as ever: a match in the subject first,
    then in the description, then the matches of the conversation and of the names (rank 0),
    each group by nearest deadline, oldest, id; requests outside the filters are left out."""
    other_hub.community.name = "Zebra Teaching"
    other_hub.community.save(update_fields=["name"])

    def later(make):
        clock.shift(datetime.timedelta(minutes=7))
        return make()

    by_subject = [
        later(lambda i=i: submit(subject=f"Zebra {i}", description="Ink.")) for i in range(4)
    ]
    by_description = [
        later(lambda i=i: submit(subject=f"Printer {i}", description="A zebra again."))
        for i in range(4)
    ]
    by_conversation = []
    for i in range(3):
        r = later(lambda i=i: submit(subject=f"Toner {i}", description="Ink."))
        if i == 1:
            services.request_add_note(support_request=r, by=steward, body="Zebra workaround")
        else:
            services.request_reply(support_request=r, by=steward, body="Is the zebra back?")
        by_conversation.append(r)
    by_name = later(
        lambda: services.request_submit(
            requester=other_rep, hub=other_hub, subject="Paper", description="Out."
        )
    )
    closed = later(lambda: submit(subject="Zebra resolved", description="Ink."))
    closed = services.request_triage(
        support_request=closed, by=steward, category="change", expected_version=closed.version
    )
    services.request_resolve(
        support_request=closed, by=steward, body="Done.", expected_version=closed.version
    )
    submit(subject="Unrelated", description="Nothing to see.")

    def queue_order(rows):
        fresh = {r.pk: r for r in SupportRequest.objects.filter(pk__in=[r.pk for r in rows])}
        never = datetime.datetime.max.replace(tzinfo=datetime.UTC)
        return [
            r.pk
            for r in sorted(
                fresh.values(),
                key=lambda r: (r.next_due_at or never, r.received_at, r.pk),
            )
        ]

    everything = [*by_subject, *by_description, *by_conversation, by_name]
    if connection.vendor == "postgresql":
        expected = [
            *queue_order(by_subject),
            *queue_order(by_description),
            *queue_order([*by_conversation, by_name]),
        ]
    else:
        expected = queue_order(everything)
    first = desk.get(QUEUE, {"q": "zebra", "per_page": 10})
    second = desk.get(QUEUE, {"q": "zebra", "per_page": 10, "page": 2})
    assert first.context["page"].paginator.count == len(everything) == 12
    assert pks(first) + pks(second) == expected
    assert closed.pk not in pks(first) + pks(second)
    every_state = desk.get(QUEUE, {"q": "zebra", "per_page": 50, "state": "all"})
    assert set(pks(every_state)) == {r.pk for r in everything} | {closed.pk}
    # A reference finds that request alone, whatever the words would.
    assert pks(desk.get(QUEUE, {"q": f"SD-{by_name.pk}"})) == [by_name.pk]


def test_search_uses_the_gin_indexes_on_postgresql(submit):
    if connection.vendor != "postgresql":
        pytest.skip("the full-text indexes exist on PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname IN "
            "('request_search_idx', 'message_search_idx')"
        )
        assert {row[0] for row in cursor.fetchall()} == {"request_search_idx", "message_search_idx"}
        # Both on stored columns (0020): walking messages newest first reads the vector, never
        # parses the body again.
        cursor.execute(
            "SELECT table_name FROM information_schema.columns WHERE column_name = "
            "'search_vector' AND is_generated = 'ALWAYS'"
        )
        assert {row[0] for row in cursor.fetchall()} == {
            "tickets_supportrequest",
            "tickets_message",
        }


# --- CSV export -------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    assert response.streaming
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_export_streams_the_filtered_list_in_queue_order(submit, steward, desk):
    a = submit(subject="First")
    b = submit(subject='=HYPERLINK("http://evil")', cannot_log_in=True, affected_users=9)
    services.request_triage(support_request=a, by=steward, category="change", expected_version=1)
    response = desk.get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="requests-')
    rows = read_csv(response)
    assert rows[0][:3] == ["Reference", "Subject", "Community"]
    assert [row[0] for row in rows[1:]] == [b.reference, a.reference]  # likely incident first
    assert rows[1][1] == '\'=HYPERLINK("http://evil")'
    only_change = read_csv(desk.get(EXPORT, {"category": "change"}))
    assert [row[0] for row in only_change[1:]] == [a.reference]


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_cells_that_a_spreadsheet_would_run_are_quoted(text):
    assert export.safe_cell(text) == "'" + text


def test_plain_cells_are_left_alone():
    assert export.safe_cell("Kernel dies") == "Kernel dies"
    assert export.safe_cell(None) == ""
    assert export.safe_cell(True) == "yes"


def test_export_is_staff_only_and_refuses_bad_filters(client, rep, desk):
    assert desk.get(EXPORT, {"sort": "nonsense"}).status_code == 400
    client.force_login(rep)
    assert client.get(EXPORT).status_code == 403


# --- saved views ------------------------------------------------------------------------------


def test_save_list_open_and_delete_a_view(submit, steward, desk):
    response = desk.post(
        SAVE, {"name": "  My   change work ", "query": "category=change&sort=rank&page=4&x=1"}
    )
    view = SavedView.objects.get(owner=steward)
    assert view.name == "My change work" and view.query == "category=change&sort=rank"
    assert response["Location"] == f"{QUEUE}?category=change&sort=rank"
    page = desk.get(QUEUE).text
    assert f'href="{QUEUE}?category=change&amp;sort=rank">My change work</a>' in page
    short = desk.get(reverse("tickets:saved_view_open", args=[view.pk]))
    assert short["Location"] == f"{QUEUE}?category=change&sort=rank"
    # Saving the same name again overwrites it.
    desk.post(SAVE, {"name": "My change work", "query": "state=all"})
    assert SavedView.objects.get(owner=steward).query == "state=all"
    desk.post(reverse("tickets:saved_view_delete", args=[view.pk]))
    assert not SavedView.objects.exists()


def test_a_colleague_opens_but_cannot_delete_my_view(steward, client):
    view = saved_views.saved_view_save(owner=steward, name="Mine", querystring="due=overdue")
    colleague = StaffFactory(username="colleague")
    client.force_login(colleague)
    assert client.get(reverse("tickets:saved_view_open", args=[view.pk])).status_code == 302
    assert client.post(reverse("tickets:saved_view_delete", args=[view.pk])).status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()
    assert "Mine" not in client.get(QUEUE).text


def test_a_view_needs_a_name_and_representatives_have_none(desk, client, rep, steward):
    response = desk.post(SAVE, {"name": " ", "query": "state=all"}, follow=True)
    assert "Give the view a name." in response.text
    assert not SavedView.objects.exists()
    client.force_login(rep)
    assert client.post(SAVE, {"name": "x", "query": ""}).status_code == 403
    view = saved_views.saved_view_save(owner=steward, name="Mine", querystring="")
    assert client.get(reverse("tickets:saved_view_open", args=[view.pk])).status_code == 403
