"""Project-wide tables that belong to no domain app."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class IdempotencyKey(models.Model):
    """One creating request, remembered for 24 hours (supportdesk/idempotency.py): an API
    client's `Idempotency-Key`, or the one-time token of a web form. The unique (user, key)
    makes a second, concurrent attempt wait for the first and then replay its answer, in any
    process. Swept by the beat task "supportdesk.idempotency_sweep"."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # SHA-256 of the method, path and canonical body: the same key with another body is a
    # client's mistake (409), never a replay.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=0)
    body = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
