"""request_comm_idx (community, status, -received_at) becomes request_comm_received_idx
(community, -received_at, -id, status). The representative's list is a community's requests
newest first: ordered by status first, the index gave it every request of the community to sort
(212 rows at 100,000 requests), and at 1,000,000 the planner walked request_received_order_idx
backwards instead, skipping other communities' rows (7,110 rows, 7,367 buffers, 9 ms): the page
grew with the data. In the new order it reads its 25 rows from the index at any size. Status
stays in the key, so the community's counts by state are still index-only and the queue's
community filter checks the state in the index. The same number of indexes is written.

The new index is built before the old one is dropped (one transaction on PostgreSQL)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0021_write_fewer_request_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="supportrequest",
            index=models.Index(
                fields=["community", "-received_at", "-id", "status"],
                name="request_comm_received_idx",
            ),
        ),
        migrations.RemoveIndex(model_name="supportrequest", name="request_comm_idx"),
    ]
