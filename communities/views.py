from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.forms import InvitationForm
from accounts.roles import is_staff_member, may_manage_community_people
from communities import selectors
from communities.models import Community
from supportdesk.errors import DomainError
from supportdesk.formactions import add_domain_error


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


@login_required
@require_http_methods(["GET", "POST"])
def community_people(request, slug: str):
    """A community's representatives and hub administrators, its pending invitations, and a form
    to invite a representative: for admins and engineers (accounts.roles)."""
    community = get_object_or_404(Community, slug=slug, is_active=True)
    if not may_manage_community_people(request.user, community):
        if is_staff_member(request.user):
            raise PermissionDenied
        raise Http404("No such community.")
    form = InvitationForm(request.POST or None, inviter=request.user, community=community)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = account_services.invitation_create(
                by=request.user,
                email=form.cleaned_data["email"],
                role="representative",
                community=community,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, gettext("Invitation sent to %(email)s.") % {"email": invitation.email}
            )
            return redirect("communities:people", slug=community.slug)
    return render(
        request,
        "communities/people.html",
        {
            "community": community,
            "members": selectors.community_members(community=community),
            "pending": account_selectors.pending_invitations(community=community),
            "form": form,
        },
        status=400 if form.errors else 200,
    )
