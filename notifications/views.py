from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from accounts.roles import is_staff_member
from notifications import selectors, services

PAGE_SIZE = 50

KIND_LABELS = {
    "slo_near": "Deadline near",
    "slo_breach": "Deadline missed",
    "handover": "Hand-over",
    "on_duty": "On duty",
    "budget_alert": "Budget",
    "followup_report": "Report follow-up",
    "followup_actions": "Action items",
    "request_assigned": "Assigned",
}


@login_required
def my_nudges(request):
    if not is_staff_member(request.user):
        raise PermissionDenied
    page = Paginator(selectors.nudge_list(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for notification in page.object_list:
        notification.kind_label = KIND_LABELS.get(
            notification.kind, notification.kind.replace("_", " ").capitalize()
        )
    return render(
        request,
        "notifications/my_nudges.html",
        {"page": page, "unread": selectors.unread_count(user=request.user)},
    )


@login_required
@require_POST
def mark_all_read(request):
    if not is_staff_member(request.user):
        raise PermissionDenied
    count = services.notifications_mark_read(user=request.user)
    messages.success(
        request,
        ngettext("Marked %(count)s as read.", "Marked %(count)s as read.", count) % {"count": count}
        if count
        else gettext("Nothing unread."),
    )
    return redirect("notifications:my_nudges")
