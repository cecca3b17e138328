"""Every e-mail, webhook post and nudge the product sends is a Notification row first.

The unique `key` names the reason for sending (e.g. "slo:triage:request:42:<due>:breach:user:7"):
claiming the row in the same transaction as the decision to send is what makes every sweep and
task idempotent. Delivery happens afterwards and is retried; the row records how it went."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        WEBHOOK = "webhook", _("Chat webhook")
        IN_APP = "in_app", _("In the app only")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        # The recipient turned this kind off on every channel (notifications/preferences.py):
        # claimed all the same, so the decision is recorded once and never re-made.
        SKIPPED = "skipped", _("Not sent: turned off by the recipient")

    # Every notification is written once and updated as it is sent, each time into every index
    # of the table: on PostgreSQL the `varchar_pattern_ops` copies Django adds for the indexed
    # text columns below (only a LIKE 'prefix%' reads them, and none is asked) are dropped by
    # migration 0009, which also makes the recipient's (inbox_idx leads with it) and the
    # incident's (most notifications have none) indexes go. An AlterField of key, kind,
    # message_id or status may bring a `_like` index back: drop it in the same migration.
    key = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=50, db_index=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        db_index=False,  # notification_inbox_idx leads with it
    )
    recipient_email = models.EmailField(blank=True)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    url = models.CharField(max_length=500, blank=True)
    # E-mail only: the Message-ID every attempt sends, derived from the key (so retries agree),
    # looked up when a reply's In-Reply-To/References names it (tickets.inbound).
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    request = models.ForeignKey(
        "tickets.SupportRequest",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        db_index=False,  # notification_incident_idx: partial, most notifications have none
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # While pending: not before this instant. Set to a lease while one worker sends (so nobody
    # else sends it meanwhile, and a worker that dies mid-send is retried after the lease), then
    # to the back-off after a failed attempt. Read by the pending sweep, which retries.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox_idx"),
            models.Index(
                fields=["created_at"],
                condition=Q(status="pending"),
                name="notification_pending_idx",
            ),
            models.Index(
                fields=["incident"],
                condition=Q(incident__isnull=False),
                name="notification_incident_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(recipient__isnull=False)
                | ~Q(recipient_email="")
                | Q(channel="webhook"),
                name="notification_has_recipient",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="notification_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_email or self.recipient_id}"
