"""Integrations: signed outgoing webhooks (and, built on them, the status page's webhook
subscriptions), GitHub issue links, Slack, e-mail subscriptions to the status page."""

from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.db.models import Q


class Event(models.TextChoices):
    """What an outgoing webhook can subscribe to; the payloads are in the OpenAPI schema
    (`x-webhooks`)."""

    REQUEST_CREATED = "request.created", "A support request was received"
    REQUEST_RESOLVED = "request.resolved", "A support request was resolved"
    INCIDENT_DECLARED = "incident.declared", "An incident was declared"
    INCIDENT_UPDATED = "incident.updated", "A community update was sent on an incident"
    INCIDENT_RESOLVED = "incident.resolved", "An incident was resolved"
    REPORT_PUBLISHED = "report.published", "An incident report was published"
    MAINTENANCE_SCHEDULED = "maintenance.scheduled", "Maintenance was scheduled"


# What the public may subscribe to from the status page: nothing about a community's requests.
PUBLIC_EVENTS = (
    Event.INCIDENT_DECLARED,
    Event.INCIDENT_UPDATED,
    Event.INCIDENT_RESOLVED,
    Event.REPORT_PUBLISHED,
    Event.MAINTENANCE_SCHEDULED,
)


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    """A URL that receives signed JSON posts for a chosen set of events."""

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    secret = models.CharField(
        max_length=100,
        default=_new_secret,
        help_text="Shared with the receiver, which checks X-Supportdesk-Signature with it.",
    )
    events = models.JSONField(
        default=list, help_text="The events sent to this URL (see the API schema's x-webhooks)."
    )
    hubs = models.ManyToManyField(
        "communities.Hub",
        blank=True,
        related_name="+",
        help_text="Only events about these hubs (incidents, maintenance); none chosen: all.",
    )
    is_active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    # Set for endpoints registered by the public on the status page (public events only).
    subscriber_email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["is_active"], condition=Q(is_active=True), name="webhook_active")
        ]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One event for one endpoint. Its Notification (unique key per event and endpoint) is what
    makes it exactly once; its attempts are the delivery log."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    notification = models.OneToOneField(
        "notifications.Notification", on_delete=models.CASCADE, related_name="webhook_delivery"
    )
    event = models.CharField(max_length=40, choices=Event.choices)
    event_id = models.CharField(max_length=200)
    # Sent as X-Supportdesk-Delivery, the same on every retry, so a receiver can de-duplicate.
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_once_per_event")
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["attempted_at", "pk"]

    def __str__(self) -> str:
        return f"{self.status_code or self.error} at {self.attempted_at:%Y-%m-%d %H:%M:%S}"
