"""The signed-in person's own pages: API tokens (and, below, the account page)."""

from __future__ import annotations

from allauth.account.views import email as allauth_email
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors, services
from accounts.adapters import INVITATION_SESSION_KEY
from accounts.forms import AcceptInvitationForm, AccountForm, ApiTokenForm, InvitationForm
from accounts.models import Invitation
from accounts.roles import is_admin, is_engineer
from notifications.preferences import CHANNELS
from supportdesk import errors as supportdesk_errors
from supportdesk.errors import DomainError
from supportdesk.formactions import add_domain_error


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    """List the person's tokens; POST creates one and shows its secret in this response only
    (never stored in the session or a message, so a reload cannot show it again)."""
    form = ApiTokenForm(request.POST or None)
    created = secret = None
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = services.api_token_create(
                user=request.user, name=form.cleaned_data["name"], expires_at=form.expires_at()
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            form = ApiTokenForm()
    response = render(
        request,
        "accounts/api_tokens.html",
        {
            "form": form,
            "tokens": selectors.api_tokens_of(user=request.user),
            "created": created,
            "secret": secret,
        },
        status=400 if form.errors else 200,
    )
    if secret:
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def api_token_revoke(request, pk: int):
    token = selectors.api_tokens_of(user=request.user).filter(pk=pk).first()
    if token is None:
        raise Http404("No such token of yours.")
    services.api_token_revoke(token=token, by=request.user)
    messages.success(
        request, gettext("Token “%(name)s” revoked: it no longer works.") % {"name": token.name}
    )
    return redirect("accounts:api_tokens")


@login_required
def email(request):
    """allauth's e-mail page, for an account whose address allauth has not seen yet too."""
    services.email_address_ensure(user=request.user)
    return allauth_email(request)


# --- Invitations ------------------------------------------------------------------------------


def _back(request, invitation):
    if invitation.community_id:
        return redirect("communities:people", slug=invitation.community.slug)
    return redirect("accounts:invite")


@login_required
@require_http_methods(["GET", "POST"])
def invite(request):
    """Invite somebody: admins any role; engineers representatives of any community."""
    if not (is_admin(request.user) or is_engineer(request.user)):
        raise PermissionDenied
    form = InvitationForm(request.POST or None, inviter=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(by=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, gettext("Invitation sent to %(email)s.") % {"email": invitation.email}
            )
            return _back(request, invitation)
    pending = selectors.pending_invitations()
    if not is_admin(request.user):
        pending = pending.filter(role=Invitation.Role.REPRESENTATIVE)
    return render(
        request,
        "accounts/invite.html",
        {"form": form, "pending": pending[:200]},
        status=400 if form.errors else 200,
    )


def _invitation_action(service, success: str):
    """A POST on one pending invitation (re-send, revoke). The service decides who may: a
    refusal is a 403, any other DomainError a message; back to where the invitation is listed."""

    @login_required
    @require_POST
    def view(request, pk: int):
        invitation = get_object_or_404(Invitation.objects.select_related("community"), pk=pk)
        try:
            service(invitation=invitation, by=request.user)
        except supportdesk_errors.PermissionDenied:
            raise PermissionDenied from None
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, success % {"email": invitation.email})
        return _back(request, invitation)

    return view


invitation_resend = _invitation_action(
    services.invitation_resend, "A new link was sent to %(email)s."
)
invitation_revoke = _invitation_action(
    services.invitation_revoke, "The invitation for %(email)s was revoked."
)


@require_http_methods(["GET", "POST"])
def invitation_accept(request, token: str):
    """The link from the e-mail. Anybody may open it; it says plainly when it cannot be used."""
    try:
        invitation = services.invitation_for_token(token=token)
    except services.InvitationUnusable as exc:
        return render(
            request,
            "accounts/invitation_unusable.html",
            {"reason": exc.reason, "message": exc.message},
            status=410 if exc.reason != "invalid" else 404,
        )
    if request.user.is_authenticated:
        return render(request, "accounts/invitation_accept.html", {"invitation": invitation})
    form = AcceptInvitationForm(
        request.POST or None,
        email=invitation.email,
        initial={"username": invitation.email.split("@")[0]},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.invitation_accept(
                token=token,
                username=data["username"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                password=data["password1"],
            )
        except services.InvitationUnusable as exc:
            return render(
                request,
                "accounts/invitation_unusable.html",
                {"reason": exc.reason, "message": exc.message},
                status=410,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, gettext("Welcome! Your account is ready."))
            return redirect("home")
    # A provider sign-in started from this page binds the invitation (accounts/adapters.py).
    request.session[INVITATION_SESSION_KEY] = token
    return render(
        request,
        "accounts/invitation_accept.html",
        {"invitation": invitation, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def account(request):
    """The person's own account: name, e-mail (changed through a verified link), time zone,
    notification preferences, and links to password, two-factor, providers and API tokens."""
    user = request.user
    form = AccountForm(
        request.POST or None,
        user=user,
        initial={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "timezone": user.timezone,
            "language": user.language,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.account_update(
                user=user,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                timezone_name=form.cleaned_data["timezone"],
                language=form.cleaned_data["language"],
                preferences=form.preferences(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            if user.language:
                translation.activate(user.language)  # the confirmation in the new language
            messages.success(request, gettext("Your account settings are saved."))
            return redirect("accounts:account")
    return render(
        request,
        "accounts/account.html",
        {"form": form, "channels": CHANNELS},
        status=400 if form.errors else 200,
    )
