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

from desk import sweeps
from supportdesk.queryplans import last_query
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
    sql, params = last_query(call)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


# sqlite_stat1 of the bench dataset at 100,000 requests (500 communities, 60% open), as
# `make bench` ANALYZEs it, less the indexes migration 0021 dropped on SQLite: SQLite's choice
# between reading the requests in the order index and starting from the communities depends on
# these.
BENCH_STATISTICS = [
    ("accounts_user", "sqlite_autoindex_accounts_user_1", "531 1"),
    ("communities_community", "sqlite_autoindex_communities_community_1", "500 1"),
    ("communities_hub", "communities_hub_community_id_7185539a", "500 1"),
    ("communities_hub", "communities_hub_status_5585885f", "500 500"),
    ("communities_hub", "sqlite_autoindex_communities_hub_1", "500 1"),
    ("tickets_supportrequest", "request_assignee_load_idx", "100000 3334 667 1"),
    ("tickets_supportrequest", "request_autoclose_due_idx", "5950 2"),
    ("tickets_supportrequest", "request_comm_received_idx", "100000 200 1 1 1"),
    ("tickets_supportrequest", "request_pin_due_sqlite_idx", "100000 50000 25000 4 1 1"),
    ("tickets_supportrequest", "request_pin_rank_sqlite_idx", "100000 50000 10000 5000 4 1 1"),
    ("tickets_supportrequest", "request_planning_sqlite_idx", "12081 1343 672 4 1 1"),
    ("tickets_supportrequest", "request_queue_idx", "100000 20000 4"),
    ("tickets_supportrequest", "request_received_order_idx", "100000 1 1"),
    ("tickets_supportrequest", "request_reply_due_idx", "60126 3"),
    ("tickets_supportrequest", "request_reply_due_order_idx", "100000 5 1"),
    ("tickets_supportrequest", "request_response_due_idx", "30818 2"),
    ("tickets_supportrequest", "request_timebox_due_idx", "29940 2"),
    ("tickets_supportrequest", "request_triage_due_idx", "18105 2"),
    ("tickets_supportrequest", "request_updated_order_idx", "100000 1 1"),
    ("tickets_supportrequest", "tickets_supportrequest_hub_id_fd313397", "100000 200"),
    ("tickets_supportrequest", "tickets_supportrequest_requester_id_34c8a272", "100000 200"),
]


def statistics_as_if_large() -> None:
    """The planner's statistics of the bench dataset (SQLite plans from them, and a handful of
    rows is read faster by any plan)."""
    tables = sorted({table for table, _, _ in BENCH_STATISTICS})
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        for table in tables:
            cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = %s", [table])
        for row in BENCH_STATISTICS:
            cursor.execute("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (%s, %s, %s)", row)
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


def test_sqlite_reads_the_response_sweep_from_its_order_index(mixed):
    # It cannot prove the partial request_reply_due_idx from `status IN (?, ?, ?)` with bound
    # parameters; request_reply_due_order_idx (SQLite only since migration 0021) has the rows
    # in the sweep's order.
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's plan")
    statistics_as_if_large()
    cutoff = datetime.datetime(2026, 3, 20, 12, tzinfo=datetime.UTC)
    qs = (
        sweeps.RESPONSE.queryset()
        .filter(response_due_at__lte=cutoff)
        .order_by("response_due_at", "pk")[: sweeps.BATCH_SIZE]
    )
    plan = last_plan(lambda: list(qs))
    assert "request_reply_due_order_idx" in plan
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


def test_sqlite_joins_the_community_left_outer_only_where_it_is_used(steward):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's joins")
    listed = request_list_for(user=steward, filters={"state": "open"}).requests
    assert 'LEFT OUTER JOIN "communities_community"' in str(listed.query)
    assert "communities_community" not in str(listed.select_related(None).query)
