"""The indexes of tickets_supportrequest and of the rows a reply or a submission writes with it
(migrations tickets 0018 and 0021): every index is written on each insert,
and on each update of a request that is not HOT (a reply changes updated_at and next_due_at,
both indexed), so a column keeps no index of its own where a composite index leads with it, a
column set on almost no row has a partial index, and an index no query reads is dropped. Each
lookup those indexes served is still read from an index."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection, transaction

from desk import sweeps
from supportdesk.queryplans import last_query
from tickets.models import Message, RequestEvent, SupportRequest
from tickets.selectors import request_list_for

pytestmark = pytest.mark.django_db

TABLE = SupportRequest._meta.db_table
# column -> the composite index that serves its lookups
LEADING = {
    "community_id": "request_comm_received_idx",
    "assignee_id": "request_assignee_load_idx",
    "received_at": "request_received_order_idx",
}
# column -> its partial (NOT NULL) index
SPARSE = {
    "incident_id": "request_incident_idx",
    "follow_up_of_id": "request_follow_up_of_idx",
    "duplicate_of_id": "request_duplicate_of_idx",
}
# PostgreSQL's order indexes (NULLS LAST): SQLite reads its own of migration 0019 instead.
POSTGRESQL_ORDERS = {
    "request_pin_due_order_idx",
    "request_pin_rank_order_idx",
    "request_planning_order_idx",
}


def indexes(table: str = TABLE) -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {
        name: info["columns"]
        for name, info in constraints.items()
        if info["index"] and not info["primary_key"] and not info["unique"]
    }


def plan(sql: str) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # An empty table is read in full whatever its indexes: ask for an index.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}")
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return " ".join(str(row) for row in cursor.fetchall())


def last_plan(call) -> str:
    """The plan of the last query `call` runs, with the very SQL and parameters it sent."""
    sql, params = last_query(call)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return " ".join(str(row[0]) for row in cursor.fetchall())


def test_no_single_column_index_where_a_composite_leads_with_the_column():
    found = indexes()
    for column, composite in LEADING.items():
        assert found[composite][0] == column
        assert [name for name, columns in found.items() if columns == [column]] == []


@pytest.mark.parametrize(
    ("where", "index"),
    [
        ("community_id = 1", "request_comm_received_idx"),
        ("assignee_id = 1", "request_assignee_load_idx"),
        ("received_at >= '2026-01-01'", "request_received_order_idx"),
    ],
)
def test_the_composite_index_serves_the_lookup(where, index):
    assert index in plan(f"SELECT id FROM {TABLE} WHERE {where}")  # noqa: S608 (constants)


def test_no_index_of_the_priority_rank_alone():
    # The orders by rank read request_pin_rank_order_idx and request_planning_order_idx.
    assert [name for name, columns in indexes().items() if columns == ["priority_rank"]] == []


def test_the_links_almost_no_request_has_are_indexed_where_set_only():
    found = indexes()
    for column, name in SPARSE.items():
        assert found[name] == [column]
        assert [n for n, columns in found.items() if columns == [column]] == [name]


@pytest.mark.parametrize("column", sorted(SPARSE))
@pytest.mark.parametrize("condition", ["= 7", "IN (7, 8)"])
def test_the_partial_index_serves_a_lookup_of_a_value(column, condition):
    # `= x` and `IN (...)` imply NOT NULL on both databases: the follow-ups and duplicates of a
    # request, the requests of an incident, and the ON DELETE lookups.
    sql = f"SELECT id FROM {TABLE} WHERE {column} {condition}"  # noqa: S608 (constants)
    assert SPARSE[column] in plan(sql)


def test_the_reply_due_order_index_exists_on_sqlite_only():
    # PostgreSQL proves the partial request_reply_due_idx from `status IN (...)`; SQLite
    # cannot with bound parameters and reads the response sweep from this one.
    assert ("request_reply_due_order_idx" in indexes()) == (connection.vendor == "sqlite")


def test_the_postgresql_order_indexes_exist_on_postgresql_only():
    found = set(indexes())
    if connection.vendor == "postgresql":
        assert found >= POSTGRESQL_ORDERS
    else:
        assert not found & POSTGRESQL_ORDERS


def test_postgresql_reads_the_response_sweep_from_the_partial_index():
    # SQLite's plan, with the bench's statistics: tests/tickets/test_sqlite_queue_plan.py.
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plan")
    cutoff = datetime.datetime(2026, 3, 20, 12, tzinfo=datetime.UTC)
    qs = (
        sweeps.RESPONSE.queryset()
        .filter(response_due_at__lte=cutoff)
        .order_by("response_due_at", "pk")[: sweeps.BATCH_SIZE]
    )
    assert "request_reply_due_idx" in last_plan(lambda: list(qs))


@pytest.mark.parametrize(
    ("model", "composite"),
    [
        (Message, ["request_id", "visibility", "created_at"]),
        (RequestEvent, ["request_id", "created_at"]),
    ],
)
def test_the_conversation_and_history_have_one_index_leading_with_the_request(model, composite):
    found = indexes(model._meta.db_table)
    leading = [name for name, columns in found.items() if columns[:1] == ["request_id"]]
    assert [found[name] for name in leading] == [composite]
    assert leading[0] in plan(f"SELECT id FROM {model._meta.db_table} WHERE request_id = 7")  # noqa: S608


def test_a_written_message_writes_no_canned_response_index_entry():
    found = indexes(Message._meta.db_table)
    assert found["message_canned_response_idx"] == ["canned_response_id"]
    assert [n for n, c in found.items() if c == ["canned_response_id"]] == [
        "message_canned_response_idx"
    ]


def test_the_representatives_list_is_read_newest_first_from_the_community_index(rep):
    # Ordered by status first (request_comm_idx until migration 0022), the index gave every
    # request of the community to sort, and at 1,000,000 requests PostgreSQL walked
    # request_received_order_idx instead, past other communities' rows.
    listed = request_list_for(user=rep).requests
    if connection.vendor == "postgresql":
        found = last_plan(lambda: list(listed[:25]))
        assert "Sort" not in found
    else:
        seen = []

        def record(execute, sql, params, many, context):
            seen.append((sql, params))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            list(listed[:25])
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + seen[-1][0], seen[-1][1])
            found = " ".join(str(row[-1]) for row in cursor.fetchall())
        assert "TEMP B-TREE" not in found
    assert "request_comm_received_idx" in found


def test_postgresql_reads_the_queue_of_one_community_from_its_index(steward, rep):
    # Migration 0023: the open requests of each community in the queue's order; without it the
    # page sorted every open request of the community (1,200 rows at 1,000,000 requests).
    has_index = "request_comm_due_open_idx" in indexes()
    if connection.vendor != "postgresql":
        assert not has_index  # SQLite keeps sorting the community's rows
        return
    community = rep.memberships.get().community_id
    listed = request_list_for(
        user=steward, filters={"state": "open", "community": community}
    ).requests
    found = last_plan(lambda: list(listed[:25]))
    assert "request_comm_due_open_idx" in found
    assert "Sort" not in found
