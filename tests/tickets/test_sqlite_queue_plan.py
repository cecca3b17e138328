"""The queue's orders read from an index on SQLite too (tickets.ordering, migration 0019):
SQLite's ascending indexes keep NULLs first, so `next_due_at ASC NULLS LAST` made it sort every
open request for the first page; it orders by `next_due_at IS NULL, next_due_at` instead, with
expression indexes of its own. PostgreSQL keeps `NULLS LAST` and gets no extra index. The rows
and their order are the same on both."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from tickets import search
from tickets.models import SupportRequest
from tickets.selectors import planning_requests, queue_order, request_list_for

pytestmark = pytest.mark.django_db

EARLIEST = datetime.datetime.min.replace(tzinfo=datetime.UTC)

SQLITE_INDEXES = {
    "request_pin_due_sqlite_idx",
    "request_pin_rank_sqlite_idx",
    "request_planning_sqlite_idx",
}


def last_plan(call) -> str:
    """EXPLAIN QUERY PLAN of the last query `call` runs, with the SQL and parameters sent."""
    seen = []

    def record(execute, sql, params, many, context):
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        call()
    sql, params = seen[-1]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def statistics_as_if_large(rows: int = 100_000) -> None:
    """The planner's statistics of these few rows, scaled to `rows` requests (the same shares
    per value), as ANALYZE would write them at that size: SQLite plans from them, and a handful
    of rows is read faster by any plan."""
    table = SupportRequest._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = %s", [table])
        found = cursor.fetchall()
        total = int(found[0][1].split()[0])
        factor = rows // total
        for idx, stat in found:
            # "rows, rows per value of the first column, of the first two, ...": more rows
            # per value, the same values (a unique prefix stays at 1)
            figures = [int(f) for f in stat.split() if f.isdigit()]
            scaled = [figures[0] * factor] + [f * factor if f > 1 else 1 for f in figures[1:]]
            cursor.execute(
                "UPDATE sqlite_stat1 SET stat = %s WHERE tbl = %s AND idx IS %s",
                [" ".join(map(str, scaled)), table, idx],
            )
        cursor.execute("ANALYZE sqlite_schema")


def index_names() -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(
            cursor, SupportRequest._meta.db_table
        )
    return set(constraints)


@pytest.fixture
def mixed(submit, clock):
    """Requests with and without a deadline, equal deadlines, pinned and not, ranks 1 and 2."""
    made = [submit(subject=f"Request {n}") for n in range(8)]
    due = datetime.datetime(2026, 3, 20, 12, tzinfo=datetime.UTC)
    plan = [  # (queue_pin, priority_rank, next_due_at)
        (1, 2, None),
        (1, 2, due),
        (2, 1, due + datetime.timedelta(hours=1)),
        (2, 1, None),
        (2, 2, due),
        (2, 1, due),
        (2, 2, None),
        (1, 1, due + datetime.timedelta(hours=2)),
    ]
    for r, (pin, rank, next_due) in zip(made, plan, strict=True):
        SupportRequest.objects.filter(pk=r.pk).update(
            queue_pin=pin, priority_rank=rank, next_due_at=next_due
        )
    return list(SupportRequest.objects.filter(pk__in=[r.pk for r in made]))


def expected(rows, *, rank: bool) -> list[int]:
    def key(r):
        due = (
            r.next_due_at is None,
            r.next_due_at or datetime.datetime.min.replace(tzinfo=datetime.UTC),
        )
        return (r.queue_pin, r.priority_rank if rank else 0, *due, r.received_at, r.pk)

    return [r.pk for r in sorted(rows, key=key)]


@pytest.mark.parametrize("sort", ["deadline", "rank"])
def test_the_queue_orders_no_deadline_last_on_every_database(mixed, sort):
    got = [r.pk for r in queue_order(SupportRequest.objects.all(), sort)]
    assert got == expected(mixed, rank=sort == "rank")
    # search without full text (SQLite) falls back on the deadline order
    if not search.full_text():
        ordered = search.order_by_relevance(SupportRequest.objects.all(), "Request")
        assert [r.pk for r in ordered] == expected(mixed, rank=False)


def test_planning_orders_by_rank_then_deadline_none_last(mixed):
    SupportRequest.objects.update(status="planned", category="change", triaged_at=timezone.now())
    got = [r.pk for r in planning_requests()]
    want = [
        r.pk
        for r in sorted(
            mixed,
            key=lambda r: (
                r.priority_rank,
                r.next_due_at is None,
                r.next_due_at or EARLIEST,
                r.received_at,
                r.pk,
            ),
        )
    ]
    assert got == want


@pytest.mark.parametrize(
    ("sort", "index"),
    [("deadline", "request_pin_due_sqlite_idx"), ("rank", "request_pin_rank_sqlite_idx")],
)
def test_sqlite_reads_the_queue_first_page_from_its_index(steward, mixed, sort, index):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's plan")
    statistics_as_if_large()
    qs = request_list_for(user=steward, filters={"state": "open"}).requests
    plan = last_plan(lambda: list(queue_order(qs, sort)[:25]))
    assert index in plan
    assert "TEMP B-TREE" not in plan


def test_sqlite_reads_the_planning_list_from_its_index(mixed):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's plan")
    statistics_as_if_large()
    plan = last_plan(lambda: list(planning_requests()[:25]))
    assert "request_planning_sqlite_idx" in plan
    assert "TEMP B-TREE" not in plan


def test_postgresql_keeps_nulls_last_and_gets_no_sqlite_index():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's order and indexes")
    assert not SQLITE_INDEXES & index_names()
    sql = str(queue_order(SupportRequest.objects.all()).query)
    assert "NULLS LAST" in sql
    assert "IS NULL" not in sql


def test_sqlite_has_its_indexes_and_no_nulls_last():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's indexes")
    assert index_names() >= SQLITE_INDEXES
    sql = str(queue_order(SupportRequest.objects.all(), "rank").query)
    assert "NULLS LAST" not in sql
