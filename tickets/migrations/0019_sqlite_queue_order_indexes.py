"""SQLite only: expression indexes for the queue's orders as SQLite spells them
(tickets.ordering.due_order: `next_due_at IS NULL, next_due_at` instead of `NULLS LAST`, which
SQLite's ascending indexes cannot serve, so it sorted every open request for the first page).

PostgreSQL gets nothing: its request_pin_due_order_idx, request_pin_rank_order_idx and
request_planning_order_idx already serve `NULLS LAST`, and another index would cost every
request update. The indexes are not in SupportRequest.Meta (Django cannot spell them for one
database only), so a migration that remakes the table on SQLite (AlterField) drops them: such a
migration must run create() again."""

from django.db import migrations

TABLE = "tickets_supportrequest"
# name -> (columns, partial-index condition)
INDEXES = {
    "request_pin_due_sqlite_idx": (
        '"queue_pin", "next_due_at" IS NULL, "next_due_at", "received_at", "id"',
        "",
    ),
    "request_pin_rank_sqlite_idx": (
        '"queue_pin", "priority_rank", "next_due_at" IS NULL, "next_due_at", "received_at", "id"',
        "",
    ),
    "request_planning_sqlite_idx": (
        '"priority_rank", "next_due_at" IS NULL, "next_due_at", "received_at", "id"',
        " WHERE \"status\" = 'planned'",
    ),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name, (columns, where) in INDEXES.items():
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{TABLE}" ({columns}){where}')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0018_drop_single_column_indexes_covered_by_composites"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
