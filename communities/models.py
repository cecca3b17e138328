from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from supportdesk.singleton import SingletonModel
from supportdesk.validators import validate_timezone


class Community(models.Model):
    class Kind(models.TextChoices):
        RESEARCH = "research", _("Research")
        EDUCATION = "education", _("Education")
        DEDICATED = "dedicated", _("Dedicated cluster")

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.RESEARCH)
    timezone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        help_text="Times are shown to this community in this zone, and its budget months follow "
        "it. Its deadlines use the team's reference zone unless it has its own calendar.",
    )
    own_calendar = models.BooleanField(
        default=False,
        help_text="Run this community's clocks on a working week (Monday 00:00 to Saturday 00:00) "
        "in its own time zone instead of the team's reference zone. Off by default: one "
        "reference clock for every community (DOMAIN.md, working time).",
    )
    is_active = models.BooleanField(default=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="communities"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "communities"

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        REPRESENTATIVE = "representative", _("Community Representative")
        HUB_ADMIN = "hub_admin", _("Hub Administrator")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.REPRESENTATIVE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "community"], name="membership_unique"),
            # A representative speaks for exactly one community (DOMAIN.md).
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(role="representative"),
                name="representative_of_one_community",
            ),
            models.CheckConstraint(
                condition=Q(role__in=["representative", "hub_admin"]), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} of {self.community}"


class Hub(models.Model):
    class Status(models.TextChoices):
        OPERATIONAL = "operational", _("Operational")
        DEGRADED = "degraded", _("Degraded")
        OUTAGE = "outage", _("Outage")
        MAINTENANCE = "maintenance", _("Under maintenance")

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="hubs")
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    url = models.URLField()
    cluster = models.CharField(max_length=100)
    # Derived from open incidents and maintenance windows, stored so lists never compute it.
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.OPERATIONAL, db_index=True
    )
    status_override = models.CharField(max_length=20, choices=Status.choices, blank=True)
    status_override_reason = models.CharField(max_length=300, blank=True)
    has_dask_gateway = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["community__name", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status_override="") | ~Q(status_override_reason=""),
                name="hub_status_override_needs_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def effective_status(self) -> str:
        return self.status_override or self.status


class SupportBudget(models.Model):
    """Hours of non-incident support a community may draw on in one calendar month."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="budgets")
    month = models.DateField(help_text="First day of the month, in the community's time zone.")
    hours = models.DecimalField(
        max_digits=7, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-month", "community__name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "month"], name="budget_one_per_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="budget_month_is_first_day"),
            models.CheckConstraint(condition=Q(hours__gte=0), name="budget_hours_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.community} {self.month:%Y-%m}"


class BudgetSettings(SingletonModel):
    """The capacity formula behind the default budget (DOMAIN.md "Support budget")."""

    hours_per_engineer_month = models.DecimalField(
        max_digits=6, decimal_places=2, default=Decimal("173")
    )
    support_share_percent = models.PositiveSmallIntegerField(
        default=20, validators=[MaxValueValidator(100)]
    )
    communities_per_engineer = models.PositiveSmallIntegerField(
        default=12,
        validators=[MinValueValidator(1)],
        help_text="Between 8 (research, dedicated clusters) and 20 (education on shared ones).",
    )
    alert_thresholds = models.CharField(
        max_length=50, default="80,100", help_text="Percent of budget at which admins are told."
    )

    class Meta:
        verbose_name = verbose_name_plural = "budget settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(support_share_percent__lte=100), name="budget_share_at_most_100"
            ),
            models.CheckConstraint(
                condition=Q(communities_per_engineer__gte=1), name="budget_cpe_positive"
            ),
        ]

    def __str__(self) -> str:
        return "Budget settings"

    @property
    def default_monthly_hours(self) -> Decimal:
        share = self.hours_per_engineer_month * self.support_share_percent / 100
        return (share / self.communities_per_engineer).quantize(Decimal("0.01"))


class AllowedEmailDomain(models.Model):
    """People whose provider (GitHub, Google, OpenID Connect) vouches for a verified address in
    this domain may sign in without an invitation, as representatives of the community."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="allowed_email_domains"
    )
    domain = models.CharField(
        max_length=253, unique=True, help_text="e.g. example.edu (exact match, no wildcards)."
    )

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return f"{self.domain} → {self.community}"

    def save(self, *args, **kwargs):
        self.domain = self.domain.strip().lower().lstrip("@")
        super().save(*args, **kwargs)
