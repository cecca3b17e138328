"""The rows of the queue and of the representative's list are written in Python (tickets.rows)
for speed (issue 21): the markup must be what the templates wrote, row for row, with the same
escaping, badges, deadlines, dates and labels, in every language and time zone."""

from __future__ import annotations

import datetime
import re
import zoneinfo
from pathlib import Path

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html

from accounts.models import User
from communities.models import Community, Hub
from tickets.models import SupportRequest
from tickets.priority import RANK_LABELS, RANK_SHORT
from tickets.rows import my_request_rows, queue_rows
from tickets.selectors import WaitingOn

# The rows as tickets/queue.html wrote them before tickets.rows (issue 21), verbatim.
TEMPLATE = Path(__file__).parents[1] / "fixtures" / "queue_rows_template.html"
# The rows of tickets/my_requests.html before tickets.rows, verbatim.
MY_TEMPLATE = Path(__file__).parents[1] / "fixtures" / "my_request_rows_template.html"

DUE = datetime.datetime(2026, 3, 29, 0, 30, tzinfo=datetime.UTC)  # a DST change in Europe


def _rows() -> list[SupportRequest]:
    """One row for each way a cell can look, with text that needs escaping."""
    community = Community(pk=7, name='Q&A <Research> "Lab" O\'Neil', slug="qa")
    hub = Hub(pk=3, community=community, name="<Hub> & co", slug="hub")
    steward = User(pk=11, username="ann", first_name="Ann <b>", last_name="O'Eng")
    likely = {"likely_incident": True}
    cases = [
        {"category": "incident", "status": "triaged", **likely, "due_state": "overdue"},
        {"category": "", "status": "new", "channel": "email", **likely, "due_state": "soon"},
        {"category": "change", "status": "planned", "assignee": None, "hub": None, "due_text": ""},
        {"category": "guidance", "status": "resolved", "due_state": "excused"},
        {"category": "change", "status": "closed", "priority_rank": 8, "due_state": ""},
    ]
    rows = []
    for n, case in enumerate(cases, start=1):
        r = SupportRequest(
            pk=1000 + n,
            community=community,
            hub=case.get("hub", hub),
            assignee=case.get("assignee", steward),
            subject=f"Kernel <dies> & {n} 'quotes' \"too\"",
            channel=case.get("channel", "web"),
            category=case["category"],
            status=case["status"],
            likely_incident=case.get("likely_incident", False),
            priority_rank=case.get("priority_rank", n),
            next_due_at=None if case.get("due_text") == "" else DUE + datetime.timedelta(days=n),
        )
        r.due_label = "First response"
        r.due_text = case.get("due_text", f"overdue by {n} h <x>")
        r.due_state = case.get("due_state", "")
        r.search_subject = format_html("Kernel <mark>{}</mark> {}", "dies", "<&>") if n % 2 else ""
        r.search_snippet = format_html("… <mark>{}</mark> …", "dies") if n < 3 else ""
        rows.append(r)
    return rows


def _with_template(rows: list[SupportRequest], *, searching: bool) -> str:
    for r in rows:  # what the view set for the template
        r.desk_url = reverse("tickets:desk_request", args=[r.pk])
        r.pk_text, r.rank_text = str(r.pk), str(r.priority_rank)
        r.rank_label = RANK_LABELS.get(r.priority_rank, "")
        r.rank_short = RANK_SHORT.get(r.priority_rank, "")
    template = engines["django"].from_string(TEMPLATE.read_text())
    return template.render({"rows": rows, "searching": searching})


def _tags(html: str) -> list[str]:
    """The markup without the whitespace between tags (the template's indentation)."""
    return [part.strip() for part in re.split(r"(<[^>]+>)", html) if part.strip()]


@pytest.mark.parametrize("searching", [False, True])
@pytest.mark.parametrize(
    ("language", "zone"), [("en-gb", "UTC"), ("es", "Europe/Madrid"), ("en-gb", "America/Lima")]
)
def test_rows_are_written_as_the_template_wrote_them(language, zone, searching):
    rows = _rows()
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo(zone)):
        expected = _with_template(rows, searching=searching)
        written = queue_rows(rows, searching=searching)
    assert _tags(written) == _tags(expected)
    assert "&lt;Research&gt;" in written and "<dies>" not in written
    if searching:
        assert "<mark>dies</mark>" in written  # the snippets are already safe HTML


def test_no_rows_no_markup():
    assert queue_rows([], searching=False) == ""


@pytest.mark.parametrize(("language", "zone"), [("en-gb", "UTC"), ("es", "Pacific/Auckland")])
def test_representative_rows_are_written_as_the_template_wrote_them(language, zone):
    rows = _rows()
    waiting = [
        WaitingOn("us", "Waiting on us: answer due in 5 h <b>", overdue=False),
        WaitingOn("us", "Waiting on us: overdue", overdue=True),
        WaitingOn("you", "Waiting on you & yours"),
        WaitingOn("", "Closed"),
        WaitingOn("", "Closed"),
    ]
    for n, (r, w) in enumerate(zip(rows, waiting, strict=True)):
        r.waiting = w
        r.received_at = DUE - datetime.timedelta(days=40 * n, minutes=7)
        r.updated_at = DUE + datetime.timedelta(hours=n)
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo(zone)):
        template = engines["django"].from_string(MY_TEMPLATE.read_text())
        expected = template.render({"rows": rows})
        written = my_request_rows(rows)
    assert _tags(written) == _tags(expected)
    assert "&lt;b&gt;" in written
