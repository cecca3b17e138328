"""Issue 19: every word a template shows is marked for translation.

What is left of a template once the marked messages, template tags and variables, comments,
code samples and HTML markup are taken out must hold no words: any word left would reach a
Spanish reader in English. Visible attributes (aria-label, title, placeholder, alt,
data-label) count as text."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from django.conf import settings

# Templates that are not ours to translate: Django admin's and the API explorer's pages.
SKIP = ("templates/admin/", "drf_spectacular/")
# Words that are the same in every language: names, codes, units.
SAME_IN_EVERY_LANGUAGE = {"supportdesk", "SD", "UTC", "CSV", "ics", "iCal", "JSON", "PDF"}

VISIBLE_ATTRIBUTES = re.compile(
    r"""\b(?:aria-label|title|placeholder|alt|data-label)=(["'])(.*?)\1""", re.S
)


def _templates() -> list[Path]:
    root = Path(settings.BASE_DIR)
    found = []
    for pattern in ("*/templates/**/*.html", "*/templates/**/*.txt", "templates/**/*.html"):
        for path in root.glob(pattern):
            relative = path.relative_to(root).as_posix()
            if relative.startswith((".venv/", "node_modules/")) or any(s in relative for s in SKIP):
                continue
            found.append(path)
    return sorted(set(found))


def unmarked_words(source: str) -> list[str]:
    text = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", " ", source, flags=re.S)
    text = re.sub(
        r"{%\s*blocktrans(?:late)?\b.*?{%\s*endblocktrans(?:late)?\s*%}", " ", text, flags=re.S
    )
    text = re.sub(r"{#.*?#}", " ", text, flags=re.S)
    text = re.sub(r"{%.*?%}", " ", text, flags=re.S)
    text = re.sub(r"{{.*?}}", " ", text, flags=re.S)
    text = re.sub(r"<(script|style|kbd|code|pre|samp)\b.*?</\1>", " ", text, flags=re.S | re.I)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    attributes = [value for _quote, value in VISIBLE_ATTRIBUTES.findall(text)]
    text = re.sub(r"<[^>]*>", " ", text)
    words = re.findall(r"[A-Za-z]{2,}", html.unescape(" ".join([text, *attributes])))
    return [w for w in words if w not in SAME_IN_EVERY_LANGUAGE]


def test_the_check_sees_unmarked_text_and_accepts_marked_text():
    assert sorted(unmarked_words('<p title="Open it">Hello {{ name }}</p>')) == [
        "Hello",
        "Open",
        "it",
    ]
    marked = (
        "{% load i18n %}<p title=\"{% translate 'Open it' %}\">{% blocktranslate %}Hello "
        "{{ name }}{% endblocktranslate %} · <kbd>j</kbd> SD-{{ pk }}</p>"
    )
    assert unmarked_words(marked) == []


@pytest.mark.parametrize(
    "path", _templates(), ids=lambda p: p.relative_to(settings.BASE_DIR).as_posix()
)
def test_every_word_of_a_template_is_marked_for_translation(path):
    assert unmarked_words(path.read_text()) == []
