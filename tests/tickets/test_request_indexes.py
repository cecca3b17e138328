"""The indexes of tickets_supportrequest (migration 0018): every index is written on each
update of a request that is not HOT (a reply changes updated_at and next_due_at, both indexed),
so a column keeps no index of its own where a composite index leads with it."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from tickets.models import SupportRequest

pytestmark = pytest.mark.django_db

TABLE = SupportRequest._meta.db_table
# column -> the composite index that serves its lookups
LEADING = {
    "community_id": "request_comm_idx",
    "assignee_id": "request_assignee_load_idx",
    "received_at": "request_received_order_idx",
}


def indexes() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
    return {
        name: info["columns"]
        for name, info in constraints.items()
        if info["index"] and not info["primary_key"] and not info["unique"]
    }


def test_no_single_column_index_where_a_composite_leads_with_the_column():
    found = indexes()
    for column, composite in LEADING.items():
        assert found[composite][0] == column
        assert [name for name, columns in found.items() if columns == [column]] == []


@pytest.mark.parametrize(
    ("where", "index"),
    [
        ("community_id = 1", "request_comm_idx"),
        ("assignee_id = 1", "request_assignee_load_idx"),
        ("received_at >= '2026-01-01'", "request_received_order_idx"),
    ],
)
def test_the_composite_index_serves_the_lookup(where, index):
    sql = f"SELECT id FROM {TABLE} WHERE {where}"  # noqa: S608 (constants above)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # An empty table is read in full whatever its indexes: ask for an index.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}")
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert index in plan
