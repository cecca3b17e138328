"""Per-user API tokens. The secret is returned once, at creation; only its SHA-256 is stored
(accounts.models.ApiToken), so a leaked database does not leak working credentials."""

from __future__ import annotations

import datetime
import logging
import secrets

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import ApiToken
from supportdesk.errors import DomainError, PermissionDenied

logger = logging.getLogger(__name__)

SECRET_PREFIX = "sd_"  # noqa: S105 - a marker that makes leaked tokens easy to spot
PREFIX_LENGTH = 12  # ApiToken.prefix: "sd_" and nine characters of the secret
MAX_ACTIVE_TOKENS = 25


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def api_token_active_count(*, user) -> int:
    """Tokens that still work: neither revoked nor expired."""
    return (
        ApiToken.objects.filter(user=user, revoked_at__isnull=True)
        .exclude(expires_at__lte=timezone.now())
        .count()
    )


@transaction.atomic
def api_token_create(
    *, user, name: str, expires_at: datetime.datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token for `user`, named so they can tell it apart later, working until
    `expires_at` (None: until revoked). Returns the token and its secret: the only time the
    secret exists outside the caller's hands."""
    if not (user and user.is_authenticated and user.is_active):
        raise PermissionDenied("Only an active user can create API tokens.")
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("Give the token a name, e.g. the script that will use it.", field="name")
    if len(name) > ApiToken._meta.get_field("name").max_length:
        raise DomainError("Keep the name under 100 characters.", field="name")
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError("The expiry date must be in the future.", field="expires_at")
    # Lock the user's row so two concurrent creations cannot both pass the limit. The model
    # comes from settings, not type(user): a session's request.user is a SimpleLazyObject.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    if api_token_active_count(user=user) >= MAX_ACTIVE_TOKENS:
        raise DomainError(
            f"You already have {MAX_ACTIVE_TOKENS} active tokens: revoke one you no longer use."
        )
    secret = _new_secret()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[:PREFIX_LENGTH],
        key_hash=ApiToken.hash_key(secret),
        expires_at=expires_at,
    )
    logger.info("API token %s (%s) created by %s", token.pk, token.prefix, user.username)
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by) -> ApiToken:
    """Revoke a token; it stops working at once. Only its owner revokes it here (admins use the
    Django admin). Revoking a revoked token changes nothing."""
    if not (by and by.is_authenticated and by.pk == token.user_id):
        raise PermissionDenied("Only the owner of a token can revoke it.")
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        logger.info("API token %s (%s) revoked by %s", token.pk, token.prefix, by.username)
    return token


def email_address_ensure(*, user) -> None:
    """Give an account made before allauth (or in Django admin) its e-mail address as allauth's
    primary address, so changing it keeps the old one until the new one is verified. The
    address was typed in by an admin, so it counts as verified."""
    from allauth.account.models import EmailAddress

    if not user.email or EmailAddress.objects.filter(user=user).exists():
        return
    try:
        with transaction.atomic():
            EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    except IntegrityError:
        # Another account already holds this address in allauth: leave it to an admin.
        logger.warning("E-mail address of user %s is taken by another account", user.pk)
