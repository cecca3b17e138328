"""Test-only URLconf: the app, plus a real OpenID Connect provider under /op/ with a login page
of its own (the provider's users sign in there, not in the app)."""

from django.contrib.auth import login
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template import engines
from django.urls import include, path
from django.utils.http import url_has_allowed_host_and_scheme

from supportdesk.urls import urlpatterns as app_urlpatterns

PAGE = engines["django"].from_string(
    """<!doctype html><html lang="en"><head><title>Test identity provider</title></head><body>
<h1>Test identity provider</h1>
<form method="post">{% csrf_token %}
<label for="op-username">IdP username</label> <input id="op-username" name="username">
<label for="op-password">IdP password</label>
<input id="op-password" name="password" type="password">
<button type="submit">Sign in at the IdP</button></form></body></html>"""
)


def op_login(request):
    form = AuthenticationForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.get_user(), backend="django.contrib.auth.backends.ModelBackend")
        target = request.GET.get("next", "/")
        if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            return redirect(target)
    return HttpResponse(PAGE.render({"form": form}, request))


urlpatterns = [
    path("op/login/", op_login, name="op-login"),
    path("op/", include("oidc_provider.urls", namespace="oidc_provider")),
    *app_urlpatterns,
]
