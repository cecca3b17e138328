from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from supportdesk.singleton import SingletonModel


class Engineer(models.Model):
    """A member of the engineering team, and so of the rotation roster."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="engineer"
    )
    country = models.CharField(
        max_length=2, help_text="ISO 3166 code; its public holidays shape reduced capacity."
    )
    is_active = models.BooleanField(default=True, help_text="Inactive engineers leave the roster.")
    joined_on = models.DateField(default=datetime.date.today)

    class Meta:
        ordering = ["user__first_name", "user__last_name", "user__username"]

    def __str__(self) -> str:
        return self.user.display_name

    @property
    def roster_name(self) -> str:
        return self.user.display_name


class RotationSettings(SingletonModel):
    start_date = models.DateField(
        default=datetime.date(2026, 1, 5),
        help_text="Date of the first shift change; its weekday is the shift weekday.",
    )
    team_size = models.PositiveSmallIntegerField(default=2)
    tenure_weeks = models.PositiveSmallIntegerField(default=4)
    shift_weeks = models.PositiveSmallIntegerField(default=2)

    class Meta:
        verbose_name = verbose_name_plural = "rotation settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(team_size__gte=1, shift_weeks__gte=1), name="rotation_positive"
            ),
            models.CheckConstraint(
                condition=Q(tenure_weeks=F("team_size") * F("shift_weeks")),
                name="rotation_tenure_is_team_shifts",
            ),
        ]

    def __str__(self) -> str:
        return "Rotation settings"


class RotationOverride(models.Model):
    class Kind(models.TextChoices):
        AWAY = "away", _("Away (skipped; the next person covers)")
        SWAP = "swap", _("Swap turns")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    engineer = models.ForeignKey(Engineer, on_delete=models.CASCADE, related_name="overrides")
    other = models.ForeignKey(
        Engineer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="swapped_overrides",
        help_text="For a swap: the engineer who takes the turn.",
    )
    starts_on = models.DateField()
    ends_on = models.DateField(help_text="Inclusive.")
    reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_on"]
        indexes = [models.Index(fields=["starts_on", "ends_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="override_dates"),
            models.CheckConstraint(
                condition=(Q(kind="swap", other__isnull=False) & ~Q(other=F("engineer")))
                | Q(kind="away", other__isnull=True),
                name="override_swap_needs_other",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.engineer} {self.starts_on}–{self.ends_on}"
