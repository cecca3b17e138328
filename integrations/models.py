"""Integrations: signed outgoing webhooks (and, built on them, the status page's webhook
subscriptions), GitHub issue links, Slack, e-mail subscriptions to the status page."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    """What an outgoing webhook can subscribe to; the payloads are in the OpenAPI schema
    (`x-webhooks`)."""

    REQUEST_CREATED = "request.created", _("A support request was received")
    REQUEST_RESOLVED = "request.resolved", _("A support request was resolved")
    INCIDENT_DECLARED = "incident.declared", _("An incident was declared")
    INCIDENT_UPDATED = "incident.updated", _("A community update was sent on an incident")
    INCIDENT_RESOLVED = "incident.resolved", _("An incident was resolved")
    REPORT_PUBLISHED = "report.published", _("An incident report was published")
    MAINTENANCE_SCHEDULED = "maintenance.scheduled", _("Maintenance was scheduled")


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


class IssueRepository(models.Model):
    """A community's own GitHub repository for engineering issues (else GITHUB_REPOSITORY)."""

    community = models.OneToOneField(
        "communities.Community", on_delete=models.CASCADE, related_name="issue_repository"
    )
    repository = models.CharField(max_length=200, help_text="owner/name on GitHub")

    class Meta:
        verbose_name_plural = "issue repositories"

    def __str__(self) -> str:
        return f"{self.community}: {self.repository}"


class GitHubIssue(models.Model):
    """A GitHub issue or pull request the desk follows (opened from the desk, or pasted by
    hand), kept up to date by GitHub's webhooks."""

    class State(models.TextChoices):
        UNKNOWN = "unknown", _("Not yet known")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        MERGED = "merged", _("Merged")

    repository = models.CharField(max_length=200, help_text="owner/name, lower case")
    number = models.PositiveIntegerField()
    is_pull_request = models.BooleanField(default=False)
    html_url = models.URLField(max_length=500)
    title = models.CharField(max_length=300, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.UNKNOWN)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["repository", "number"]
        constraints = [
            models.UniqueConstraint(fields=["repository", "number"], name="github_issue_once")
        ]

    def __str__(self) -> str:
        return f"{self.repository}#{self.number}"


class GitHubIssueLink(models.Model):
    """Who follows an issue: a request (its engineering issue), an incident (its engineering
    issue, or one its timeline mentions), an action item (its follow-up issue)."""

    issue = models.ForeignKey(GitHubIssue, on_delete=models.CASCADE, related_name="links")
    request = models.ForeignKey(
        "tickets.SupportRequest",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="github_links",
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="github_links",
    )
    action_item = models.ForeignKey(
        "incidents.ActionItem",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="github_links",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(request__isnull=False, incident__isnull=True, action_item__isnull=True)
                | Q(request__isnull=True, incident__isnull=False, action_item__isnull=True)
                | Q(request__isnull=True, incident__isnull=True, action_item__isnull=False),
                name="github_link_one_target",
            ),
            models.UniqueConstraint(
                fields=["issue", "request"],
                condition=Q(request__isnull=False),
                name="github_link_request_once",
            ),
            models.UniqueConstraint(
                fields=["issue", "incident"],
                condition=Q(incident__isnull=False),
                name="github_link_incident_once",
            ),
            models.UniqueConstraint(
                fields=["issue", "action_item"],
                condition=Q(action_item__isnull=False),
                name="github_link_action_item_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issue} ← {self.request_id or self.incident_id or self.action_item_id}"


class GitHubDelivery(models.Model):
    """X-GitHub-Delivery ids already processed: GitHub redelivers, we act once."""

    delivery_id = models.CharField(max_length=100, unique=True)
    event = models.CharField(max_length=50)
    action = models.CharField(max_length=50, blank=True)
    received_at = models.DateTimeField()
    outcome = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "GitHub deliveries"

    def __str__(self) -> str:
        return f"{self.event}.{self.action} {self.delivery_id}"


class SlackMessage(models.Model):
    """An incident's first post in Slack: its thread holds the incident's later posts."""

    incident = models.OneToOneField(
        "incidents.Incident", on_delete=models.CASCADE, related_name="slack_message"
    )
    channel = models.CharField(max_length=50)
    ts = models.CharField(max_length=30, db_index=True)

    def __str__(self) -> str:
        return f"{self.channel} {self.ts}"


class SlackUser(models.Model):
    """Which desk user a Slack user is (matched once by e-mail; editable in admin)."""

    slack_user_id = models.CharField(max_length=30, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"{self.slack_user_id} → {self.user}"


def _new_token() -> str:
    return secrets.token_urlsafe(32)


class StatusSubscription(models.Model):
    """Somebody who asked to be told about outages and maintenance, by e-mail or by webhook.
    Double opt-in: nothing is sent but the confirmation request until they confirm. The token
    in their links is their only credential (confirm, unsubscribe)."""

    email = models.EmailField()
    hubs = models.ManyToManyField(
        "communities.Hub", blank=True, related_name="+", help_text="None chosen: all hubs."
    )
    # A webhook subscription: the endpoint gets the public events (integrations.webhooks).
    webhook = models.OneToOneField(
        WebhookEndpoint,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="subscription",
    )
    token = models.CharField(max_length=64, unique=True, default=_new_token)
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(confirmed_at__isnull=False, unsubscribed_at__isnull=True),
                name="subscription_active_idx",
            )
        ]

    def __str__(self) -> str:
        return f"Subscription {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None
