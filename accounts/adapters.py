"""allauth hooks: nobody signs themselves up. An account exists because an admin made it, an
invitation was accepted, or a provider vouched for an e-mail address in a domain an admin
allowed for a community. The decisions are services (accounts/services.py); these adapters
only ask them."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.http import Http404
from django.utils import translation

from accounts import services
from accounts.language import language_for

# Where the invitation page leaves its token for a provider sign-in started from it.
INVITATION_SESSION_KEY = "supportdesk_invitation"


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # Invited people choose their password on the invitation page, not allauth's sign-up.
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth's e-mails (password reset, address confirmation, notices) in the language
        the recipient chose on their account; without a choice, the browser's of whoever asked
        (normally the recipient themselves, e.g. on the password reset page)."""
        user = context.get("user") or services.account_for_address(email)
        with translation.override(language_for(user, acting=True)):
            super().send_mail(template_prefix, email, context)


def _verified_addresses(sociallogin) -> list[str]:
    return [a.email for a in sociallogin.email_addresses if a.verified and a.email]


def _pending_invitation_token(request) -> str | None:
    token = request.session.get(INVITATION_SESSION_KEY) if request is not None else None
    if not token:
        return None
    try:
        services.invitation_for_token(token=token)
    except services.InvitationUnusable:
        return None
    return token


class ProviderNotConfigured(SocialApp.DoesNotExist, Http404):
    """A provider with no app configured: allauth's code that expects DoesNotExist still
    catches it, and anywhere else (e.g. GET /accounts/github/login/) it answers 404, not 500."""


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_app(self, request, provider, client_id=None):
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist as exc:
            raise ProviderNotConfigured(f"Sign-in with {provider} is not configured.") from exc

    def is_open_for_signup(self, request, sociallogin) -> bool:
        """A provider sign-in creates an account only from a valid invitation link, or for a
        verified address in a domain an admin allowed for a community."""
        if _pending_invitation_token(request):
            return True
        return (
            services.allowed_domain_community(emails=_verified_addresses(sociallogin)) is not None
        )

    def save_user(self, request, sociallogin, form=None):
        user = super().save_user(request, sociallogin, form)
        token = _pending_invitation_token(request)
        if token:
            services.invitation_accept_for_user(token=token, user=user)
            request.session.pop(INVITATION_SESSION_KEY, None)
        else:
            services.account_join_allowed_domain(user=user, emails=_verified_addresses(sociallogin))
        return user
