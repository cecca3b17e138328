"""The project's form renderer writes the commonest widgets in Python (supportdesk.formrender):
byte for byte what Django's own templates write, for every kind it takes over, and it leaves
everything else (and any overridden template) to the templates."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import TemplatesSetting, get_default_renderer
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from supportdesk.formfields import FormRenderer
from supportdesk.formrender import FastWidgetsMixin


class TemplatesOnly(TemplatesSetting):
    """The project's renderer without the fast path: every widget through its template."""

    field_template_name = FormRenderer.field_template_name


class Everything(forms.Form):
    text = forms.CharField(label="Text", max_length=20, help_text="Help", initial='a "b" <c>')
    optional = forms.CharField(required=False)
    number = forms.IntegerField(min_value=0, initial=1500)
    amount = forms.DecimalField(initial=Decimal("1234.5"))
    email = forms.EmailField(required=False, widget=forms.EmailInput(attrs={"autofocus": True}))
    url = forms.URLField(assume_scheme="https", required=False)
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True), initial="x&y")
    hidden = forms.CharField(widget=forms.HiddenInput, initial=7)
    flag = forms.BooleanField(required=False, initial=True)
    off = forms.BooleanField(required=False, widget=forms.CheckboxInput(attrs={"disabled": False}))
    day = forms.DateField(initial=datetime.date(2026, 12, 1))
    at = forms.DateTimeField(initial=datetime.datetime(2026, 12, 1, 9, 30))
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), initial="<b>x</b>\n& y")
    empty_body = forms.CharField(widget=forms.Textarea, required=False)
    choice = forms.ChoiceField(
        choices=[("", "Any"), ("a", "Apple & pear"), (1, gettext_lazy("Closed")), ("c", "<c>")],
        initial="a",
    )
    grouped = forms.ChoiceField(
        choices=[
            ("Fruit", [("apple", "Apple"), ("pear", "Pear")]),
            ("Veg <raw>", [("leek", "Leek")]),
            ("plain", "Plain"),
        ],
        initial="leek",
    )
    several = forms.MultipleChoiceField(
        choices=[("a", "A"), ("b", "B"), ("c", "C")], initial=["a", "c"]
    )
    safe_label = forms.ChoiceField(choices=[("s", mark_safe("<em>safe</em>"))])
    numbers = forms.TypedChoiceField(choices=[(1, 1000), (2, 2.5)], coerce=int, initial=2)
    radio = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)
    boxes = forms.MultipleChoiceField(
        choices=[("a", "A"), ("b", "B")], widget=forms.CheckboxSelectMultiple, required=False
    )
    upload = forms.FileField(required=False)
    null = forms.NullBooleanField()


def _render_all(form, renderer) -> dict[str, str]:
    form.renderer = renderer
    out = {}
    for name in form.fields:
        bound = form[name]
        out[name] = str(bound)
        out[f"{name} errors"] = str(bound.errors)
    out["non-field errors"] = str(form.non_field_errors())
    return out


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"text": "x" * 30, "number": "-1", "choice": "zz", "several": ["b"], "grouped": "apple"},
    ],
    ids=["unbound", "bound with errors"],
)
@pytest.mark.parametrize("language", ["en", "es"])
def test_every_widget_renders_exactly_as_djangos_templates(data, language):
    with override(language):
        ours = _render_all(Everything(data, auto_id="id_%s"), FormRenderer())
        theirs = _render_all(Everything(data, auto_id="id_%s"), TemplatesOnly())
    assert ours == theirs
    assert 'value="a &quot;b&quot; &lt;c&gt;"' in ours["text"] or data is not None
    assert "&lt;c&gt;</option>" in ours["choice"]


def test_the_whole_form_renders_exactly_as_djangos_templates():
    form = Everything({"text": "", "number": "x"})
    form.renderer = FormRenderer()
    ours = str(form)
    form = Everything({"text": "", "number": "x"})
    form.renderer = TemplatesOnly()
    assert ours == str(form)


def test_the_project_uses_it():
    assert isinstance(get_default_renderer(), FastWidgetsMixin)


def test_an_overridden_template_is_still_used(monkeypatch):
    """A widget template outside django/forms (an override) is rendered by the template."""
    renderer = FormRenderer()
    renderer._own_templates = {"django/forms/widgets/attrs.html": False}
    form = Everything()
    form.renderer = renderer
    calls = []
    original = TemplatesSetting.render

    def spy(self, template_name, context, request=None):
        calls.append(template_name)
        return original(self, template_name, context, request)

    monkeypatch.setattr(TemplatesSetting, "render", spy)
    str(form["choice"])
    str(form["text"])
    assert "django/forms/widgets/select.html" in calls
    assert "django/forms/widgets/text.html" in calls


def test_fast_widgets_do_not_touch_the_templates(monkeypatch):
    renderer = FormRenderer()
    form = Everything()
    form.renderer = renderer
    str(form["choice"])  # resolves which templates are Django's own, once
    calls = []
    monkeypatch.setattr(
        TemplatesSetting, "render", lambda self, name, *a, **k: calls.append(name) or ""
    )
    for name in ("text", "number", "choice", "grouped", "body", "flag", "hidden"):
        str(form[name])
        str(form[name].errors)
    assert calls == []


class Optional(Everything):
    """A form that marks its optional fields, with a field required for review."""

    mark_optional = True
    review = forms.CharField(required=False, label="Root cause <why>", help_text="Say & why")
    flag_help = forms.BooleanField(required=False, help_text="Tick <it>")
    shown_initial = forms.CharField(show_hidden_initial=True, initial="i")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["review"].required_for_review = True


def _field_groups(form, renderer) -> dict[str, str]:
    form.renderer = renderer
    return {name: form[name].as_field_group() for name in form.fields}


@pytest.mark.parametrize("form_class", [Everything, Optional])
@pytest.mark.parametrize(
    "data",
    [None, {"text": "x" * 30, "number": "-1", "choice": "zz", "flag_help": "on"}],
    ids=["unbound", "bound with errors"],
)
@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("auto_id", ["id_%s", False])
def test_every_field_group_renders_exactly_as_the_field_template(
    form_class, data, language, auto_id
):
    """templates/forms/field.html, written by supportdesk.formrender._field_group."""
    with override(language):
        ours = _field_groups(form_class(data, auto_id=auto_id), FormRenderer())
        theirs = _field_groups(form_class(data, auto_id=auto_id), TemplatesOnly())
    assert ours == theirs
    if form_class is Optional:
        assert "required-mark" in ours["review"] and "muted small" in ours["optional"]


def test_field_groups_do_not_touch_the_field_template(monkeypatch):
    renderer = FormRenderer()
    form = Optional({"number": "x"})
    form.renderer = renderer
    form["text"].as_field_group()  # resolves which templates are whose, once
    calls = []
    original = TemplatesSetting.render

    def spy(self, template_name, context, request=None):
        calls.append(template_name)
        return original(self, template_name, context, request)

    monkeypatch.setattr(TemplatesSetting, "render", spy)
    for name in ("text", "number", "flag", "hidden", "review", "body"):
        form[name].as_field_group()
    assert "forms/field.html" not in calls
    form["boxes"].as_field_group()  # the checkbox list still goes through the template
    assert "forms/field.html" in calls
