"""Drop the single-column indexes of SupportRequest.community, .assignee and .received_at: the
composite indexes request_comm_idx (community_id, status, received_at), request_assignee_load_idx
(assignee_id, status, id) and request_received_order_idx (received_at, id) lead with the same
columns and serve the same lookups, while each index costs every non-HOT update of a request
(a reply changes updated_at and next_due_at, both indexed) an entry of its own.

Only the indexes are dropped (DROP INDEX, on PostgreSQL and SQLite alike): Django's AlterField
would also drop and re-add the foreign-key constraints on PostgreSQL, validating every row
under an exclusive lock, and rebuild the whole table on SQLite."""

from django.conf import settings
from django.db import migrations, models

TABLE = "tickets_supportrequest"
# Django's names for the `db_index=True` indexes these fields had (the same on every database).
INDEXES = {
    "assignee_id": "tickets_supportrequest_assignee_id_abecca7c",
    "community_id": "tickets_supportrequest_community_id_392e5374",
    "received_at": "tickets_supportrequest_received_at_dcf9a16e",
}


def drop(apps, schema_editor):
    quote = schema_editor.quote_name
    for name in INDEXES.values():
        schema_editor.execute(f"DROP INDEX IF EXISTS {quote(name)}")


def create(apps, schema_editor):
    quote = schema_editor.quote_name
    for column, name in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(TABLE)} ({quote(column)})"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("communities", "0003_allowed_email_domains"),
        ("tickets", "0017_render_stored_markdown"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop, create)],
            state_operations=[
                migrations.AlterField(
                    model_name="supportrequest",
                    name="assignee",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=models.deletion.SET_NULL,
                        related_name="assigned_requests",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="supportrequest",
                    name="community",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.PROTECT,
                        related_name="requests",
                        to="communities.community",
                    ),
                ),
                migrations.AlterField(
                    model_name="supportrequest",
                    name="received_at",
                    field=models.DateTimeField(),
                ),
            ],
        ),
    ]
