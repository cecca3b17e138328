"""Which language a person reads: their account's choice, else (while they browse) their
browser's, else the site's default. E-mails are written in it too."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation


def supported(code: str) -> bool:
    return code in dict(settings.LANGUAGES)


def account_language(user) -> str:
    """The language chosen on the account page, or "" (none chosen, anonymous, unknown)."""
    if user is None or not user.is_authenticated:
        return ""
    code = getattr(user, "language", "") or ""
    return code if supported(code) else ""


def language_for(user) -> str:
    """The language to write to `user` in: their choice; otherwise the active language (the
    browser's while a request of theirs is served, the default in background work)."""
    return account_language(user) or translation.get_language() or settings.LANGUAGE_CODE
