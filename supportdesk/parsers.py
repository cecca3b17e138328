"""Request body parsers. Their own module: DRF reads DEFAULT_PARSER_CLASSES while importing its
views, so this must not import any view (supportdesk.api does)."""

from __future__ import annotations

from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser

from supportdesk import limits


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


class LimitedJSONParser(JSONParser):
    """DRF's JSON parser with supportdesk.limits' size and depth limits: a body 3,000 levels
    deep is a 400 parse_error, not a RecursionError; one over the size limit a 413."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", "utf-8")
        raw = stream.read(limits.MAX_JSON_BYTES + 1)
        try:
            return limits.json_loads(raw.decode(encoding))
        except limits.JsonLimitExceeded as exc:
            if exc.code == "too_large":
                raise PayloadTooLarge(str(exc)) from None
            raise exceptions.ParseError(str(exc)) from None
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
