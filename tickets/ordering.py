"""The "nearest deadline first, none last" order, as each database can read it from an index.

PostgreSQL reads `next_due_at ASC NULLS LAST` straight from an ascending index (its B-trees
keep NULLs last). SQLite's keep NULLs first, so `NULLS LAST` made it sort every open request
(about 60,000 rows at 100,000 requests) for the queue's first page. On SQLite the order is
spelled `next_due_at IS NULL, next_due_at` instead (the same rows in the same order), which the
SQLite-only expression indexes of migration tickets 0019 match; PostgreSQL keeps its plans and
indexes exactly as they were."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet


def due_order(field: str = "next_due_at", *, using: str | None = None) -> list:
    """The order_by() terms for `field` ascending with NULLs last, on the database `using`."""
    if connections[using or DEFAULT_DB_ALIAS].vendor == "sqlite":
        is_null = ExpressionWrapper(Q(**{f"{field}__isnull": True}), output_field=BooleanField())
        return [is_null.asc(), F(field).asc()]
    return [F(field).asc(nulls_last=True)]


def drive_from_requests(qs: QuerySet, relation: str = "community") -> QuerySet:
    """SQLite only: join `relation` (a required foreign key that select_related follows) LEFT
    OUTER instead of INNER. The rows are the same (every request has a community), but SQLite
    never reorders a LEFT JOIN, so it reads the requests first, in the order index, and stops
    after the page. With an INNER JOIN its planner started from the 500 communities, read every
    open request of each and sorted them all (the first page took about 140 ms at 100,000
    requests instead of 3 ms). The join is prepared unreferenced: only a query that uses it
    (select_related, a filter) emits it. Django has no public API for this;
    tests/tickets/test_sqlite_queue_plan.py fails if a Django upgrade stops honouring it."""
    if connections[qs.db].vendor != "sqlite":
        return qs
    qs = qs.all()
    query = qs.query
    base = query.get_initial_alias()
    alias = query.setup_joins([relation], query.get_meta(), base).joins[-1]
    query.alias_map[alias] = query.alias_map[alias].promote()
    query.unref_alias(alias)
    return qs
