"""The indexes of notifications_notification (migration 0009): every notification is written
once and updated as it is sent, into each of its indexes, so it keeps none that no query reads
(the `varchar_pattern_ops` copies), none covered by a composite (the recipient's), and a partial
one where almost every row is empty (the incident's). The lookups are still read from indexes."""

from __future__ import annotations

import pytest
from django.db import connection

from notifications.models import Notification
from tests.tickets.test_request_indexes import indexes, plan

pytestmark = pytest.mark.django_db

TABLE = Notification._meta.db_table


def test_notifications_keep_no_pattern_or_covered_indexes():
    found = indexes(TABLE)
    # inbox_idx (recipient, -created_at) serves the recipient's lookups.
    assert [n for n, c in found.items() if c == ["recipient_id"]] == []
    assert [n for n, c in found.items() if c == ["incident_id"]] == ["notification_incident_idx"]
    assert "notification_inbox_idx" in plan(f"SELECT id FROM {TABLE} WHERE recipient_id = 7")  # noqa: S608
    assert "notification_incident_idx" in plan(f"SELECT id FROM {TABLE} WHERE incident_id = 7")  # noqa: S608
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = %s "
                "AND indexdef LIKE '%%pattern_ops%%'",
                [TABLE],
            )
            assert cursor.fetchall() == []
