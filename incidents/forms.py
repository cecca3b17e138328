"""Forms of the incident pages. They parse input; the rules live in incidents/services/."""

from __future__ import annotations

from django import forms
from django.db.models import Case, Value, When
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from communities.models import Hub
from incidents.models import Incident, IncidentReport, RoleAssignment, TimelineEntry
from incidents.services.live_log import MANUAL_KINDS
from incidents.services.reports import REPORT_REQUIRED_FOR_REVIEW
from supportdesk.formfields import UTCDateTimeField
from supportdesk.idempotency import OneTimeTokenForm
from supportdesk.limits import MAX_TEXT


def _datetime_field(label: str, *, required: bool = True, help_text: str = "") -> forms.Field:
    """Every date-time of the incident forms: YYYY-MM-DD HH:MM in UTC (supportdesk.formfields)."""
    return UTCDateTimeField(label=label, required=required, help_text=help_text)


def staff_users():
    return User.objects.filter(is_staff=True, is_active=True).order_by(
        "first_name", "last_name", "username"
    )


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class DeclareForm(OneTimeTokenForm):
    mark_optional = True  # templates/forms/field.html

    title = forms.CharField(max_length=200, help_text=_("Short, e.g. “Servers do not start”."))
    hubs = forms.ModelMultipleChoiceField(
        queryset=Hub.objects.filter(is_active=True).select_related("community"),
        widget=forms.CheckboxSelectMultiple,
        label=_("Affected hubs"),
    )
    symptom = forms.ChoiceField(choices=Incident.Symptom.choices)
    affected_users = forms.IntegerField(
        min_value=0,
        max_value=1_000_000,  # as the request form and the API
        label=_("Affected users"),
        help_text=_("How many users are hit (best guess)."),
    )
    detected_by = forms.ChoiceField(choices=Incident.Detection.choices, label=_("Detected by"))
    summary = forms.CharField(
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("What we think it is related to"),
    )
    impact_started_at = _datetime_field(
        "Impact start",
        required=False,
        help_text=_(
            "Best guess of when users were first hit; YYYY-MM-DD HH:MM in UTC. Empty means now."
        ),
    )
    override_reason = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Override reason"),
        help_text=_(
            "Only when the definition (two or more users, one of the four symptoms) is "
            "not met: why is this an incident anyway?"
        ),
    )
    request = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hubs"].label_from_instance = lambda h: f"{h.name} ({h.community.name})"
        # The ticked hubs first (the request's hub when declaring from a request), so they are
        # seen at the top of the scrolling list, then by community and name.
        raw = None
        if self.is_bound:
            key = self.add_prefix("hubs")
            raw = self.data.getlist(key) if hasattr(self.data, "getlist") else self.data.get(key)
            raw = raw if isinstance(raw, list) else [raw] if raw else []
        ticked = raw if raw is not None else (self.initial.get("hubs") or [])
        ids = [int(v) for v in (getattr(h, "pk", h) for h in ticked) if str(v).isdigit()]
        self.fields["hubs"].queryset = (
            Hub.objects.filter(is_active=True)
            .select_related("community")
            .annotate(ticked=Case(When(pk__in=ids, then=Value(0)), default=Value(1)))
            .order_by("ticked", "community__name", "name")
        )


class TimelineEntryForm(forms.Form):
    mark_optional = True  # templates/forms/field.html

    prefix = "entry"

    kind = forms.ChoiceField(
        choices=[(k, TimelineEntry.Kind(k).label) for k in MANUAL_KINDS], label=_("Kind of entry")
    )
    body = forms.CharField(
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("What happened"),
        help_text=_("Markdown. Paste commands as they were run."),
    )
    # Empty means "now", to the second: a prefilled minute would sort a new entry before
    # everything else logged earlier in that minute.
    occurred_at = _datetime_field(
        "When",
        required=False,
        help_text=_(
            "YYYY-MM-DD HH:MM in UTC. Empty means now; set it to back-fill what happened earlier."
        ),
    )
    link_url = forms.URLField(
        required=False,
        assume_scheme="https",
        label=_("Link"),
        help_text=_("Pull request (required for a fix), log, source."),
    )
    is_public = forms.BooleanField(
        required=False,
        label=_("Public"),
        help_text=_("Shown to the community and pre-filled into the report."),
    )


