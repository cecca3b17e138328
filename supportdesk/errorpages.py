"""The styled 403, 404 and 500 pages (handler403/404/500), and the same pages under DEBUG.

They must never fail themselves: they extend `error_base.html`, which needs no database (no
user, no stewards on duty) and links its stylesheet through `safe_static`. Under production
settings without `collectstatic`, `{% static %}` raises "Missing staticfiles manifest entry";
here that falls back to the plain URL (WhiteNoise serves it too), so a 404 stays a 404.

Under /api/ the answers are the API's JSON error shape (`code: not_found` / `permission_denied`).

With DEBUG on Django answers an unknown URL with its technical 404 page; `make run` sets
SHOW_STYLED_ERRORS so `StyledErrorsMiddleware` shows the project's page instead (403 always
goes through handler403)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.urls import NoReverseMatch, reverse

logger = logging.getLogger(__name__)

TITLES = {
    403: "You may not open this page",
    404: "Page not found",
    500: "Something went wrong on our side",
}
API_BODIES = {
    403: {
        "detail": "You do not have permission to perform this action.",
        "code": "permission_denied",
    },
    404: {"detail": "Not found.", "code": "not_found"},
}
# The line Django's technical 404 page (DEBUG) always carries.
_TECHNICAL_404_MARK = b"because you have <code>DEBUG = True</code>"


def safe_static(path: str) -> str:
    """The URL of a static file, also when the manifest lacks it (no collectstatic yet)."""
    try:
        return staticfiles_storage.url(path)
    except ValueError:
        return f"{settings.STATIC_URL.rstrip('/')}/{path}"


def render_error(status: int, request: HttpRequest | None = None) -> HttpResponse:
    """The page for `status`, rendered without context processors (so without the database)."""
    if request is not None and request.path.startswith("/api/") and status in API_BODIES:
        return JsonResponse(API_BODIES[status], status=status)
    context = {
        "status": status,
        "title": TITLES[status],
        "stylesheet": safe_static("css/app.css"),
        "path": request.path if request is not None else "",
        "signed_in": bool(
            request is not None
            and getattr(request, "user", None) is not None
            and request.user.is_authenticated
        ),
    }
    context.update(
        home_url=_url("home", "/"),
        status_url=_url("availability:status", "/status/"),
        login_url=_url("login", "/accounts/login/"),
    )
    try:
        html = loader.render_to_string(f"{status}.html", context)
    except Exception:  # an error page must never fail in turn
        logger.exception("the %s page could not be rendered", status)
        html = f"<!doctype html><title>{TITLES[status]}</title><h1>{TITLES[status]}</h1>"
    return HttpResponse(html, status=status)


def _url(name: str, fallback: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return fallback


def permission_denied(request, exception=None):
    return render_error(403, request)


def page_not_found(request, exception=None):
    return render_error(404, request)


class StyledErrorsMiddleware:
    """DEBUG and SHOW_STYLED_ERRORS: Django's technical 404 page becomes the project's own, so
    `make run` shows what users will see. Off otherwise (handler404 already answers)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 404
            and settings.DEBUG
            and settings.SHOW_STYLED_ERRORS
            and not getattr(response, "streaming", False)
            and _TECHNICAL_404_MARK in response.content
        ):
            return render_error(404, request)
        return response
