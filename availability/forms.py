"""Forms of the maintenance page. They parse input; the rules live in availability/services/."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from communities.models import Hub
from supportdesk.formfields import UTCDateTimeField
from supportdesk.limits import MAX_TEXT


def _datetime_field(label: str) -> forms.DateTimeField:
    """YYYY-MM-DD HH:MM in UTC, as every date-time of the web forms (supportdesk.formfields)."""
    return UTCDateTimeField(label=label)


class HubChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.community.name})"


class MaintenanceForm(forms.Form):
    mark_optional = True  # templates/forms/field.html

    hubs = HubChoiceField(
        queryset=Hub.objects.filter(is_active=True)
        .select_related("community")
        .order_by("community__name", "name"),
        widget=forms.CheckboxSelectMultiple,
        label=_("Affected hubs"),
    )
    title = forms.CharField(
        max_length=200, help_text=_("Shown publicly, e.g. “Kubernetes upgrade of the cluster”.")
    )
    description = forms.CharField(
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What users will notice. Markdown; shown publicly and e-mailed."),
    )
    starts_at = _datetime_field("Starts")
    ends_at = _datetime_field("Ends")
    accept_warnings = forms.BooleanField(
        required=False, label=_("Schedule it anyway: I have read the warnings above")
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and end <= start:
            self.add_error("ends_at", _("The window must end after it starts."))
        return data


class StatusOverrideForm(forms.Form):
    mark_optional = True  # templates/forms/field.html

    status = forms.ChoiceField(
        choices=[("", _("No override: derive it")), *Hub.Status.choices],
        required=False,
        label=_("Shown status"),
    )
    reason = forms.CharField(
        max_length=300,
        required=False,
        label=_("Reason (shown publicly)"),
    )
