"""Incidents (DOMAIN.md "Lifecycle of an incident", "The incident report", "Availability")."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Incident(models.Model):
    class State(models.TextChoices):
        TRIGGERED = "triggered", _("Triggered")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        # Spanish: "Resuelto", "Cerrado" (el incidente); a request is "Resuelta", "Cerrada".
        RESOLVED = "resolved", pgettext_lazy("incident", "Resolved")
        CLOSED = "closed", pgettext_lazy("incident", "Closed")

    OPEN_STATES = (State.TRIGGERED, State.ACKNOWLEDGED)

    class Symptom(models.TextChoices):
        LOGIN = "login", _("Users cannot log in")
        START_SERVERS = "start_servers", _("Users cannot start their servers")
        RUN_CODE = "run_code", _("Users cannot execute code (no kernel starts)")
        DASK_GATEWAY = "dask_gateway", _("Users cannot create or use Dask Gateway clusters")
        OTHER = "other", _("Other (override)")

    class Detection(models.TextChoices):
        ALERT = "alert", _("Monitoring alert")
        COMMUNITY = "community", _("Community report")
        TEAM = "team", _("Noticed by the team")

    class Severity(models.TextChoices):
        DEGRADED = "degraded", _("Degraded")
        OUTAGE = "outage", _("Outage")

    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True, help_text="What we think it is related to.")
    hubs = models.ManyToManyField("communities.Hub", related_name="incidents")
    symptom = models.CharField(max_length=20, choices=Symptom.choices)
    affected_users = models.PositiveIntegerField(default=0)
    definition_override_reason = models.CharField(
        max_length=500,
        blank=True,
        help_text=(
            "Why this is an incident although the definition (N >= 2 and a symptom) is not met."
        ),
    )
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.OUTAGE)
    state = models.CharField(max_length=20, choices=State.choices, default=State.TRIGGERED)
    detected_by = models.CharField(max_length=20, choices=Detection.choices)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="declared_incidents",
    )

    declared_at = models.DateTimeField(db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    community_confirmed_at = models.DateTimeField(null=True, blank=True)
    impact_started_at = models.DateTimeField(help_text="Best guess of when users were first hit.")
    impact_ended_at = models.DateTimeField(null=True, blank=True)
    verification_note = models.TextField(blank=True, help_text="How the fix was verified.")

    # Paging (incidents/paging.py): how many steps of the severity's escalation policy have
    # run, and when the next one is due; cleared by the acknowledgement.
    page_steps_done = models.PositiveSmallIntegerField(default=0)
    next_page_at = models.DateTimeField(null=True, blank=True)

    # Deadlines (slo/services.py).
    last_update_sent_at = models.DateTimeField(null=True, blank=True)
    next_update_due_at = models.DateTimeField(null=True, blank=True)
    escalation_due_at = models.DateTimeField(null=True, blank=True)
    auto_close_due_at = models.DateTimeField(null=True, blank=True)

    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-declared_at"]
        indexes = [
            models.Index(fields=["state", "-declared_at"], name="incident_state_idx"),
            models.Index(
                fields=["next_update_due_at"],
                condition=Q(state__in=["triggered", "acknowledged"]),
                name="incident_update_due_idx",
            ),
            models.Index(
                fields=["next_page_at"],
                condition=Q(state="triggered"),
                name="incident_page_due_idx",
            ),
            models.Index(
                fields=["escalation_due_at"],
                condition=Q(state__in=["triggered", "acknowledged"], escalated_at__isnull=True),
                name="incident_escalation_due_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["triggered", "acknowledged", "resolved", "closed"]),
                name="incident_state_valid",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["resolved", "closed"])
                | Q(resolved_at__isnull=False, impact_ended_at__isnull=False),
                name="incident_resolved_has_times",
            ),
            models.CheckConstraint(
                condition=~Q(state="closed") | Q(closed_at__isnull=False),
                name="incident_closed_has_time",
            ),
            models.CheckConstraint(
                condition=Q(impact_ended_at__isnull=True)
                | Q(impact_ended_at__gte=F("impact_started_at")),
                name="incident_impact_end_after_start",
            ),
            # The definition (DOMAIN.md): N >= 2 and one of the four symptoms, else a reason.
            models.CheckConstraint(
                condition=(Q(affected_users__gte=2) & ~Q(symptom="other"))
                | ~Q(definition_override_reason=""),
                name="incident_definition_or_override",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return f"INC-{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES


class RoleAssignment(models.Model):
    """Who holds which incident role, with history: a hand-off ends one row and starts another."""

    class Role(models.TextChoices):
        COMMANDER = "commander", _("Incident Commander")
        LIAISON = "liaison", _("External Liaison")
        SME = "sme", _("Subject Matter Expert")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=20, choices=Role.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "role"],
                condition=Q(ended_at__isnull=True, role__in=["commander", "liaison"]),
                name="incident_one_current_commander_and_liaison",
            ),
            models.UniqueConstraint(
                fields=["incident", "role", "user"],
                condition=Q(ended_at__isnull=True),
                name="incident_role_holder_once",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="role_assignment_dates",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.user}"


class TimelineEntry(models.Model):
    class Kind(models.TextChoices):
        NOTE = "note", _("Note")
        COMMAND = "command", _("Command run")
        ACTION = "action", _("Action taken")
        FIX = "fix", _("Fix attempted")
        COMMUNICATION = "communication", _("Community communication")
        UPDATE = "update", _("Community update")
        STATE = "state", _("State change")
        HANDOFF = "handoff", _("Role hand-off")
        ALERT = "alert", _("Alert")
        ESCALATION = "escalation", _("Escalation")
        PAGE = "page", _("Page")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    body = models.TextField()
    link_url = models.URLField(blank=True, help_text="Pull request, log, source of the report.")
    occurred_at = models.DateTimeField(help_text="Editable, so the timeline can be back-filled.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_public = models.BooleanField(
        default=False, help_text="Public entries appear on the status page and in reports."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "pk"]
        verbose_name_plural = "timeline entries"
        indexes = [models.Index(fields=["incident", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.occurred_at:%Y-%m-%d %H:%M}"


class IncidentReportQuerySet(models.QuerySet):
    def published(self) -> IncidentReportQuerySet:
        """The reports the public may read: reviewed, and published (the one definition the
        archive, the report pages, the API and the incident page use)."""
        return self.filter(review_state=IncidentReport.Review.REVIEWED, published_at__isnull=False)


class IncidentReport(models.Model):
    class Review(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        REVIEWED = "reviewed", _("Reviewed")

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="report")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_reports",
        help_text="Owner of the review process.",
    )
    review_state = models.CharField(max_length=20, choices=Review.choices, default=Review.DRAFT)
    summary = models.TextField(blank=True)
    impact = models.TextField(blank=True, help_text="Who was affected, and how.")
    impact_started_at = models.DateTimeField(null=True, blank=True)
    impact_ended_at = models.DateTimeField(null=True, blank=True)
    timeline_markdown = models.TextField(blank=True, help_text="Pre-filled from the live timeline.")
    analysis = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = IncidentReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(review_state__in=["draft", "in_review", "reviewed"]),
                name="report_review_state_valid",
            ),
            models.CheckConstraint(
                condition=~Q(review_state="reviewed") | Q(reviewed_at__isnull=False),
                name="report_reviewed_has_time",
            ),
            models.CheckConstraint(
                condition=Q(published_at__isnull=True) | Q(review_state="reviewed"),
                name="report_published_only_when_reviewed",
            ),
        ]

    def __str__(self) -> str:
        return f"Report for {self.incident.reference}"


class ActionItem(models.Model):
    report = models.ForeignKey(
        IncidentReport, on_delete=models.CASCADE, related_name="action_items"
    )
    description = models.CharField(max_length=500)
    follow_up_url = models.URLField(help_text="The follow-up issue that tracks it.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    done = models.BooleanField(default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["done", "created_at", "pk"]
        indexes = [
            models.Index(fields=["created_at"], condition=Q(done=False), name="actionitem_open_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(done=False) | Q(done_at__isnull=False), name="actionitem_done_has_time"
            ),
        ]

    def __str__(self) -> str:
        return self.description


class EscalationPolicy(models.Model):
    """Who is paged about an unacknowledged incident of one severity, when, and how (DOMAIN.md,
    "incident acknowledgement" and the severity calibration). Data an admin edits."""

    severity = models.CharField(max_length=10, choices=Incident.Severity.choices, unique=True)
    escalate_out_of_hours = models.BooleanField(
        default=False,
        help_text="Escalate outside working time too (minutes then count on the wall clock). "
        "Only outages may; otherwise the first page goes out at once and escalation waits for "
        "working time.",
    )

    class Meta:
        verbose_name_plural = "escalation policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(escalate_out_of_hours=False) | Q(severity="outage"),
                name="escalation_out_of_hours_outage_only",
            ),
        ]

    def __str__(self) -> str:
        return f"Escalation policy: {self.get_severity_display().lower()}"

    def clean(self) -> None:
        if self.escalate_out_of_hours and self.severity != Incident.Severity.OUTAGE:
            raise ValidationError(
                {"escalate_out_of_hours": _("Only an outage may escalate out of working hours.")}
            )


class EscalationStep(models.Model):
    class Target(models.TextChoices):
        STEWARDS = "stewards", _("The stewards on duty")
        ENGINEERING = "engineering", _("The engineering channel (chat, else every engineer)")
        MANAGERS = "managers", _("The project managers")

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    after_minutes = models.PositiveIntegerField(
        help_text="Working minutes after the incident opened, unacknowledged (0: at once)."
    )
    target = models.CharField(max_length=20, choices=Target.choices)
    by_email = models.BooleanField(default=True, help_text="E-mail each person.")
    in_app = models.BooleanField(default=True, help_text="Show it in each person's inbox.")
    by_chat = models.BooleanField(
        default=True, help_text="Post in the team chat, when a chat webhook is configured."
    )

    class Meta:
        ordering = ["after_minutes", "pk"]

    def __str__(self) -> str:
        return f"After {self.after_minutes} working minutes: {self.get_target_display()}"
