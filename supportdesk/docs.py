"""The product documentation, `docs/*.md` in the repository, served at /docs/ so the people using
a desk can read the rules as it applies them. The pages are public: they describe the product
and how to run it, as the open-source repository does, and hold nothing about one deployment.
Links between pages are written as `rules.md` (so they work on a code host too) and rewritten
here to the page's URL."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from supportdesk.markdown import render_document

DOCS_DIR = Path(settings.BASE_DIR) / "docs"

# The order of the pages in the documentation's navigation; a page not listed comes last.
PAGE_ORDER = ["index", "rules", "admin-guide", "operations", "architecture"]

_SLUG = re.compile(r"^[a-z0-9-]+$")
_PAGE_LINK = re.compile(r'href="([a-z0-9-]+)\.md(#[^"]*)?"')


def page_slugs() -> list[str]:
    found = {path.stem for path in DOCS_DIR.glob("*.md") if _SLUG.match(path.stem)}
    return [s for s in PAGE_ORDER if s in found] + sorted(found - set(PAGE_ORDER))


def _page_url(slug: str) -> str:
    return reverse("docs") if slug == "index" else reverse("docs_page", args=[slug])


@lru_cache(maxsize=32)
def _rendered(slug: str, mtime_ns: int) -> tuple[SafeString, str, list[dict]]:
    html, toc = render_document((DOCS_DIR / f"{slug}.md").read_text(encoding="utf-8"))
    html = _PAGE_LINK.sub(lambda m: f'href="{_page_url(m.group(1))}{m.group(2) or ""}"', html)
    title = toc[0]["name"] if toc else slug
    # The page's own title (the one h1) is not an entry of its table of contents.
    sections = toc[0]["children"] if len(toc) == 1 else toc
    return mark_safe(html), title, sections  # noqa: S308 - sanitised by render_document


def page(slug: str) -> dict:
    """Title, sanitised HTML and table of contents of one page; Http404 for anything that is not
    a page in docs/ (the slug never reaches the file system unchecked)."""
    if not _SLUG.match(slug) or slug not in page_slugs():
        raise Http404("No such documentation page.")
    path = DOCS_DIR / f"{slug}.md"
    html, title, sections = _rendered(slug, path.stat().st_mtime_ns)
    return {"slug": slug, "title": title, "html": html, "sections": sections}


@require_GET
def docs_page(request, slug: str = "index"):
    current = page(slug)
    pages = [
        {"slug": s, "url": _page_url(s), "title": page(s)["title"], "current": s == slug}
        for s in page_slugs()
    ]
    return render(request, "docs/page.html", {"page": current, "pages": pages})
