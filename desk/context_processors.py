from __future__ import annotations

from accounts.roles import is_staff_member, representative_community
from rotation.services import current_stewards


def desk(request):
    """Role flags for templates, and who is on support duty now (shown on every staff page)."""
    user = getattr(request, "user", None)
    staff = is_staff_member(user)
    context = {"is_staff_member": staff, "represented_community": None, "stewards_on_duty": []}
    if staff:
        context["stewards_on_duty"] = current_stewards()
    elif user is not None and user.is_authenticated:
        context["represented_community"] = representative_community(user)
    return context
