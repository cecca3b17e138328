"""Availability (DOMAIN.md "Availability, alerting and status"): maintenance windows, monitoring
integrations, the alerts they post, and hub events from which the app evaluates its own rules."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class MaintenanceWindow(models.Model):
    """Intentional downtime, announced before, at the start and when over."""

    hubs = models.ManyToManyField("communities.Hub", related_name="maintenance_windows")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField(db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    announced_at = models.DateTimeField(null=True, blank=True)
    start_announced_at = models.DateTimeField(null=True, blank=True)
    end_announced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="maintenance_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class AlertIntegration(models.Model):
    """A monitoring system allowed to post alerts, authenticated by a bearer token (hashed)."""

    name = models.CharField(max_length=100, unique=True)
    token_hash = models.CharField(max_length=64, unique=True)
    hub_label = models.CharField(max_length=64, default="hub")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class Alert(models.Model):
    class Status(models.TextChoices):
        FIRING = "firing", "Firing"
        RESOLVED = "resolved", "Resolved"

    integration = models.ForeignKey(
        AlertIntegration, on_delete=models.CASCADE, related_name="alerts"
    )
    fingerprint = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=Status.choices)
    name = models.CharField(max_length=200, blank=True)
    labels = models.JSONField(default=dict)
    annotations = models.JSONField(default=dict)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    hub = models.ForeignKey(
        "communities.Hub", on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alerts",
    )
    suppressed_by_maintenance = models.BooleanField(default=False)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            # A replayed payload (same alert, same state, same start) changes nothing.
            models.UniqueConstraint(
                fields=["integration", "fingerprint", "status", "starts_at"],
                name="alert_replay_dedupe",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.fingerprint} ({self.status})"


class HubEvent(models.Model):
    """Events posted by hubs, from which the app itself evaluates alert rules."""

    class Kind(models.TextChoices):
        SERVER_START_FAILED = "server_start_failed", "Server start failed"
        SERVER_START_SUCCEEDED = "server_start_succeeded", "Server start succeeded"

    hub = models.ForeignKey("communities.Hub", on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    user = models.CharField(max_length=150, blank=True)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField()
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="hub_events",
    )

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["hub", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.hub_id}"
