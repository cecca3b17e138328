"""The product documentation in docs/ is served at /docs/, readable without signing in, with a
table of contents; the repository's documentation never points outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from supportdesk.markdown import render_document

ROOT = Path(settings.BASE_DIR)
PAGES = ["rules", "admin-guide", "operations", "architecture"]


@pytest.mark.django_db
def test_the_index_lists_every_page_without_signing_in(client):
    response = client.get("/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    for slug in PAGES:
        assert f'href="/docs/{slug}/"' in html


@pytest.mark.django_db
@pytest.mark.parametrize("slug", PAGES)
def test_each_page_renders_with_a_table_of_contents(client, slug):
    response = client.get(f"/docs/{slug}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1" in html and "On this page" in html
    # Every entry of the table of contents points at a heading of the page.
    for anchor in re.findall(r'<a href="#([^"]+)">', html):
        if anchor != "main":
            assert f'id="{anchor}"' in html


@pytest.mark.django_db
def test_the_rules_page_states_the_default_objectives(client):
    html = client.get("/docs/rules/").content.decode()
    assert "8 working hours" in html and "24 working hours" in html
    assert "every 3 working hours" in html
    assert "Monday 00:00 to Saturday 00:00" in html


@pytest.mark.django_db
def test_links_between_pages_point_at_the_served_pages(client):
    html = client.get("/docs/rules/").content.decode()
    assert 'href="/docs/admin-guide/"' in html
    assert '.md"' not in html


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["missing", "..", "README", "Rules"])
def test_anything_but_a_page_is_404(client, slug):
    assert client.get(f"/docs/{slug}/").status_code == 404


def test_documents_are_sanitised_like_user_text():
    html, toc = render_document("# Title\n\n## A & B\n\n<script>alert(1)</script>[x](javascript:y)")
    assert "<script" not in html and "javascript:" not in html
    assert toc[0]["children"][0]["name"] == "A & B"


def test_readme_and_docs_never_link_outside_the_repository():
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        assert "../shared" not in text and "shared/" not in text, path
        for target in re.findall(r"\]\(([^)#\s]+)", text):
            if re.match(r"[a-z]+:", target):
                continue
            assert (path.parent / target).resolve().is_relative_to(ROOT), (path, target)
            assert (path.parent / target).exists(), (path, target)
