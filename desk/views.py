from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from accounts.roles import is_staff_member, representative_community


@login_required
def home(request):
    """Each person's starting page: the queue for staff, a representative's requests, else the
    status page."""
    if is_staff_member(request.user):
        return redirect("tickets:queue")
    if representative_community(request.user):
        return redirect("tickets:my_requests")
    return redirect("availability:status")
