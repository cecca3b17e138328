"""API token authentication: `Authorization: Token <secret>`, checked against a SHA-256 hash."""

from __future__ import annotations

from django.utils import timezone, translation
from django.utils.translation import gettext
from rest_framework import authentication, exceptions

from accounts.language import account_language
from accounts.models import ApiToken


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """The token's user is known only here, after the middleware: the language chosen on their
    account is activated here (as UserLanguageMiddleware does for a session), so the API's
    messages to them are in it; without one, the request's Accept-Language stands."""

    keyword = "Token"

    def authenticate_credentials(self, key):
        try:
            token = ApiToken.objects.select_related("user").get(
                key_hash=ApiToken.hash_key(key), revoked_at__isnull=True
            )
        except ApiToken.DoesNotExist:
            raise exceptions.AuthenticationFailed(gettext("Invalid or revoked token.")) from None
        if token.is_expired:
            raise exceptions.AuthenticationFailed(gettext("This token has expired."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(gettext("User inactive or deleted."))
        now = timezone.now()
        # Avoid a write on every request: last use is kept to the minute.
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        language = account_language(token.user)
        if language:
            translation.activate(language)
        return (token.user, token)
