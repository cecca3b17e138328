"""PostgreSQL only: the queue filtered by community reads its first page from an index.

The queue's community filter (open requests of one community in the queue's order: pinned
first, nearest deadline, none last) was read from request_comm_received_idx and sorted: every
open request of the community, 120 rows at 100,000 requests (0.8 ms) and 1,200 at 1,000,000
(1,353 buffers, 4.6 ms), so the page grew with the data. This index holds the open requests
of each community in the queue's order, and the page reads its 25 rows.

Partial (open requests only, the queue's default state), so a closed request writes nothing
here; an open one's update writes one entry more. SQLite gets nothing: it cannot prove the
partial index from `status IN (?, ?, ?)` with bound parameters, and its order is spelled
differently (tickets.ordering); it keeps sorting the community's rows. Not in
SupportRequest.Meta (Django cannot spell an index for one database only), like 0019's."""

from django.db import migrations

NAME = "request_comm_due_open_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{NAME}" ON "tickets_supportrequest" '
        '("community_id", "queue_pin", "next_due_at", "received_at", "id") '
        "WHERE \"status\" IN ('new', 'triaged', 'planned')"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'DROP INDEX IF EXISTS "{NAME}"')


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0022_community_requests_newest_first_index"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
