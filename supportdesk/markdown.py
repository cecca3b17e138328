"""User text is Markdown, rendered to HTML and then sanitised with nh3 (an allow-list), so
nothing a user types can inject script, styles, event handlers or javascript: links."""

from __future__ import annotations

import html as html_lib
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


# The product documentation (docs/*.md) is ours, not user text, but goes through the same
# sanitiser; it may also use top-level headings, and headings keep the ids its table of contents
# links to.
DOCUMENT_TAGS = ALLOWED_TAGS | {"h1", "h2"}
DOCUMENT_ATTRIBUTES = {
    **ALLOWED_ATTRIBUTES,
    **{f"h{level}": {"id"} for level in range(1, 7)},
}


def render_document(text: str) -> tuple[SafeString, list[dict]]:
    """A Markdown document as sanitised HTML, and its headings as a nested table of contents
    (the `toc` extension's tokens: level, id, name, children). No `nl2br`: documents are
    hard-wrapped prose, unlike the messages people type."""
    converter = md.Markdown(extensions=["toc", "fenced_code", "tables", "sane_lists"])
    html = converter.convert(text or "")
    clean = nh3.clean(
        html,
        tags=DOCUMENT_TAGS,
        attributes=DOCUMENT_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean), _plain_names(converter.toc_tokens)  # noqa: S308 - nh3 above


def _plain_names(tokens: list[dict]) -> list[dict]:
    """The toc extension gives names HTML-escaped; templates escape them again."""
    return [
        {
            "level": t["level"],
            "id": t["id"],
            "name": html_lib.unescape(t["name"]),
            "children": _plain_names(t["children"]),
        }
        for t in tokens
    ]
