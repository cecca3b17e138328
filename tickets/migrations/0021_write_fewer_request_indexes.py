"""Fewer indexes written by the hot writes (a reply, a submission): each one that nothing reads
costs every insert, and every update that is not HOT (a reply changes updated_at and
next_due_at, both indexed, so none is), an entry of its own. Judged on the bench data at
100,000 and 1,000,000 requests (pg_stat_user_indexes.idx_scan after the pages, EXPLAIN):

- SupportRequest.priority_rank loses its single-column index: never scanned; the orders by
  rank read request_pin_rank_order_idx and request_planning_order_idx, nothing filters on the
  rank alone.
- request_reply_due_order_idx (response_due_at, id) is dropped on PostgreSQL, which reads the
  response sweep from the partial request_reply_due_idx and never scanned it; SQLite keeps it
  (its planner cannot prove the partial index from `status IN (?, ?, ?)` with bound
  parameters), so it leaves SupportRequest.Meta like the SQLite-only indexes of 0019.
- SupportRequest.incident, .follow_up_of, .duplicate_of and Message.canned_response are set on
  almost no row: their indexes become partial (NOT NULL), which serve every lookup of a value
  (`= x` and `IN (...)` imply NOT NULL on both databases) and are not written for a row
  without one.
- Message.request and RequestEvent.request lose their single-column indexes: the composite
  indexes (request, visibility, created_at) and (request, created_at) lead with the column.
- SQLite drops the PostgreSQL order indexes request_pin_due_order_idx,
  request_pin_rank_order_idx and request_planning_order_idx: it orders by
  `next_due_at IS NULL, next_due_at` (tickets.ordering) and reads its own expression indexes
  of 0019, which lead with the same columns. They stay in SupportRequest.Meta for PostgreSQL,
  so a later migration that removes them must use DROP INDEX IF EXISTS on SQLite.

Indexes are dropped with DROP INDEX (IF EXISTS), never by AlterField, which would also drop
and re-add the foreign keys on PostgreSQL (validating every row under an exclusive lock) and
rebuild the whole table on SQLite."""

from django.conf import settings
from django.db import migrations, models

# Django's names for the `db_index=True` indexes these fields had (the same on every database).
PLAIN = {
    "tickets_supportrequest": {
        "priority_rank": "tickets_supportrequest_priority_rank_bd6c9868",
        "incident_id": "tickets_supportrequest_incident_id_ca89c2cc",
        "follow_up_of_id": "tickets_supportrequest_follow_up_of_id_ed1a103a",
        "duplicate_of_id": "tickets_supportrequest_duplicate_of_id_168fb05d",
    },
    "tickets_message": {
        "request_id": "tickets_message_request_id_ae41080a",
        "canned_response_id": "tickets_message_canned_response_id_bbb8644f",
    },
    "tickets_requestevent": {"request_id": "tickets_requestevent_request_id_f324e741"},
}
REPLY_DUE_ORDER = ("request_reply_due_order_idx", '"response_due_at", "id"')
# SQLite only: the PostgreSQL order indexes of SupportRequest.Meta (name -> columns, condition).
POSTGRESQL_ORDERS = {
    "request_pin_due_order_idx": ('"queue_pin", "next_due_at", "received_at", "id"', ""),
    "request_pin_rank_order_idx": (
        '"queue_pin", "priority_rank", "next_due_at", "received_at", "id"',
        "",
    ),
    "request_planning_order_idx": (
        '"priority_rank", "next_due_at", "received_at", "id"',
        " WHERE \"status\" = 'planned'",
    ),
}


def drop_plain(apps, schema_editor):
    quote = schema_editor.quote_name
    for indexes in PLAIN.values():
        for name in indexes.values():
            schema_editor.execute(f"DROP INDEX IF EXISTS {quote(name)}")


def create_plain(apps, schema_editor):
    quote = schema_editor.quote_name
    for table, indexes in PLAIN.items():
        for column, name in indexes.items():
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(table)} ({quote(column)})"
            )


def drop_reply_due_order_on_postgresql(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{REPLY_DUE_ORDER[0]}"')


def create_reply_due_order(apps, schema_editor):
    name, columns = REPLY_DUE_ORDER
    schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "tickets_supportrequest" ({columns})')


def drop_postgresql_orders_on_sqlite(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name in POSTGRESQL_ORDERS:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def create_postgresql_orders_on_sqlite(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name, (columns, where) in POSTGRESQL_ORDERS.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "tickets_supportrequest" ({columns}){where}'
        )


class Migration(migrations.Migration):
    dependencies = [
        ("communities", "0003_allowed_email_domains"),
        ("incidents", "0002_paging_and_escalation_policies"),
        ("tickets", "0020_message_search_vector"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunPython(drop_plain, create_plain),
                migrations.RunPython(drop_reply_due_order_on_postgresql, create_reply_due_order),
            ],
            state_operations=[
                migrations.RemoveIndex(
                    model_name="supportrequest", name="request_reply_due_order_idx"
                ),
                migrations.AlterField(
                    model_name="message",
                    name="canned_response",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=models.deletion.SET_NULL,
                        related_name="+",
                        to="tickets.cannedresponse",
                    ),
                ),
                migrations.AlterField(
                    model_name="message",
                    name="request",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.CASCADE,
                        related_name="messages",
                        to="tickets.supportrequest",
                    ),
                ),
                migrations.AlterField(
                    model_name="requestevent",
                    name="request",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.CASCADE,
                        related_name="events",
                        to="tickets.supportrequest",
                    ),
                ),
                migrations.AlterField(
                    model_name="supportrequest",
                    name="duplicate_of",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=models.deletion.SET_NULL,
                        related_name="duplicates",
                        to="tickets.supportrequest",
                    ),
                ),
                migrations.AlterField(
                    model_name="supportrequest",
                    name="follow_up_of",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=models.deletion.SET_NULL,
                        related_name="follow_ups",
                        to="tickets.supportrequest",
                    ),
                ),
                migrations.AlterField(
                    model_name="supportrequest",
                    name="incident",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=models.deletion.SET_NULL,
                        related_name="requests",
                        to="incidents.incident",
                    ),
                ),
                migrations.AlterField(
                    model_name="supportrequest",
                    name="priority_rank",
                    field=models.PositiveSmallIntegerField(
                        default=7, help_text="1 is highest (DOMAIN.md order); incidents are 0."
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(
                condition=models.Q(("canned_response__isnull", False)),
                fields=["canned_response"],
                name="message_canned_response_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="supportrequest",
            index=models.Index(
                condition=models.Q(("incident__isnull", False)),
                fields=["incident"],
                name="request_incident_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="supportrequest",
            index=models.Index(
                condition=models.Q(("follow_up_of__isnull", False)),
                fields=["follow_up_of"],
                name="request_follow_up_of_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="supportrequest",
            index=models.Index(
                condition=models.Q(("duplicate_of__isnull", False)),
                fields=["duplicate_of"],
                name="request_duplicate_of_idx",
            ),
        ),
        migrations.RunPython(
            drop_postgresql_orders_on_sqlite, create_postgresql_orders_on_sqlite, elidable=False
        ),
    ]
