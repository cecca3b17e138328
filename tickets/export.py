"""CSV export of a filtered request list, streamed: rows are read from the database in chunks
(`.iterator(chunk_size=...)`, a server-side cursor on PostgreSQL) as plain tuples and written
out a chunk at a time, so 100,000 requests never sit in memory together.

Spreadsheets run a cell that starts with = + - @ (or a tab or carriage return) as a formula;
every such text cell is prefixed with a single quote (CSV injection, OWASP)."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet

from supportdesk.zones import format_csv
from tickets.models import SupportRequest
from tickets.priority import RANK_SHORT

CHUNK_SIZE = 2000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

COLUMNS = (
    ("Reference", "pk"),
    ("Subject", "subject"),
    ("Community", "community__name"),
    ("Hub", "hub__name"),
    ("Category", "category"),
    ("State", "status"),
    ("Likely incident", "likely_incident"),
    ("Assignee", "assignee__username"),
    ("Priority rank", "priority_rank"),
    ("Deciding factor", "priority_rank"),
    ("Received (UTC)", "received_at"),
    ("Next deadline (UTC)", "next_due_at"),
    ("Last update (UTC)", "updated_at"),
    ("Engineering issue", "engineering_issue_url"),
)
_FIELDS = tuple(dict.fromkeys(field for _, field in COLUMNS))
_CATEGORIES = dict(SupportRequest.Category.choices)
_STATES = dict(SupportRequest.Status.choices)


def safe_cell(value) -> str:
    """A cell's text; text that a spreadsheet would run as a formula is quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.datetime):
        return format_csv(value)
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _row(values: dict) -> list[str]:
    out = []
    for header, field in COLUMNS:
        value = values[field]
        if header == "Reference":
            value = f"SD-{value}"
        elif header == "Deciding factor":
            value = RANK_SHORT.get(value, "")
        elif field == "category":
            value = _CATEGORIES.get(value, value)
        elif field == "status":
            value = _STATES.get(value, value)
        out.append(safe_cell(value))
    return out


def csv_chunks(queryset: QuerySet[SupportRequest]) -> Iterator[str]:
    """The CSV text of `queryset` (already filtered and ordered), header first, in pieces of
    CHUNK_SIZE rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([header for header, _ in COLUMNS])
    rows: Iterable[tuple] = queryset.values_list(*_FIELDS).iterator(chunk_size=CHUNK_SIZE)
    for count, values in enumerate(rows, start=1):
        writer.writerow(_row(dict(zip(_FIELDS, values, strict=True))))
        if count % CHUNK_SIZE == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def filename(now: datetime.datetime) -> str:
    return f"requests-{now.astimezone(datetime.UTC):%Y%m%d-%H%M}.csv"
