"""People. Roles (DOMAIN.md "People and roles") are derived, not stored as one field, because
they combine: an engineer is staff with an Engineer record (rotation app); a representative or
hub administrator has a Membership (communities app); a project manager is flagged here."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportdesk.validators import validate_timezone


class User(AbstractUser):
    is_project_manager = models.BooleanField(
        default=False, help_text="Sees everybody's workload and is told about escalations."
    )
    timezone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_timezone],
        help_text="Times are shown to this person in this zone; empty: the support desk's zone.",
    )
    language = models.CharField(
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text="Pages and e-mails are in this language; empty: the browser's language.",
    )
    # {preference kind: [channels]}; a missing kind means every channel (notifications/
    # preferences.py). On the user row so that honouring it costs no query.
    notification_preferences = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["first_name", "last_name", "username"]

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    def __str__(self) -> str:
        return self.display_name


class ApiToken(models.Model):
    """A per-user API token. Only a SHA-256 of the secret is stored; the secret is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    NAME_MAX_LENGTH = 100

    name = models.CharField(max_length=NAME_MAX_LENGTH)
    prefix = models.CharField(
        max_length=12, db_index=True, help_text="First characters, to tell tokens apart."
    )
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty: the token works until it is revoked."
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired


class Invitation(models.Model):
    """An e-mail address invited to become a representative of a community, an engineer or the
    project manager. The link in the e-mail is signed and names the invitation and its current
    nonce: re-sending draws a new nonce (the older link stops working) and a new expiry;
    accepting or revoking ends it for good."""

    class Role(models.TextChoices):
        REPRESENTATIVE = "representative", _("Community representative")
        ENGINEER = "engineer", _("Engineer")
        PROJECT_MANAGER = "project_manager", _("Project manager")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Expired")

    email = models.EmailField(db_index=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.REPRESENTATIVE)
    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
    )
    country = models.CharField(
        max_length=2, blank=True, help_text="Engineers: ISO 3166 code, for public holidays."
    )
    # The invitee has no account yet, so the inviter says which language to write to them in;
    # it becomes the new account's language.
    language = models.CharField(
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text="The invitation e-mail, and then the account, are in this language; empty: "
        "the site's default.",
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    nonce = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="accepted_invitations",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at"]
        indexes = [
            models.Index(
                fields=["community", "expires_at"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_pending_idx",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="representative") | models.Q(community__isnull=False),
                name="invitation_representative_has_community",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["representative", "engineer", "project_manager"]),
                name="invitation_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_role_display()})"

    @property
    def state(self) -> str:
        if self.accepted_at:
            return self.State.ACCEPTED
        if self.revoked_at:
            return self.State.REVOKED
        if self.expires_at <= timezone.now():
            return self.State.EXPIRED
        return self.State.PENDING

    @property
    def is_pending(self) -> bool:
        return self.state == self.State.PENDING
