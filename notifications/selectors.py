"""Reads of notifications, scoped to the user who asks."""

from __future__ import annotations

from django.db.models import QuerySet

from notifications.models import Notification


def nudge_list(*, user) -> QuerySet[Notification]:
    """The user's own notifications, newest first (through the inbox index). Only the columns
    the list shows; the body can be long."""
    return (
        Notification.objects.filter(recipient=user)
        .only("pk", "kind", "subject", "url", "created_at", "read_at", "status", "channel")
        .order_by("-created_at", "-pk")
    )


def unread_count(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
