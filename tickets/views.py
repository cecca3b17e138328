from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from accounts.roles import is_staff_member, representative_community
from tickets.models import SupportRequest


@login_required
def queue(request):
    if not is_staff_member(request.user):
        raise PermissionDenied
    requests = (
        SupportRequest.objects.filter(status__in=SupportRequest.OPEN_STATUSES)
        .select_related("community", "hub", "assignee")
        .order_by("next_due_at")[:50]
    )
    return render(request, "tickets/queue.html", {"requests": requests})


@login_required
def my_requests(request):
    community = representative_community(request.user)
    if community is None:
        raise PermissionDenied
    requests = SupportRequest.objects.filter(community=community).select_related("hub")[:50]
    return render(
        request, "tickets/my_requests.html", {"requests": requests, "community": community}
    )
