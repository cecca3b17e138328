"""Admins must use a second factor when MFA_REQUIRED_FOR_ADMINS is on (the default in
production): a signed-in superuser without an authenticator app is sent to enrol one before
any other page, including Django admin."""

from __future__ import annotations

import zoneinfo

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation

from accounts.language import account_language
from accounts.roles import representative_community


def needs_mfa_enrolment(user) -> bool:
    if not (settings.MFA_REQUIRED_FOR_ADMINS and user.is_authenticated and user.is_superuser):
        return False

    return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class AdminMfaRequiredMiddleware:
    # Pages an admin without TOTP may still reach: enrolling, signing out, static files.
    ALLOWED_PREFIXES = ("/accounts/2fa/", "/accounts/logout/", "/accounts/reauthenticate/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        if (
            not path.startswith(self.ALLOWED_PREFIXES)
            and not path.startswith("/" + settings.STATIC_URL.lstrip("/"))
            and needs_mfa_enrolment(request.user)
        ):
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


def display_timezone(user) -> str:
    """The zone every page shows this person's times in: the one they chose on their account
    page; otherwise, for a representative, their community's zone (issue 19: everything a
    representative reads is in their community's zone); otherwise the desk's zone ("")."""
    if user is None or not user.is_authenticated:
        return ""
    if user.timezone:
        return user.timezone
    if user.is_staff:
        return ""

    community = representative_community(user)  # cached on the user; the nav reads it too
    return community.timezone if community is not None else ""


class UserTimezoneMiddleware:
    """Show times to each person in their zone (display_timezone)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = display_timezone(getattr(request, "user", None))
        if zone:
            try:
                timezone.activate(zoneinfo.ZoneInfo(zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                zone = ""
        try:
            return self.get_response(request)
        finally:
            if zone:
                timezone.deactivate()


class UserLanguageMiddleware:
    """The language chosen on the account page wins over the browser's (LocaleMiddleware,
    earlier in the chain, has already applied Accept-Language and, on the way out, sets
    Content-Language and Vary from whatever is active)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = account_language(getattr(request, "user", None))
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
