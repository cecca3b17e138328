"""View decorators for the roles in accounts/roles.py."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from accounts.roles import is_staff_member, representative_community


def staff_required(view):
    """Anonymous: the login page. Logged in but not staff: 403."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not is_staff_member(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def representative_required(view):
    """The representative's actions (submit, reply, confirm): anonymous, the login page; logged
    in but representing no community, 403. Which requests are theirs is the selector's scope."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if representative_community(request.user) is None:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
