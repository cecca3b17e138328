from __future__ import annotations

from collections.abc import Callable

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix
from django.utils import translation
from django.utils.safestring import SafeString

from supportdesk.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str):
    """{{ message.body|markdown }}: Markdown rendered and sanitised."""
    return render_markdown(text)


@register.filter(name="bar_step")
def bar_step(percent) -> int:
    """{{ 37|bar_step }} -> 35: a bar's width as a class (`w-35`), in steps of 5 from 0 to 100.
    A class, not `style="width: 37%"`: the Content-Security-Policy allows no inline style."""
    try:
        value = float(percent)
    except (TypeError, ValueError):
        return 0
    return int(min(100, max(0, 5 * round(value / 5))))


# Rendered fragments: (template name, language, script prefix, keys) -> HTML. Bounded: the keys
# are few (a staff member's pk at most), and a full dictionary simply stops remembering.
_FRAGMENTS: dict[tuple, SafeString] = {}
MAX_FRAGMENTS = 2_000


@receiver(setting_changed)
def _forget_fragments(**kwargs) -> None:
    """Settings that change while the process runs (tests) may change any fragment: the static
    files' URLs, the URLs, the languages. Start again from nothing."""
    _FRAGMENTS.clear()


@register.simple_tag(takes_context=True)
def fragment(context, template_name: str, *keys):
    """{% fragment "includes/shortcuts_help.html" %}: an include rendered once per process and
    language (and per value of the `keys` given), then reused: for markup that depends on
    nothing else, such as the navigation's links and labels, which cost a few thousand function
    calls (reverse(), translations) on every page. A fragment template must read no variable
    of the page other than those given as keys; tests/supportdesk/test_fragments.py renders
    each one with an empty context and compares."""
    # Template.render() returns SafeString: the include is as safe as the template.
    return remembered(
        template_name,
        keys,
        lambda: context.template.engine.get_template(template_name).render(context),
    )


def remembered(name: str, keys: tuple, build: Callable[[], SafeString]) -> SafeString:
    """The HTML `build()` returns for (name, the active language, the script prefix, keys),
    built once per process: for markup that depends on nothing but those (the keys must say
    everything else it is made of), as {% fragment %} does for an include."""
    key = (name, translation.get_language(), get_script_prefix(), keys)
    html = _FRAGMENTS.get(key)
    if html is None:
        html = build()
        if len(_FRAGMENTS) < MAX_FRAGMENTS:
            _FRAGMENTS[key] = html
    return html
