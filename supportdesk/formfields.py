"""Date-time input for every web form: one explicit format and one explicit zone.

A `datetime-local` input shows the browser's locale format (a US browser: "12/01/2026, 02:30
PM") whatever the label says, and Django reads a naive value in the *current* time zone (the
account's zone), so a field labelled "UTC" could be read in Pacific Time. Every date-time field
of the web forms is therefore a `UTCDateTimeField`: a text input that shows and takes
`YYYY-MM-DD HH:MM` (24-hour clock; `T` instead of the space, and seconds, are accepted too),
always in UTC, and says so in its label.

Every field of every page renders through one template, templates/forms/field.html (the form
renderer's `field_template_name`, Django 5): `{{ form.body.as_field_group }}`. A form whose class
says `mark_optional = True` marks its optional fields "(optional)"; the others say it in the
label where it matters, and filter bars mark nothing."""

from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportdesk.formrender import FastWidgetsMixin

FORMAT = "%Y-%m-%d %H:%M"
INPUT_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")
PATTERN = r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?"
HELP = "UTC, written YYYY-MM-DD HH:MM (24-hour clock)."


class UTCDateTimeInput(forms.DateTimeInput):
    input_type = "text"

    def __init__(self, attrs=None):
        defaults = {
            "inputmode": "numeric",
            "placeholder": "YYYY-MM-DD HH:MM",
            "pattern": PATTERN,
            "autocomplete": "off",
            "spellcheck": "false",
            "class": "datetime-utc",
        }
        super().__init__(attrs={**defaults, **(attrs or {})}, format=FORMAT)


class UTCDateTimeField(forms.DateTimeField):
    """Shown and read in UTC, whatever the account's time zone; "(UTC)" ends the label."""

    widget = UTCDateTimeInput

    def __init__(self, *, label: str, help_text: str = "", **kwargs):
        kwargs.setdefault("input_formats", INPUT_FORMATS)
        super().__init__(
            label=_("%(label)s (UTC)") % {"label": label}, help_text=help_text or HELP, **kwargs
        )

    def prepare_value(self, value):
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            return value.astimezone(datetime.UTC).replace(tzinfo=None)
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            parsed = value
        else:
            text = str(value).strip()
            parsed = None
            for fmt in self.input_formats:
                try:
                    parsed = datetime.datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
            if parsed is None:
                raise ValidationError(
                    _("Write the time as YYYY-MM-DD HH:MM, e.g. 2026-03-13 14:30."), code="invalid"
                )
        if timezone.is_naive(parsed):
            parsed = parsed.replace(tzinfo=datetime.UTC)
        return parsed


class FormRenderer(FastWidgetsMixin, TemplatesSetting):
    """settings.FORM_RENDERER: the project's templates (and django.forms' own widgets), and the
    one field template; the commonest widgets are written in Python (supportdesk.formrender)."""

    field_template_name = "forms/field.html"