class HandoffForm(forms.Form):
    mark_optional = True  # templates/forms/field.html

    prefix = "handoff"

    role = forms.ChoiceField(
        choices=[
            (RoleAssignment.Role.COMMANDER, RoleAssignment.Role.COMMANDER.label),
            (RoleAssignment.Role.LIAISON, RoleAssignment.Role.LIAISON.label),
        ],
        label=_("Role"),
    )
    to_user = UserChoiceField(queryset=staff_users(), label=_("Hand to"))
    reason = forms.CharField(
        max_length=300, label=_("Why"), help_text=_("E.g. end of my day; better placed colleague.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = staff_users()


class SMEForm(forms.Form):
    mark_optional = True  # templates/forms/field.html

    prefix = "sme"

    user = UserChoiceField(queryset=staff_users(), label=_("Subject matter expert"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = staff_users()


class UpdateForm(forms.Form):
    mark_optional = True  # templates/forms/field.html

    prefix = "update"

    body = forms.CharField(
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 10}),
        label=_("Community update"),
        help_text=_(
            "Required: the current state, what was tried and the next steps (an empty "
            "part, or a {placeholder} left in braces, is refused). {representative_name} is filled "
            "in for each recipient."
        ),
    )


class ResolveForm(forms.Form):
    mark_optional = True  # templates/forms/field.html

    prefix = "resolve"

    impact_ended_at = _datetime_field(
        "Impact end", help_text=_("When users stopped being hit; YYYY-MM-DD HH:MM in UTC.")
    )
    verification_note = forms.CharField(
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("How was the fix verified?"),
        help_text=_("Public: it appears in the timeline."),
    )
    message = forms.CharField(
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 7}),
        label=_("Message to the community"),
    )


class ImpactStartForm(forms.Form):
    mark_optional = True  # templates/forms/field.html

    prefix = "impact"

    at = _datetime_field(
        "Impact start",
        help_text=_("Best guess of when users were first hit; YYYY-MM-DD HH:MM in UTC."),
    )


class ReportForm(forms.Form):
    mark_optional = True  # templates/forms/field.html

    owner = UserChoiceField(queryset=staff_users(), label=_("Owner of the review"), required=False)
    impact_started_at = _datetime_field("Impact start", required=False)
    impact_ended_at = _datetime_field("Impact end", required=False)
    summary = forms.CharField(
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Markdown. Blameless: systems fail, people do not."),
    )
    impact = forms.CharField(
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Who was affected, and how."),
    )
    timeline_markdown = forms.CharField(
        max_length=MAX_TEXT,
        required=False,
        label=_("Timeline"),
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_(
            "Markdown. Pre-filled from the public timeline entries; everything here is published."
        ),
    )
    analysis = forms.CharField(
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Markdown. Why it happened, and why the fixes are systemic."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, report: IncidentReport | None = None, **kwargs):
        if report is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "owner": report.owner_id,
                "impact_started_at": report.impact_started_at,
                "impact_ended_at": report.impact_ended_at,
                "summary": report.summary,
                "impact": report.impact,
                "timeline_markdown": report.timeline_markdown,
                "analysis": report.analysis,
                "version": report.version,
            }
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_users()
        # Required for review (incidents.services.reports.REPORT_REQUIRED_FOR_REVIEW), marked so; a
        # draft may still be saved without them, so the browser does not enforce them.
        for name in REPORT_REQUIRED_FOR_REVIEW:
            self.fields[name].required_for_review = True
            self.fields[name].widget.attrs["aria-required"] = "true"


class ActionItemForm(forms.Form):
    mark_optional = True  # templates/forms/field.html

    prefix = "item"

    description = forms.CharField(max_length=500, label=_("Action item"))
    follow_up_url = forms.URLField(label=_("Follow-up issue URL"), assume_scheme="https")
    owner = UserChoiceField(queryset=staff_users(), label=_("Owner"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_users()
