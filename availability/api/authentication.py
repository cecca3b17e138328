"""Monitoring integrations authenticate with `Authorization: Bearer <token>`, checked against
the SHA-256 hash stored on AlertIntegration. The request then has no user: `request.auth` is
the integration."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from rest_framework import authentication, exceptions, permissions

from accounts.roles import is_staff_member
from availability.models import AlertIntegration


class AlertIntegrationAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid bearer header: give exactly one token.")
        try:
            token = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid bearer token.") from None
        integration = AlertIntegration.objects.filter(
            token_hash=AlertIntegration.hash_token(token)
        ).first()
        if integration is None or not integration.is_active:
            raise exceptions.AuthenticationFailed("Unknown or inactive integration token.")
        return (AnonymousUser(), integration)

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) when the token is missing or wrong.
        return f'{self.keyword} realm="api"'


class IsAlertIntegration(permissions.BasePermission):
    message = "An active alert integration token is required."

    def has_permission(self, request, view):
        return isinstance(request.auth, AlertIntegration)


class IsAlertIntegrationOrStaff(permissions.BasePermission):
    message = "An alert integration token, or a staff member's credentials, are required."

    def has_permission(self, request, view):
        return isinstance(request.auth, AlertIntegration) or is_staff_member(request.user)
