"""Logs and error reports, configured from settings.py.

Logs: every line is one JSON object (`LOG_FORMAT=json`, the default when DEBUG is off) or one
readable line (`LOG_FORMAT=plain`, the default with DEBUG on). structlog renders both our own
loggers and the standard library's (Django, Celery, gunicorn), and django-structlog's
RequestMiddleware binds a `request_id` (the incoming `X-Request-ID` header, or a new UUID) for the
duration of each request, so every line written while serving it carries the id; Celery tasks
enqueued by that request carry it too (django-structlog's Celery step).

Errors: with `SENTRY_DSN` set, sentry-sdk reports unhandled exceptions of the web processes and
the workers (Django and Celery integrations), without personal data unless
`SENTRY_SEND_DEFAULT_PII` says otherwise."""

from __future__ import annotations

from typing import Any

import structlog

# Processors applied to every event, ours (structlog) and the standard library's ("foreign").
SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.stdlib.PositionalArgumentsFormatter(),
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.StackInfoRenderer(),
]


def configure_structlog() -> None:
    """structlog hands its events to the standard library, whose formatter (below) renders them;
    so one LOGGING setting decides levels and handlers for everything."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *SHARED_PROCESSORS,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def logging_config(*, level: str, fmt: str, request_log_level: str) -> dict[str, Any]:
    """The LOGGING dict: one console handler on stderr with the JSON or the plain renderer."""
    renderer = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    renderer,
                ],
                "foreign_pre_chain": SHARED_PROCESSORS,
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            # request_started / request_finished, one pair per request (with the request id,
            # user, status and path): the access log.
            "django_structlog": {"level": request_log_level},
        },
    }


def init_sentry(*, dsn: str, environment: str, release: str, traces_sample_rate: float, pii: bool):
    """Report unhandled errors to Sentry (or a compatible server such as GlitchTip)."""
    import sentry_sdk  # noqa: PLC0415 - optional: loaded only when SENTRY_DSN is set
    from sentry_sdk.integrations.celery import CeleryIntegration  # noqa: PLC0415 - optional: loaded only when SENTRY_DSN is set
    from sentry_sdk.integrations.django import DjangoIntegration  # noqa: PLC0415 - optional: loaded only when SENTRY_DSN is set

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=pii,
        integrations=[DjangoIntegration(), CeleryIntegration()],
    )
