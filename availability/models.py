"""Availability (DOMAIN.md "Availability, alerting and status"): maintenance windows, monitoring
integrations, the alerts they post, and hub events from which the app evaluates its own rules."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from supportdesk.singleton import SingletonModel


class AvailabilitySettings(SingletonModel):
    """Admin-editable numbers behind alerting, maintenance warnings and the status page."""

    failure_threshold = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text="Server starts that must fail in a row on one hub to open an incident.",
    )
    failure_window_minutes = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
        help_text="The failures must all fall within this many minutes.",
    )
    heavy_use_start_hour = models.PositiveSmallIntegerField(
        default=8,
        validators=[MaxValueValidator(23)],
        help_text="Weekday daytime of heavy use starts at this hour, in each community's time "
        "zone. Maintenance overlapping it is warned about.",
    )
    heavy_use_end_hour = models.PositiveSmallIntegerField(
        default=18,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text="…and ends at this hour (exclusive).",
    )
    status_cache_seconds = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text="How long the public status page may be served from the cache. Changes to "
        "incidents and maintenance windows refresh it at once.",
    )

    class Meta:
        verbose_name = verbose_name_plural = "availability settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(heavy_use_end_hour__gt=F("heavy_use_start_hour")),
                name="availability_heavy_use_hours_ordered",
            ),
            models.CheckConstraint(
                condition=Q(failure_threshold__gte=1), name="availability_threshold_positive"
            ),
        ]

    def __str__(self) -> str:
        return "Availability settings"


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
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What the scheduler was warned about (heavy use, reduced capacity) and chose to accept.
    warnings = models.JSONField(default=list, blank=True)
    version = models.PositiveIntegerField(default=1)
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

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    def is_active_at(self, instant) -> bool:
        return not self.is_cancelled and self.starts_at <= instant < self.ends_at


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
        FIRING = "firing", _("Firing")
        RESOLVED = "resolved", _("Resolved")

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
        SERVER_START_FAILED = "server_start_failed", _("Server start failed")
        SERVER_START_SUCCEEDED = "server_start_succeeded", _("Server start succeeded")

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
        constraints = [
            # The same event posted twice (a retry) is recorded once.
            models.UniqueConstraint(
                fields=["hub", "kind", "user", "occurred_at"], name="hubevent_replay_dedupe"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.hub_id}"


class AvailabilityLog(models.Model):
    """The audit trail of this app: who scheduled or cancelled what, which status changed, which
    incident monitoring opened. Services write one row per state change."""

    class Kind(models.TextChoices):
        MAINTENANCE_SCHEDULED = "maintenance_scheduled", _("Maintenance scheduled")
        MAINTENANCE_CANCELLED = "maintenance_cancelled", _("Maintenance cancelled")
        MAINTENANCE_STARTED = "maintenance_started", _("Maintenance started")
        MAINTENANCE_ENDED = "maintenance_ended", _("Maintenance ended")
        STATUS_CHANGED = "status_changed", _("Hub status changed")
        OVERRIDE_SET = "override_set", _("Status override set")
        OVERRIDE_CLEARED = "override_cleared", _("Status override cleared")
        INCIDENT_OPENED = "incident_opened", _("Incident opened by monitoring")
        INTEGRATION_CREATED = "integration_created", _("Alert integration created")

    kind = models.CharField(max_length=30, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hub = models.ForeignKey(
        "communities.Hub", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    window = models.ForeignKey(
        MaintenanceWindow, on_delete=models.CASCADE, null=True, blank=True, related_name="log"
    )
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    detail = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.created_at:%Y-%m-%d %H:%M}"
