"""What django-axes counts failed logins by: the account and the client address.

Every login form (ours, which takes a username or an e-mail address, and the admin's) goes
through `django.contrib.auth.authenticate`, where axes' backend refuses a locked-out account or
address before any password is checked, so the correct password is refused too until the
lock-out expires (AXES_COOLOFF_TIME)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model


def attempted_username(request, credentials) -> str:
    """The account an attempt was for, the same whether it named the username or an e-mail
    address, so switching between them does not reset the count. Unknown names are counted
    as typed (lower-cased), so probing for accounts is throttled too."""
    credentials = credentials or {}
    data = getattr(request, "POST", {}) if request is not None else {}
    typed = (
        credentials.get("username")
        or credentials.get("email")
        or data.get("login")
        or data.get("username")
        or ""
    )
    typed = str(typed).strip()
    if "@" in typed:
        user = (
            get_user_model()
            .objects.filter(email__iexact=typed)
            .order_by("pk")
            .values_list("username", flat=True)
            .first()
        )
        if user:
            return user.lower()
    return typed.lower()


def client_ip(request) -> str | None:
    """The client's address: the TCP peer, or, behind PROXY_COUNT proxies of ours, the address
    the outermost of them saw (counted from the right of X-Forwarded-For, which a client cannot
    forge)."""
    count = getattr(settings, "PROXY_COUNT", 0)
    if count:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR")
