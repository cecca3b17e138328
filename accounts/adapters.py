"""allauth hooks: nobody signs themselves up. An account exists because an admin made it, an
invitation was accepted, or a provider vouched for an e-mail address in a domain an admin
allowed for a community (accounts/services.py decides; these adapters only ask)."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # Invited people choose their password on the invitation page, not allauth's sign-up.
        return False


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return False
