"""The signed-in person's own pages: API tokens (and, below, the account page)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors, services
from accounts.forms import ApiTokenForm
from supportdesk.errors import DomainError


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
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
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
    messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return redirect("accounts:api_tokens")


@login_required
def email(request):
    """allauth's e-mail page, for an account whose address allauth has not seen yet too."""
    from allauth.account.views import email as allauth_email

    services.email_address_ensure(user=request.user)
    return allauth_email(request)
