"""User text is Markdown, rendered to HTML and then sanitised with nh3 (an allow-list), so
nothing a user types can inject script, styles, event handlers or javascript: links."""

from __future__ import annotations

import html as html_lib
import re
import threading

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


_converters = threading.local()


def _converter() -> md.Markdown:
    """This thread's Markdown converter, reset before each use. Building one (extensions,
    pattern registries) cost more than converting a typical message: about 0.5 ms on every
    submission, reply and note. One per thread, since a converter keeps state while it works."""
    converter = getattr(_converters, "markdown", None)
    if converter is None:
        converter = md.Markdown(extensions=["fenced_code", "tables", "sane_lists", "nl2br"])
        _converters.markdown = converter
    return converter.reset()


def render_markdown(text: str) -> SafeString:
    html = _converter().convert(_autolink(text or ""))
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


class StoredMarkdown:
    """Model mixin: keep the sanitised HTML of Markdown fields in a column beside them, rendered
    when the text is saved, so that pages show stored HTML instead of rendering Markdown on every
    view (it was most of the request page's template time).

    MARKDOWN_FIELDS maps each Markdown field to its HTML field (TextField, blank, not editable).
    save() renders a field whose text changed since it was loaded or last rendered, and adds the
    HTML field to `update_fields` when those are given. The HTML is always render_markdown()'s
    output, i.e. sanitised by nh3: nothing else may write it. Rows written without save()
    (bulk_create, QuerySet.update(), raw SQL) keep an empty HTML field, which `rendered()` then
    renders on the fly; `python manage.py render_markdown` fills those in."""

    MARKDOWN_FIELDS: dict[str, str] = {}

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._markdown_sources = {
            source: instance.__dict__[source]
            for source in cls.MARKDOWN_FIELDS
            if source in instance.__dict__
        }
        return instance

    def render_stored_markdown(self, update_fields=None) -> set[str]:
        """Render the fields whose text changed; returns the HTML fields it set."""
        sources = getattr(self, "_markdown_sources", {})
        changed = set()
        for source, target in self.MARKDOWN_FIELDS.items():
            if source not in self.__dict__:  # deferred and not loaded: unchanged
                continue
            if update_fields is not None and source not in update_fields:
                continue
            text = self.__dict__[source] or ""
            if source in sources and sources[source] == text and self.__dict__.get(target):
                continue
            setattr(self, target, str(render_markdown(text)) if text else "")
            sources[source] = text
            changed.add(target)
        self._markdown_sources = sources
        return changed

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        changed = self.render_stored_markdown(update_fields)
        if update_fields is not None and changed:
            kwargs["update_fields"] = {*update_fields, *changed}
        super().save(*args, **kwargs)

    def rendered(self, source: str) -> SafeString:
        """The stored HTML of `source` (rendered now if the row has none yet)."""
        html = getattr(self, self.MARKDOWN_FIELDS[source])
        text = getattr(self, source)
        if html or not text:
            # Written only by render_markdown() above, i.e. sanitised by nh3.
            return mark_safe(html)  # noqa: S308
        return render_markdown(text)


def backfill_stored_markdown(model, source: str, target: str, *, batch: int = 2000) -> int:
    """Fill `target` with the rendered `source` of every row where it is empty (a data
    migration, or `manage.py render_markdown`). Also works with historical models. In id order,
    `batch` rows at a time; identical texts are rendered once. Returns the rows updated."""
    done = 0
    last = 0
    memo: dict[str, str] = {}
    while True:
        rows = list(
            model.objects.filter(pk__gt=last, **{target: ""})
            .exclude(**{source: ""})
            .order_by("pk")
            .values_list("pk", source)[:batch]
        )
        if not rows:
            return done
        by_html: dict[str, list[int]] = {}
        for pk, text in rows:
            html = memo.get(text)
            if html is None:
                html = str(render_markdown(text))
                if len(memo) < 10_000:
                    memo[text] = html
            by_html.setdefault(html, []).append(pk)
        if len(by_html) * 4 <= len(rows):  # mostly repeated texts: one UPDATE per text
            for html, pks in by_html.items():
                model.objects.filter(pk__in=pks).update(**{target: html})
        else:
            updates = [
                model(pk=pk, **{target: html}) for html, pks in by_html.items() for pk in pks
            ]
            model.objects.bulk_update(updates, [target], batch_size=500)
        done += len(rows)
        last = rows[-1][0]
