"""Full-text search on PostgreSQL (tickets/search.py): a stored generated tsvector column of
the request's subject (weight A) and description (weight B) with a GIN index, and a GIN
expression index on message bodies. PostgreSQL only: SQLite searches with icontains, and the
model does not declare the column (Django cannot express it for both databases); changing the
type of subject or description later needs this column dropped first."""

from django.db import migrations

REQUEST_VECTOR_SQL = (
    "setweight(to_tsvector('english'::regconfig, coalesce(subject, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B')"
)
MESSAGE_VECTOR_SQL = "to_tsvector('english'::regconfig, coalesce(body, ''))"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "ALTER TABLE tickets_supportrequest ADD COLUMN IF NOT EXISTS search_vector tsvector "
        f"GENERATED ALWAYS AS ({REQUEST_VECTOR_SQL}) STORED"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS request_search_idx ON tickets_supportrequest "
        "USING gin (search_vector)"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS message_search_idx ON tickets_message "
        f"USING gin (({MESSAGE_VECTOR_SQL}))"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS message_search_idx")
    schema_editor.execute("DROP INDEX IF EXISTS request_search_idx")
    schema_editor.execute("ALTER TABLE tickets_supportrequest DROP COLUMN IF EXISTS search_vector")


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0013_request_duplicate_of_and_planning_index"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
