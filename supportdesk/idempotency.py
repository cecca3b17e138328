"""Idempotent creation: a double-clicked submit, or an API client's retry, creates one thing.

- The API: a creating POST may carry `Idempotency-Key: <1-255 visible ASCII characters>`. The
  first request with a key runs and its answer (status and JSON body) is stored with the key for
  24 hours; the same key again from the same user with the same body gets that answer replayed
  (header `Idempotent-Replayed: true`); with another body (or on another endpoint) 409
  `idempotency_conflict`. A request that fails with an error stores nothing, so a retry runs.
- The web forms: the form carries a one-time token (a hidden field); a second POST of the same
  token redirects to what the first one created.

Both store the key in one table with a unique (user, key) inside the transaction that creates,
so two attempts at once, in two processes, make one: the second one's insert waits for the
first transaction and then finds the row (PostgreSQL), or waits for the write lock (SQLite)."""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import re
import secrets
from collections.abc import Callable
from typing import Any

from django import forms
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from supportdesk.errors import DomainError
from supportdesk.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
TTL = datetime.timedelta(hours=24)
KEY_MAX_LENGTH = 255
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")  # KEY_MAX_LENGTH


class IdempotencyConflict(DomainError):
    """The key was used before for a different request."""

    status_code = 409


def check_key(key: str) -> str:
    if not KEY_PATTERN.fullmatch(key or ""):
        raise DomainError(
            gettext(
                "%(header)s must be 1 to %(max_length)s visible ASCII characters (a UUID is a "
                "good choice)."
            )
            % {"header": HEADER, "max_length": KEY_MAX_LENGTH},
            field=HEADER,
        )
    return key


def fingerprint(*, method: str, path: str, data: Any) -> str:
    """SHA-256 of the method, the path and the body as canonical JSON (key order and
    whitespace do not matter)."""
    if hasattr(data, "lists"):  # a QueryDict
        data = dict(data.lists())
    canonical = json.dumps(
        [method.upper(), path, data], sort_keys=True, separators=(",", ":"), cls=JSONEncoder
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def jsonable(data: Any) -> Any:
    """A response body as plain JSON (dates, decimals and UUIDs as the API renders them)."""
    return json.loads(json.dumps(data, cls=JSONEncoder))


def stored(*, user, key: str) -> IdempotencyKey | None:
    """The answer stored for this key, if it is younger than 24 hours."""
    return (
        IdempotencyKey.objects.filter(user=user, key=key, created_at__gte=timezone.now() - TTL)
        .exclude(status_code=0)
        .first()
    )


def run_once(
    *, user, key: str, fingerprint: str, action: Callable[[], tuple[int, Any]]
) -> tuple[int, Any, bool]:
    """Run `action` (which returns (status code, JSON body)) once per (user, key). Returns
    (status code, body, replayed). Raises IdempotencyConflict when the key was used for
    another fingerprint. Anything `action` raises rolls the key back with its work."""
    check_key(key)
    with transaction.atomic():
        now = timezone.now()
        # An expired key is as good as none, even before the sweep removes it.
        IdempotencyKey.objects.filter(user=user, key=key, created_at__lt=now - TTL).delete()
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(
                    user=user, key=key, fingerprint=fingerprint, created_at=now
                )
        except IntegrityError:
            # Another attempt holds (PostgreSQL: held, and has committed) the key.
            row = IdempotencyKey.objects.get(user=user, key=key)
            if row.fingerprint != fingerprint:
                raise IdempotencyConflict(
                    gettext(
                        "This %(header)s was used for a different request in the last 24 hours: "
                        "use a new key for a new request."
                    )
                    % {"header": HEADER},
                    field=HEADER,
                ) from None
            return row.status_code, row.body, True
        status_code, body = action()
        row.status_code, row.body = status_code, body
        row.save(update_fields=["status_code", "body"])
        return status_code, body, False


def sweep_expired(*, now: datetime.datetime | None = None) -> int:
    """Forget keys older than 24 hours. Idempotent; returns how many were removed."""
    now = now or timezone.now()
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=now - TTL).delete()
    return deleted


# --- Web forms ------------------------------------------------------------------------------


def new_form_token() -> str:
    return secrets.token_urlsafe(24)


class OneTimeTokenForm(forms.Form):
    """A form that creates something carries a one-time token (a hidden field, new for every
    unbound form): a second POST of the same token, a double click, redirects to what the first
    one made (supportdesk.idempotency.web_once) instead of making it again."""

    submission_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission_token", new_form_token())


def web_once(*, user, form: str, token: str, create: Callable[[], str]) -> str:
    """Run `create` (which returns the URL to redirect to) once per one-time form token, and
    return that URL; a repeated token returns the first URL without running `create` again.
    No token (an old page, a script): `create` runs. A malformed token is a DomainError."""
    if not token:
        return create()
    key = f"form:{form}:{token}"
    if not KEY_PATTERN.fullmatch(key):
        raise DomainError(
            gettext("This form was changed or is too old: reload the page and send it again.")
        )
    _, body, _ = run_once(
        user=user, key=key, fingerprint=f"form:{form}", action=lambda: (303, {"location": create()})
    )
    return body["location"]


def web_replay(*, user, form: str, token: str) -> str | None:
    """Where a form with this token already led (a double submit), or None."""
    if not token or not KEY_PATTERN.fullmatch(f"form:{form}:{token}"):
        return None
    previous = stored(user=user, key=f"form:{form}:{token}")
    return previous.body.get("location") if previous else None


# --- The API --------------------------------------------------------------------------------

KEY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Makes a retry safe: the same key with the same body within 24 hours replays "
    "the first answer (with `Idempotent-Replayed: true`) instead of creating again; the same "
    "key with a different body is refused with 409 `idempotency_conflict`. 1 to 255 visible "
    "ASCII characters, per user; a UUID is a good choice. Failed requests are not stored.",
)


def idempotent(method):
    """Decorates a creating API view method (`def post(self, request, ...)`): honours the
    `Idempotency-Key` header and documents it in the OpenAPI schema."""

    @functools.wraps(method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return method(self, request, *args, **kwargs)
        first: list[Response] = []

        def action() -> tuple[int, Any]:
            response = method(self, request, *args, **kwargs)
            first.append(response)
            return response.status_code, jsonable(response.data)

        status_code, body, replayed = run_once(
            user=request.user,
            key=key,
            fingerprint=fingerprint(method=request.method, path=request.path, data=request.data),
            action=action,
        )
        if not replayed:
            return first[0]
        response = Response(body, status=status_code)
        response[REPLAYED_HEADER] = "true"
        return response

    return extend_schema(parameters=[KEY_PARAMETER])(wrapper)
