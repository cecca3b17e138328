"""The organisation's calendar and service level objectives, as admin-editable data."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from supportdesk.singleton import SingletonModel


class ClosedDate(models.Model):
    """A whole day on which no clock runs (a holiday of the team)."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d %b %Y} ({self.name})"


class SLOPolicy(models.Model):
    class Clock(models.TextChoices):
        TRIAGE = "triage", _("Triage")
        FIRST_RESPONSE = "first_response", _("First response")
        INCIDENT_UPDATE = "incident_update", _("Incident status update")
        AUTO_CLOSE = "auto_close", _("Auto-close after resolution")
        TIMEBOX = "timebox", _("Time-box before escalating")

    DEFAULT_MINUTES = {
        Clock.TRIAGE: 8 * 60,
        Clock.FIRST_RESPONSE: 24 * 60,
        Clock.INCIDENT_UPDATE: 3 * 60,
        Clock.AUTO_CLOSE: 48 * 60,
        Clock.TIMEBOX: 30,
    }

    clock = models.CharField(max_length=30, choices=Clock.choices, unique=True)
    target_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], help_text="Working minutes (24 h = one working day)."
    )
    nudge_at_percent = models.PositiveSmallIntegerField(
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Share of the target after which the assignee is nudged.",
    )
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["clock"]
        verbose_name = "SLO policy"
        verbose_name_plural = "SLO policies"
        constraints = [
            models.CheckConstraint(condition=Q(target_minutes__gte=1), name="slo_target_positive"),
            models.CheckConstraint(
                condition=Q(nudge_at_percent__gte=1, nudge_at_percent__lte=100),
                name="slo_nudge_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_clock_display()}: {self.target_minutes / 60:g} working hours"


class CalendarSettings(SingletonModel):
    reference_timezone = models.CharField(max_length=64, default="UTC")
    pause_during_reduced_capacity = models.BooleanField(
        default=False,
        help_text="Pause non-incident clocks in reduced-capacity periods (year edges, holiday "
        "overlaps) instead of the default: clocks run, and a deadline missed in or because of "
        "such a period is excused. Weekends and closed dates never count either way.",
    )
    holiday_overlap_percent = models.PositiveSmallIntegerField(
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="A day is reduced capacity when at least this share of the roster has a public "
        "holiday.",
    )

    class Meta:
        verbose_name = verbose_name_plural = "calendar settings"

    def __str__(self) -> str:
        return "Calendar settings"
