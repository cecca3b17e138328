"""User text is Markdown, rendered to HTML and then sanitised with nh3 (an allow-list), so
nothing a user types can inject script, styles, event handlers or javascript: links."""

from __future__ import annotations

import re

import markdown as md
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "h3", "h4", "h5", "h6", "hr", "i",
    "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}


# A bare http(s) address not already in a link, an autolink or inline code.
_BARE_URL = re.compile(r"(?<![<(\[\"'=`])\bhttps?://[^\s<>()\[\]`]+[^\s<>()\[\]`.,;:!?'\"]")
_FENCE = re.compile(r"(^```.*?^```[ \t]*$|`[^`\n]+`)", re.MULTILINE | re.DOTALL)


def _autolink(text: str) -> str:
    """Wrap bare addresses in <...> so Markdown links them; code spans and fences stay as typed."""
    parts = _FENCE.split(text)
    return "".join(
        part if i % 2 else _BARE_URL.sub(lambda m: f"<{m.group(0)}>", part)
        for i, part in enumerate(parts)
    )


def render_markdown(text: str) -> SafeString:
    html = md.markdown(
        _autolink(text or ""), extensions=["fenced_code", "tables", "sane_lists", "nl2br"]
    )
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 on the line above
