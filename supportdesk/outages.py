"""What a request gets while the database is unreachable: a 503 "try again shortly", never
Django's bare 500. Pages get an HTML page that needs no database (no user, no stewards in the
header), the API its JSON error shape (`code: service_unavailable`); both say Retry-After.

`DatabaseUnavailableMiddleware` turns a connection-level database error raised by a view into
that answer; `server_error` (handler500) does the same for one raised anywhere else (a
middleware, a template's lazy query) and otherwise renders the usual 500. Connections are health
checked (CONN_HEALTH_CHECKS) and a broken one is dropped at the end of the request, so the app
recovers by itself when the database returns."""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults

from supportdesk.errorpages import render_error

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
MESSAGE = (
    "The service is briefly unavailable (its database does not answer). Please try again shortly."
)


def is_database_outage(exc: BaseException | None) -> bool:
    """A failure to reach or keep the database (refused, reset, timed out, locked), as opposed
    to a bad query: psycopg and sqlite3 report both kinds as OperationalError or InterfaceError."""
    return isinstance(exc, OperationalError | InterfaceError)


def unavailable_response(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": MESSAGE, "code": "service_unavailable"}, status=503)
    else:
        # Rendered without the request: context processors would ask the database.
        # The stylesheet by its plain name (WhiteNoise serves it too): a missing manifest
        # entry must not turn this page into a 500.
        html = loader.render_to_string(
            "503.html",
            {"retry_after": RETRY_AFTER_SECONDS, "stylesheet": f"{settings.STATIC_URL}css/app.css"},
        )
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_database_outage(exception):
            return None
        logger.error(
            "database unavailable: %s %s answered 503",
            request.method,
            request.path,
            exc_info=exception,
        )
        return unavailable_response(request)


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    """handler500: the 503 answer when the error was the database being away."""
    if is_database_outage(sys.exc_info()[1]):
        return unavailable_response(request)
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": "Something went wrong on our side; it has been logged.", "code": "error"},
            status=500,
        )
    return render_error(500)
