"""Per-user API tokens. The secret is returned once, at creation; only its SHA-256 is stored
(accounts.models.ApiToken), so a leaked database does not leak working credentials."""

from __future__ import annotations

import datetime
import logging
import secrets
from typing import TYPE_CHECKING

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy

from accounts.language import supported
from accounts.models import ApiToken, Invitation, User
from accounts.roles import may_invite
from notifications.preferences import clean_preferences
from notifications.services import notify
from supportdesk.errors import DomainError, InvalidTransition, PermissionDenied
from supportdesk.validators import validate_timezone
from supportdesk.zones import format_local

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

logger = logging.getLogger(__name__)

SECRET_PREFIX = "sd_"  # noqa: S105 - a marker that makes leaked tokens easy to spot
PREFIX_LENGTH = 12  # ApiToken.prefix: "sd_" and nine characters of the secret
MAX_ACTIVE_TOKENS = 25


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def api_token_active_count(*, user: User) -> int:
    """Tokens that still work: neither revoked nor expired."""
    return (
        ApiToken.objects.filter(user=user, revoked_at__isnull=True)
        .exclude(expires_at__lte=timezone.now())
        .count()
    )


@transaction.atomic
def api_token_create(
    *, user: User, name: str, expires_at: datetime.datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token for `user`, named so they can tell it apart later, working until
    `expires_at` (None: until revoked). Returns the token and its secret: the only time the
    secret exists outside the caller's hands."""
    if not (user and user.is_authenticated and user.is_active):
        raise PermissionDenied(gettext("Only an active user can create API tokens."))
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(
            gettext("Give the token a name, e.g. the script that will use it."), field="name"
        )
    if len(name) > ApiToken.NAME_MAX_LENGTH:
        raise DomainError(gettext("Keep the name under 100 characters."), field="name")
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError(gettext("The expiry date must be in the future."), field="expires_at")
    # Lock the user's row so two concurrent creations cannot both pass the limit. The model
    # comes from settings, not type(user): a session's request.user is a SimpleLazyObject.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    if api_token_active_count(user=user) >= MAX_ACTIVE_TOKENS:
        raise DomainError(
            gettext("You already have %(limit)s active tokens: revoke one you no longer use.")
            % {"limit": MAX_ACTIVE_TOKENS}
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
def api_token_revoke(*, token: ApiToken, by: User) -> ApiToken:
    """Revoke a token; it stops working at once. Only its owner revokes it here (admins use the
    Django admin). Revoking a revoked token changes nothing."""
    if not (by and by.is_authenticated and by.pk == token.user_id):
        raise PermissionDenied(gettext("Only the owner of a token can revoke it."))
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        logger.info("API token %s (%s) revoked by %s", token.pk, token.prefix, by.username)
    return token


def email_address_ensure(*, user: User) -> None:
    """Give an account made before allauth (or in Django admin) its e-mail address as allauth's
    primary address, so changing it keeps the old one until the new one is verified. The
    address was typed in by an admin, so it counts as verified."""
    if not user.email or EmailAddress.objects.filter(user=user).exists():
        return
    try:
        with transaction.atomic():
            EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    except IntegrityError:
        # Another account already holds this address in allauth: leave it to an admin.
        logger.warning("E-mail address of user %s is taken by another account", user.pk)


# --- Invitations ------------------------------------------------------------------------------

INVITATION_SALT = "supportdesk.invitation"


class InvitationUnusable(DomainError):
    """The link cannot be used; `reason` says why, for a page that explains it."""

    status_code = 410

    def __init__(self, reason: str, message: str, invitation: Invitation | None = None):
        super().__init__(message)
        self.reason = reason
        self.invitation = invitation


def invitation_token(invitation: Invitation) -> str:
    """The signed part of the invitation link (no timestamp: the expiry is in the database)."""
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=INVITATION_SALT)


def invitation_path(invitation: Invitation) -> str:
    return reverse("accounts:invitation_accept", args=[invitation_token(invitation)])


def _valid_days() -> int:
    return getattr(settings, "INVITATION_VALID_DAYS", 7)


_INVITED_AS: dict[str, StrPromise] = {
    Invitation.Role.REPRESENTATIVE: gettext_lazy("community representative"),
    Invitation.Role.ENGINEER: gettext_lazy("engineer"),
    Invitation.Role.PROJECT_MANAGER: gettext_lazy("project manager"),
}


def _send_invitation(invitation: Invitation) -> None:
    # The invitee has no account: the language the inviter chose for them.
    with translation.override(invitation.language or settings.LANGUAGE_CODE):
        values = {
            "role": _INVITED_AS[invitation.role],
            "community": invitation.community.name if invitation.community else "",
            "inviter": (
                invitation.invited_by.display_name
                if invitation.invited_by
                else gettext("The support team")
            ),
            "until": format_local(invitation.expires_at, "UTC"),
        }
        if invitation.community_id:
            subject = gettext("You are invited to supportdesk as %(role)s of %(community)s")
            invited = gettext(
                "%(inviter)s invited you to supportdesk as %(role)s of %(community)s."
            )
        else:
            subject = gettext("You are invited to supportdesk as %(role)s")
            invited = gettext("%(inviter)s invited you to supportdesk as %(role)s.")
        body = (
            invited % values
            + "\n\n"
            + gettext(
                "Open the link below to choose a password (or sign in with a provider) and start "
                "using the support desk. The link works once, until %(until)s."
            )
            % values
        )
        subject %= values
    notify(
        key=f"invitation:{invitation.pk}:{invitation.nonce}",
        kind="invitation",
        email=invitation.email,
        subject=subject,
        body=body,
        url=invitation_path(invitation),
    )


def is_mail_contact(user: User) -> bool:
    """An account that only stands for somebody who e-mailed the support address (made by
    tickets.inbound when a steward filed their mail): no password, no provider, no role. Inviting
    that address is allowed, and accepting the invitation turns this account into theirs, so
    the requests they already have stay theirs."""
    from communities.models import Membership  # noqa: PLC0415 - upward import: a listed layer exception

    return (
        not user.has_usable_password()
        and not user.is_staff
        and not user.is_superuser
        and not Membership.objects.filter(user=user).exists()
        and not SocialAccount.objects.filter(user=user).exists()
    )


def _accounts_with_address(email: str) -> list:
    return list(get_user_model().objects.filter(email__iexact=email))


def account_for_address(email: str):
    """The one account using `email`, or None (none, or several)."""
    accounts = _accounts_with_address(email)
    return accounts[0] if len(accounts) == 1 else None


@transaction.atomic
def invitation_create(
    *, by: User, email: str, role: str, community=None, country: str = "", language: str = ""
) -> Invitation:
    """Invite `email` as `role` (of `community`, for a representative) and e-mail the link, in
    `language` (empty: the site's default), which the new account then keeps."""
    email = get_user_model().objects.normalize_email((email or "").strip()).lower()
    if not email or "@" not in email:
        raise DomainError(gettext("Give the e-mail address to invite."), field="email")
    if role not in Invitation.Role.values:
        raise DomainError(gettext("Choose a role."), field="role")
    if role == Invitation.Role.REPRESENTATIVE and community is None:
        raise DomainError(
            gettext("Choose the community the representative speaks for."), field="community"
        )
    if role != Invitation.Role.REPRESENTATIVE:
        community = None
    if not may_invite(by, role=role, community=community):
        raise PermissionDenied(gettext("You may not invite people for this role or community."))
    if not all(is_mail_contact(u) for u in _accounts_with_address(email)):
        raise DomainError(
            gettext("Somebody already has an account with this address."), field="email"
        )
    now = timezone.now()
    pending = Invitation.objects.filter(
        email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    )
    if pending.exists():
        raise DomainError(
            gettext("This address already has a pending invitation: re-send or revoke it."),
            field="email",
        )
    invitation = Invitation.objects.create(
        email=email,
        role=role,
        community=community,
        country=(country or "").upper()[:2],
        language=language if supported(language or "") else "",
        invited_by=by,
        nonce=secrets.token_hex(16),
        sent_at=now,
        expires_at=now + datetime.timedelta(days=_valid_days()),
    )
    _send_invitation(invitation)
    logger.info("Invitation %s for %s created by %s", invitation.pk, role, by.username)
    return invitation


def _check_manage(invitation: Invitation, by: User) -> None:
    if not may_invite(by, role=invitation.role, community=invitation.community):
        raise PermissionDenied(gettext("You may not manage this invitation."))


@transaction.atomic
def invitation_resend(*, invitation: Invitation, by: User) -> Invitation:
    """A fresh link, valid for another INVITATION_VALID_DAYS; the previous link stops working."""
    _check_manage(invitation, by)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at or invitation.revoked_at:
        raise InvalidTransition(gettext("This invitation was already accepted or revoked."))
    now = timezone.now()
    invitation.nonce = secrets.token_hex(16)
    invitation.sent_at = now
    invitation.expires_at = now + datetime.timedelta(days=_valid_days())
    invitation.save(update_fields=["nonce", "sent_at", "expires_at"])
    _send_invitation(invitation)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: User) -> Invitation:
    _check_manage(invitation, by)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at:
        raise InvalidTransition(gettext("This invitation was already accepted."))
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


