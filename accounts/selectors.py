"""Permission-scoped reads of people and their tokens."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import ApiToken, Invitation, User


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first: nobody lists another person's tokens here."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


def pending_invitations(*, community=None):
    """Invitations still waiting for an answer (not accepted, not revoked; expired ones too,
    so they can be re-sent), newest first."""
    queryset = Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)
    if community is not None:
        queryset = queryset.filter(community=community)
    return queryset.select_related("community", "invited_by").order_by("-sent_at", "-pk")
