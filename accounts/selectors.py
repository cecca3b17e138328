"""Permission-scoped reads of people and their tokens."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import ApiToken


def api_tokens_of(*, user) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first: nobody lists another person's tokens here."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")