def invitation_for_token(*, token: str, lock: bool = False) -> Invitation:
    """The pending invitation a link names, or InvitationUnusable saying why not."""
    try:
        data = signing.loads(token, salt=INVITATION_SALT)
        pk, nonce = int(data["i"]), str(data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise InvitationUnusable(
            "invalid", gettext("This invitation link is not valid. Check that it was copied whole.")
        ) from None
    queryset = Invitation.objects.select_related("community")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    invitation = queryset.filter(pk=pk).first()
    if invitation is None:
        raise InvitationUnusable("invalid", gettext("This invitation no longer exists."))
    if invitation.accepted_at:
        raise InvitationUnusable(
            "used",
            gettext("This invitation was already used. Log in with your account."),
            invitation,
        )
    if invitation.revoked_at:
        raise InvitationUnusable("revoked", gettext("This invitation was withdrawn."), invitation)
    if invitation.nonce != nonce:
        raise InvitationUnusable(
            "replaced",
            gettext("A newer invitation was sent for this address: use the latest e-mail."),
            invitation,
        )
    if invitation.expires_at <= timezone.now():
        raise InvitationUnusable(
            "expired", gettext("This invitation has expired. Ask for a new one."), invitation
        )
    return invitation


def _grant_invited_role(*, invitation: Invitation, user: User) -> None:
    from communities.models import Membership  # noqa: PLC0415 - upward import: a listed layer exception
    from rotation.models import Engineer  # noqa: PLC0415 - upward import: a listed layer exception

    if invitation.language and not user.language:
        user.language = invitation.language
        user.save(update_fields=["language"])

    if invitation.role == Invitation.Role.REPRESENTATIVE:
        if (
            Membership.objects.filter(user=user, role=Membership.Role.REPRESENTATIVE)
            .exclude(community=invitation.community)
            .exists()
        ):
            raise DomainError(gettext("This account already speaks for another community."))
        Membership.objects.update_or_create(
            user=user,
            community=invitation.community,
            defaults={"role": Membership.Role.REPRESENTATIVE},
        )
    else:
        user.is_staff = True
        if invitation.role == Invitation.Role.PROJECT_MANAGER:
            user.is_project_manager = True
        user.save(update_fields=["is_staff", "is_project_manager"])
        if invitation.role == Invitation.Role.ENGINEER and not hasattr(user, "engineer"):
            # Off the roster until an admin places them: joining changes who is on duty.
            Engineer.objects.create(user=user, country=invitation.country or "US", is_active=False)


def _mark_accepted(*, invitation: Invitation, user: User) -> None:
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])


