"""The form renderer's fast path (supportdesk.formfields.FormRenderer, settings.FORM_RENDERER):
its commonest widgets written in Python instead of through templates.

Django renders every widget through a template, and every <option> of a <select> through two
more (select_option.html and attrs.html). On the queue that was a third of the page's server
time: its filter and bulk-action forms hold a dozen selects, two of them listing every staff
member. The functions below write the very same markup as Django's templates (input.html and
the types that include it, textarea.html, select.html, select_option.html, attrs.html, and an
empty error list): tests/supportdesk/test_formrender.py renders a range of widgets both ways
and compares the bytes.

Only Django's own templates are replaced: when the template a widget asks for (or one it
includes) resolves to a file outside django/forms (a project or app override), that widget
keeps going through the template.

The one field template of the project (templates/forms/field.html: label, widget, help,
errors) is written in Python too, `_field_group`, for its common kinds (a hidden field, a
checkbox, everything else; the checkbox list still goes through the template), about 100
function calls per field fewer; the same test compares its bytes with the template's for every
kind, bound and unbound, in both languages. Should the template change without `_field_group`,
that test fails."""

from __future__ import annotations

from pathlib import Path

import django.forms
from django.conf import settings
from django.template.base import render_value_in_context
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString
from django.utils.translation import gettext

_DJANGO_FORMS = Path(django.forms.__file__).resolve().parent
_ATTRS = "django/forms/widgets/attrs.html"
_INPUT = "django/forms/widgets/input.html"
_SELECT = "django/forms/widgets/select.html"
_OPTION = "django/forms/widgets/select_option.html"
_TEXTAREA = "django/forms/widgets/textarea.html"
_ERRORS = "django/forms/errors/list/default.html"
_ERRORS_UL = "django/forms/errors/list/ul.html"
# Widget templates that are exactly `{% include "django/forms/widgets/input.html" %}`.
_INPUT_TYPES = tuple(
    f"django/forms/widgets/{name}.html"
    for name in (
        "text",
        "number",
        "email",
        "url",
        "password",
        "hidden",
        "checkbox",
        "date",
        "datetime",
        "time",
        "search",
        "tel",
        "color",
    )
)


class _Context:
    """What render_value_in_context reads of a template Context: the defaults of one."""

    autoescape = True
    use_l10n = None
    use_tz = None


_CONTEXT = _Context()


def _value(value) -> str:
    """`{{ value }}` in a template."""
    return render_value_in_context(value, _CONTEXT)


def _stringformat(value) -> str:
    """`{{ value|stringformat:'s' }}` in a template."""
    text = "%s" % (str(value) if isinstance(value, tuple) else value)
    return text if isinstance(value, SafeData) else conditional_escape(text)


def _attrs(attrs: dict) -> str:
    """attrs.html."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {_value(name)}")
        else:
            parts.append(f' {_value(name)}="{_stringformat(value)}"')
    return "".join(parts)


def _input(widget: dict) -> str:
    """input.html (and text.html, hidden.html, checkbox.html, ... which include it)."""
    value = widget["value"]
    shown = f' value="{_stringformat(value)}"' if value != None else ""  # noqa: E711 (as the template)
    return (
        f'<input type="{_value(widget["type"])}" '
        f'name="{_value(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
    )


def _textarea(widget: dict) -> str:
    value = _value(widget["value"]) if widget["value"] else ""
    return (
        f'<textarea name="{_value(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'
    )


def _option(option: dict) -> str:
    return (
        f'<option value="{_stringformat(option["value"])}"{_attrs(option["attrs"])}>'
        f"{_value(option['label'])}</option>"
    )


def _select(widget: dict) -> str | None:
    out = [f'<select name="{_value(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{_value(group_name)}">')
        for option in group_choices:
            if option.get("template_name") != _OPTION:
                return None  # another option template: the templates render it
            # The option template ends with a newline, which the include keeps.
            out.append(f"\n  {_option(option)}\n")
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


_FIELD = "forms/field.html"


def _field_group(field) -> str | None:
    """templates/forms/field.html for one BoundField, stripped as the renderer strips what a
    template writes; None for a kind it leaves to the template."""
    if field.is_hidden:
        return _value(field).strip()
    kind = field.widget_type
    if kind == "checkboxselectmultiple":
        return None
    help_html = (
        f'<span class="help" id="{_value(field.auto_id)}_helptext">{_value(field.help_text)}</span>'
        if field.help_text
        else ""
    )
    errors = field.errors
    errors_html = f'<div role="alert">{_value(errors)}</div>' if errors else ""
    label_for = _value(field.id_for_label)
    if kind == "checkbox":
        return (
            f'\n<div class="field">\n  <div class="checkbox-row">{_value(field)} '
            f'<label for="{label_for}">{_value(field.label)}</label></div>\n'
            f"  {help_html}\n  {errors_html}\n</div>"
        ).strip()
    mark = ""
    if getattr(field.field, "required_for_review", None):
        mark = (
            f' <span class="required-mark small">{_value(gettext("(required for review)"))}</span>'
        )
    elif getattr(field.form, "mark_optional", None) and not field.field.required:
        mark = f' <span class="muted small">{_value(gettext("(optional)"))}</span>'
    return (
        f'\n<div class="field">\n  <label for="{label_for}">{_value(field.label)}{mark}</label>\n'
        f"  {_value(field)}\n  {help_html}\n  {errors_html}\n</div>"
    ).strip()


class FastWidgetsMixin:
    """Renders the commonest widget templates in Python (see the module's docstring)."""

    def _django_own(self, *names: str) -> bool:
        cache = self.__dict__.setdefault("_own_templates", {})
        for name in names:
            own = cache.get(name)
            if own is None:
                template = self.get_template(name)
                origin = getattr(getattr(template, "template", template), "origin", None)
                path = Path(getattr(origin, "name", "") or "").resolve()
                own = cache[name] = _DJANGO_FORMS in path.parents
            if not own:
                return False
        return True

    def _project_field_template(self) -> bool:
        """Whether forms/field.html is the project's own file (the one _field_group writes)."""
        own = self.__dict__.get("_own_field_template")
        if own is None:
            template = self.get_template(_FIELD)
            origin = getattr(getattr(template, "template", template), "origin", None)
            path = Path(getattr(origin, "name", "") or "").resolve()
            own = path == (Path(settings.BASE_DIR) / "templates" / _FIELD).resolve()
            self.__dict__["_own_field_template"] = own
        return own

    def render(self, template_name, context, request=None):
        html = None
        widget = context.get("widget") if isinstance(context, dict) else None
        if widget is not None and request is None:
            if template_name in _INPUT_TYPES and self._django_own(template_name, _INPUT, _ATTRS):
                html = _input(widget)
            elif template_name == _SELECT and self._django_own(_SELECT, _OPTION, _ATTRS):
                html = _select(widget)
            elif template_name == _TEXTAREA and self._django_own(_TEXTAREA, _ATTRS):
                html = _textarea(widget)
        elif (
            template_name == _FIELD
            and isinstance(context, dict)
            and context.keys() == {"field"}
            and self._project_field_template()
        ):
            html = _field_group(context["field"])
        elif (
            template_name == _ERRORS
            and isinstance(context, dict)
            and not context.get("errors")
            and self._django_own(_ERRORS, _ERRORS_UL)
        ):
            html = ""  # an empty error list renders nothing
        if html is None:
            return super().render(template_name, context, request=request)
        return SafeString(html)
