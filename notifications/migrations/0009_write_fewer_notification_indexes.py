"""Fewer indexes written per notification (a submission writes two, a reply one, an SLO sweep
up to one per due deadline and recipient, and each is updated again when sent). Of its 15
indexes on PostgreSQL these are dropped:

- the four `varchar_pattern_ops` copies Django adds beside the indexes of key, kind, message_id
  and status: they serve only LIKE 'prefix%', and the app asks none (exact lookups and IN read
  the plain indexes). Django's state still implies them, so an AlterField of those columns may
  create one again: drop it in the same migration. SQLite never had them.
- the recipient's single-column index: notification_inbox_idx (recipient, -created_at) leads
  with the column and serves the inbox, the unread count and the cascade from a user.
- the incident's: most notifications belong to no incident, so it becomes partial (NOT NULL),
  which still serves `incident_id = x` and the cascade.

Dropped with DROP INDEX IF EXISTS, never AlterField, which would also drop and re-add the
foreign keys on PostgreSQL and rebuild the table on SQLite."""

from django.conf import settings
from django.db import migrations, models

TABLE = "notifications_notification"
# Django's names (the same on every database; the _like ones exist on PostgreSQL only).
LIKE_COLUMNS = {
    "notifications_notification_key_21d62a12_like": "key",
    "notifications_notification_kind_1892a7d7_like": "kind",
    "notifications_notification_message_id_32639e63_like": "message_id",
    "notifications_notification_status_fc366839_like": "status",
}
PLAIN = {
    "recipient_id": "notifications_notification_recipient_id_d055f3f0",
    "incident_id": "notifications_notification_incident_id_f5d6cdb9",
}


def drop(apps, schema_editor):
    quote = schema_editor.quote_name
    for name in [*LIKE_COLUMNS, *PLAIN.values()]:
        schema_editor.execute(f"DROP INDEX IF EXISTS {quote(name)}")


def create(apps, schema_editor):
    quote = schema_editor.quote_name
    for column, name in PLAIN.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(TABLE)} ({quote(column)})"
        )
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in LIKE_COLUMNS.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(TABLE)} "
            f"({quote(column)} varchar_pattern_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0002_paging_and_escalation_policies"),
        ("notifications", "0008_idempotency_sweep_schedule"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop, create)],
            state_operations=[
                migrations.AlterField(
                    model_name="notification",
                    name="incident",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=models.deletion.CASCADE,
                        related_name="notifications",
                        to="incidents.incident",
                    ),
                ),
                migrations.AlterField(
                    model_name="notification",
                    name="recipient",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=models.deletion.CASCADE,
                        related_name="notifications",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("incident__isnull", False)),
                fields=["incident"],
                name="notification_incident_idx",
            ),
        ),
    ]