@transaction.atomic
def invitation_accept(*, token: str, username: str, first_name: str, last_name: str, password: str):
    """Create the invited person's account with the password they chose, bound to the invited
    community and role. The link is used up: a second accept finds it accepted."""
    invitation = invitation_for_token(token=token, lock=True)
    users = get_user_model().objects
    username = (username or "").strip()
    existing = _accounts_with_address(invitation.email)
    contacts = [u for u in existing if is_mail_contact(u)]
    if len(contacts) != len(existing):
        raise DomainError(
            gettext("Somebody already has an account with this address: log in instead.")
        )
    mine = contacts[0] if contacts else None
    taken = users.filter(username__iexact=username)
    if mine is not None:
        taken = taken.exclude(pk=mine.pk)
    if taken.exists():
        raise DomainError(gettext("This username is taken: choose another."), field="username")
    if mine is None:
        user = users.create_user(
            username=username,
            email=invitation.email,
            password=password,
            first_name=(first_name or "").strip(),
            last_name=(last_name or "").strip(),
        )
    else:
        # They e-mailed us before: the account made for their mail becomes theirs.
        user = mine
        user.username = username
        user.first_name = (first_name or "").strip() or user.first_name
        user.last_name = (last_name or "").strip() or user.last_name
        user.set_password(password)
        user.save()
    # They proved they read this address by opening the link sent to it.
    EmailAddress.objects.update_or_create(
        user=user, email=invitation.email, defaults={"primary": True, "verified": True}
    )
    _grant_invited_role(invitation=invitation, user=user)
    _mark_accepted(invitation=invitation, user=user)
    logger.info("Invitation %s accepted by new user %s", invitation.pk, user.pk)
    return user


