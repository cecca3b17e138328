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


def language_for(user, *, acting: bool = False) -> str:
    """The language to write to `user` in: their account's choice. Without one: when `user` is
    the person whose request is being served (`acting`, e.g. the acknowledgement of what they
    just submitted), the active language, i.e. their browser's; otherwise the site's default,
    never the language of somebody else's request (a steward's reply reaches a representative
    in the representative's language, not the steward's)."""
    return account_language(user) or (
        (translation.get_language() if acting else None) or settings.LANGUAGE_CODE
    )
