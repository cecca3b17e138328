"""Translation objects remember their answers (supportdesk.i18nmemo): the same answers as
Django's own lookup, for every message of the catalogues, per language, and safe-marked only
when the message passed was."""

from __future__ import annotations

import gettext as gettext_module

import pytest
from django.test import override_settings
from django.utils import translation
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import trans_real

from supportdesk import i18nmemo


def test_it_is_installed():
    assert trans_real.DjangoTranslation.gettext is i18nmemo._remembering_gettext


@pytest.mark.parametrize("language", ["en-gb", "es"])
def test_every_message_translates_as_without_the_memo(language):
    catalog = trans_real.translation(language)
    # TranslationCatalog has keys() but no __iter__.
    keys = catalog._catalog.keys()
    messages = [key for key in keys if isinstance(key, str) and key]
    messages += ["Queue", "Our requests", "A message no catalogue has"]
    assert len(messages) > 500
    for message in messages * 2:  # the second round comes from the memo
        expected = gettext_module.GNUTranslations.gettext(catalog, message)
        assert catalog.gettext(message) == expected


def test_the_active_language_decides():
    with translation.override("es"):
        spanish = translation.gettext("Our requests")
    with translation.override("en-gb"):
        english = translation.gettext("Our requests")
    with translation.override("es"):
        assert translation.gettext("Our requests") == spanish
    assert english == "Our requests"
    assert spanish != english


def test_an_answer_is_safe_only_when_its_message_was():
    with translation.override("en-gb"):
        safe = translation.gettext(mark_safe("A <b>safe</b> message no catalogue has"))
        plain = translation.gettext("A <b>safe</b> message no catalogue has")
    assert isinstance(safe, SafeData)
    assert not isinstance(plain, SafeData)
    assert type(plain) is str


def test_new_language_settings_build_new_objects_with_empty_memos():
    translation.gettext("Queue")
    before = trans_real.translation("en-gb")
    with override_settings(LANGUAGES=[("en-gb", "English"), ("es", "Español")]):
        after = trans_real.translation("en-gb")
        assert after is not before
        assert "_supportdesk_memo" not in after.__dict__


def test_the_memo_stops_growing_at_its_limit(monkeypatch):
    monkeypatch.setattr(i18nmemo, "MAX_MESSAGES", 3)
    catalog = trans_real.translation("es")
    catalog.__dict__.pop("_supportdesk_memo", None)
    for n in range(10):
        assert catalog.gettext(f"Run-time message {n}") == f"Run-time message {n}"
    assert len(catalog.__dict__["_supportdesk_memo"]) == 3
    catalog.__dict__.pop("_supportdesk_memo", None)