@transaction.atomic
def invitation_accept_for_user(*, token: str, user: User) -> Invitation:
    """Bind an account made by a provider sign-in that started from an invitation link."""
    invitation = invitation_for_token(token=token, lock=True)
    _grant_invited_role(invitation=invitation, user=user)
    _mark_accepted(invitation=invitation, user=user)
    logger.info("Invitation %s accepted by provider sign-in of user %s", invitation.pk, user.pk)
    return invitation


# --- Provider sign-in for allowed e-mail domains ----------------------------------------------


def allowed_domain_community(*, emails: list[str]):
    """The community that allowed one of these (provider-verified) addresses' domains, if any."""
    from communities.models import AllowedEmailDomain  # noqa: PLC0415 - upward import: a listed layer exception

    domains = {e.rsplit("@", 1)[-1].lower() for e in emails if "@" in e}
    if not domains:
        return None
    allowed = (
        AllowedEmailDomain.objects.filter(domain__in=domains, community__is_active=True)
        .select_related("community")
        .order_by("domain")
        .first()
    )
    return allowed.community if allowed else None


@transaction.atomic
def account_join_allowed_domain(*, user: User, emails: list[str]) -> None:
    """A new account made by a provider sign-in for an allowed domain speaks for that community."""
    from communities.models import Membership  # noqa: PLC0415 - upward import: a listed layer exception

    community = allowed_domain_community(emails=emails)
    if community is None:
        raise PermissionDenied(gettext("Sign-up is by invitation only."))
    Membership.objects.get_or_create(
        user=user, community=community, defaults={"role": Membership.Role.REPRESENTATIVE}
    )
    logger.info("User %s joined %s through an allowed e-mail domain", user.pk, community.slug)


@transaction.atomic
def account_update(
    *,
    user: User,
    first_name: str,
    last_name: str,
    timezone_name: str,
    preferences: dict,
    language: str | None = None,
) -> None:
    """The person's own settings: name, display time zone, language (None: unchanged),
    notification channels per kind."""
    if timezone_name:
        try:
            validate_timezone(timezone_name)
        except DjangoValidationError as exc:
            raise DomainError(str(exc.messages[0]), field="timezone") from None
    user.first_name = (first_name or "").strip()[:150]
    user.last_name = (last_name or "").strip()[:150]
    if language and not supported(language):
        raise DomainError(gettext("Choose one of the languages offered."), field="language")
    user.timezone = timezone_name or ""
    if language is not None:
        user.language = language
    user.notification_preferences = clean_preferences(preferences)
    user.save(
        update_fields=[
            "first_name",
            "last_name",
            "timezone",
            "language",
            "notification_preferences",
        ]
    )
