"""Small project-wide middleware."""

from __future__ import annotations

import structlog
from django.dispatch import receiver
from django_structlog import signals


@receiver(signals.bind_extra_request_metadata)
def _remember_request_id(request, **kwargs):
    request.request_id = structlog.contextvars.get_contextvars().get("request_id")


def request_id(get_response):
    """Around django-structlog's RequestMiddleware (which binds `request_id` to every log line
    of the request, then clears it): answer with the id in `X-Request-ID`, so a user's report or
    a proxy's access log leads straight to the server's lines, and keep it bound for the line
    Django writes after every middleware has run ("Not Found: ...", "Internal Server Error:
    ..."). Each request starts from an empty context, so nothing carries over to the next."""

    def middleware(request):
        structlog.contextvars.clear_contextvars()
        response = get_response(request)
        request_id = getattr(request, "request_id", None)
        if request_id:
            response["X-Request-ID"] = request_id
            structlog.contextvars.bind_contextvars(request_id=request_id)
        return response

    return middleware
