from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.roles import is_staff_member
from communities import selectors


def _budget_page(request, community):
    history = selectors.budget_history(community=community)
    return render(
        request,
        "communities/budget.html",
        {
            "community": community,
            "current": history[0],
            "previous": history[1:],
            "budget_notice": selectors.budget_notice_from(
                status=history[0].status, community=community
            ),
        },
    )


@require_GET
@login_required
def budget(request):
    """A representative's own community budget; for staff, every community this month."""
    if is_staff_member(request.user):
        return render(
            request, "communities/budget_overview.html", {"rows": selectors.budget_overview()}
        )
    community = selectors.budget_community_for(user=request.user)
    if community is None:
        raise PermissionDenied
    return _budget_page(request, community)


@require_GET
@login_required
def community_budget(request, slug: str):
    community = selectors.budget_community_for(user=request.user, slug=slug)
    if community is None:
        raise Http404("No such community.")
    return _budget_page(request, community)
