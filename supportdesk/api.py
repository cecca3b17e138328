"""Project-wide API pieces.

- `exception_handler`: the one place where errors become HTTP. Every error body has the same
  shape, `{"detail": "<a sentence for a person>", "code": "<stable machine code>"}`, plus
  `errors` (field -> messages) for invalid input and `wait` (seconds) when throttled:

  | raised                                           | status | code                  |
  | ------------------------------------------------ | ------ | --------------------- |
  | serializer / filter ValidationError, DomainError | 400    | invalid               |
  | malformed JSON, or nested too deep               | 400    | parse_error           |
  | JSON body over supportdesk.limits.MAX_JSON_BYTES | 413    | too_large             |
  | no or bad credentials                            | 401    | not_authenticated ... |
  | supportdesk.errors.PermissionDenied, 403s        | 403    | permission_denied     |
  | Http404 (unknown, or outside the user's scope)   | 404    | not_found             |
  | InvalidTransition / ConcurrentEdit               | 409    | invalid_transition /  |
  |                                                  |        | concurrent_edit       |
  | throttled                                        | 429    | throttled             |
  | database unreachable (supportdesk.outages)       | 503    | service_unavailable   |

- The base view (`ApiView`): JSON in and out, page-number pagination (50, at most 200).
- The base of the commands on one object (`CommandView`): POST /<objects>/{id}/<command>/.
- `error_responses(...)`: the documented error responses of an operation, for @extend_schema.
- Schema extensions for the authentication classes and fields the generator cannot read.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.plumbing import build_basic_type, build_bearer_security_scheme_object
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import set_rollback

from supportdesk.errors import ConcurrentEdit, DomainError, InvalidTransition
from supportdesk.errors import PermissionDenied as DomainPermissionDenied
from supportdesk.formactions import service_arguments
from supportdesk.idempotency import IdempotencyConflict, idempotent
from supportdesk.parsers import LimitedJSONParser, PayloadTooLarge  # noqa: F401 - re-exported

# --- Errors ------------------------------------------------------------------------------------

DOMAIN_CODES: list[tuple[type[DomainError], str]] = [
    (IdempotencyConflict, "idempotency_conflict"),
    (ConcurrentEdit, "concurrent_edit"),
    (InvalidTransition, "invalid_transition"),
    (DomainPermissionDenied, "permission_denied"),
    (DomainError, "invalid"),
]


def _flatten(errors, prefix: str = "") -> list[str]:
    """Nested field errors as "field: message" lines, for the human-readable `detail`."""
    if isinstance(errors, Mapping):
        lines = []
        for key, value in errors.items():
            name = "" if key in ("non_field_errors", "detail") else str(key)
            path = f"{prefix}.{name}" if prefix and name else (name or prefix)
            lines += _flatten(value, path)
        return lines
    if isinstance(errors, list | tuple):
        lines = []
        for index, value in enumerate(errors):
            if isinstance(value, Mapping | list | tuple):
                lines += _flatten(value, f"{prefix}[{index}]" if prefix else f"[{index}]")
            else:
                lines += _flatten(value, prefix)
        return lines
    return [f"{prefix}: {errors}" if prefix else str(errors)]


def _invalid(errors) -> Response:
    if not isinstance(errors, Mapping):
        errors = {"non_field_errors": errors if isinstance(errors, list) else [errors]}
    lines = _flatten(errors)
    detail = (
        gettext("Invalid input: %(errors)s") % {"errors": "; ".join(lines)}
        if lines
        else gettext("Invalid input.")
    )
    return Response(
        {"detail": detail, "code": "invalid", "errors": errors}, status=status.HTTP_400_BAD_REQUEST
    )


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        set_rollback()
        code = next(code for cls, code in DOMAIN_CODES if isinstance(exc, cls))
        body = {"detail": exc.message, "code": code}
        if exc.field:
            body["errors"] = {exc.field: [exc.message]}
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        return _invalid(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's 500 handling (and logging) takes over
    set_rollback()
    if isinstance(exc, exceptions.ValidationError):
        return _invalid(exc.detail)
    headers = {}
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        # DRF answers 403 when the first authentication class (the session) sends no
        # challenge; a client without valid credentials is told 401 and how to authenticate.
        exc.status_code = status.HTTP_401_UNAUTHORIZED
        headers["WWW-Authenticate"] = getattr(exc, "auth_header", None) or 'Token realm="api"'
    body = {"detail": str(exc.detail), "code": _code_of(exc)}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        body["wait"] = math.ceil(exc.wait)
        headers["Retry-After"] = str(body["wait"])
    return Response(body, status=exc.status_code, headers=headers)


def _code_of(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes
    return exc.default_code


class ErrorSerializer(serializers.Serializer):
    """Every error response has this shape."""

    detail = serializers.CharField(help_text="What went wrong, in a sentence for a person.")
    code = serializers.CharField(
        help_text="Stable machine code: invalid, parse_error, too_large, not_authenticated, "
        "authentication_failed, permission_denied, not_found, invalid_transition, "
        "concurrent_edit, idempotency_conflict, throttled, service_unavailable, ..."
    )
    errors = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="400 only: each invalid field with its messages.",
    )
    wait = serializers.IntegerField(
        required=False, help_text="429 only: seconds until a new request is accepted."
    )


ERROR_DESCRIPTIONS = {
    400: "Invalid input: `errors` maps each field to its messages, `detail` sums them up.",
    401: "No credentials, or a wrong or revoked token.",
    403: "Authenticated, but your role may not do this.",
    404: "No such object, or it is outside what you may see.",
    409: "The object's state does not allow this now (`invalid_transition`), or somebody else "
    "changed it since you loaded it (`concurrent_edit`: reload and send the new `version`).",
    413: "The JSON body is larger than 2 MiB.",
    429: "Too many requests: retry after `wait` seconds (also in the Retry-After header).",
    503: "The database does not answer: retry after the Retry-After header's seconds.",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """`responses={200: X, **error_responses(400, 401, 404, 429)}`."""
    return {
        code: OpenApiResponse(response=ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
        for code in codes
    }


# --- Views -------------------------------------------------------------------------------------


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param) or 1
        if raw in self.last_page_strings:
            return raw
        try:
            number = int(raw)
        except (TypeError, ValueError):
            number = 0
        if number < 1:
            raise exceptions.ValidationError(
                {"page": [gettext("A page number is a whole number from 1.")]}
            )
        return number


# JSON only, paginated lists. Views stay thin: load in scope, check the role, validate, call one
# service, answer. (Comments, not a docstring: the schema would show it on every operation.)
class ApiView(GenericAPIView):
    parser_classes = [LimitedJSONParser]
    renderer_classes = [JSONRenderer]
    pagination_class = Pagination
    filter_backends: list = []

    def paginated(self, queryset_or_list, serializer_class, **context) -> Response:
        page = self.paginate_queryset(queryset_or_list)
        data = serializer_class(
            page, many=True, context={**self.get_serializer_context(), **context}
        ).data
        return self.get_paginated_response(data)


# POST /<objects>/{id}/<command>/: one service call on one object, the same steps every time.
# Find the object in the user's scope (404 outside it), check the role the page checks (403),
# validate the body (400), hand the loaded `version` to the service as `expected_version` (409
# when somebody changed the object since), call the service with the object under `target` and
# `by` (its DomainErrors become 400/403/409 in exception_handler), answer with the object as it
# is now. A subclass names the operation, its body, its service and its answer; the OpenAPI
# operation is built from the same attributes, so the schema cannot drift from the code.
# (Comments, not a docstring: the schema would show it on every operation.)
class CommandView(ApiView):
    # The OpenAPI operation: its id, summary, optional description and tags.
    operation_id: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    description: ClassVar[str | None] = None
    tags: ClassVar[list[str]] = []
    # The body (None: the command takes none) and the answer.
    input_serializer: ClassVar[type[serializers.Serializer] | None] = None
    output_serializer: ClassVar[type[serializers.Serializer]]
    status_code: ClassVar[int] = status.HTTP_200_OK
    # The documented errors; by default 400 only where there is a body to refuse.
    errors: ClassVar[tuple[int, ...] | None] = None
    # Creating commands honour the Idempotency-Key header (supportdesk.idempotency).
    accepts_idempotency_key: ClassVar[bool] = False
    # The role check at the edge, staff only; the service checks again. False: the service
    # alone decides who may (a representative confirms, reopens).
    staff_only: ClassVar[bool] = True
    forbidden: ClassVar[str] = "Only the support team can do this."
    # The service, called as service(<target>=object, by=user, **body).
    service: ClassVar[Callable[..., Any]]
    target: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("operation_id"):
            return  # an app's base of its commands, not an operation
        if cls.accepts_idempotency_key:
            cls.post = idempotent(CommandView.post)
        errors = cls.errors
        if errors is None:
            errors = (
                (400, 401, 403, 404, 409, 429)
                if cls.input_serializer
                else (401, 403, 404, 409, 429)
            )
        extend_schema_view(
            post=extend_schema(
                operation_id=cls.operation_id,
                summary=cls.summary,
                description=cls.description,
                tags=cls.tags,
                request=cls.input_serializer,
                responses={cls.status_code: cls.output_serializer, **error_responses(*errors)},
            )
        )(cls)

    def post(self, request, pk: int):
        target = self.get_target(request, pk)
        data = parse(self.input_serializer, request.data) if self.input_serializer else {}
        # Through the class: a plain function stored on it is not bound to the view.
        service = type(self).service
        result = service(**{self.target: target}, by=request.user, **service_arguments(data))
        return self.answer(request, pk, result)

    def get_target(self, request, pk: int) -> Any:
        """What the command acts on: found in the user's scope (404), then the role checked
        (403), so that an id outside the scope says nothing about the object."""
        found = self.find(request, pk)
        if self.staff_only:
            forbid_unless(self.is_staff(request), self.forbidden)
        return found

    def find(self, request, pk: int) -> Any:
        """The object, if it is in the user's scope; Http404 otherwise."""
        raise NotImplementedError

    def is_staff(self, request) -> bool:
        raise NotImplementedError

    def answer(self, request, pk: int, result) -> Response:
        """The response to a command that succeeded; `result` is what the service returned."""
        return Response(self.output_serializer(result).data, status=self.status_code)


def parse(serializer_class, data, **context) -> dict:
    """Validated input, or a 400 with the field errors."""
    serializer = serializer_class(data=data, context=context)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def forbid_unless(allowed: bool, message: str) -> None:
    """The role check at the edge, after the object was found in scope (so out-of-scope ids
    are 404, not 403). The services check the same thing again."""
    if not allowed:
        raise exceptions.PermissionDenied(message)


# --- Fields ------------------------------------------------------------------------------------

EARLIEST = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
LATEST = datetime.datetime(3000, 1, 1, tzinfo=datetime.UTC)


class InstantField(serializers.DateTimeField):
    """An ISO 8601 instant. Without an offset it is read as UTC. Instants before 2000 or from
    3000 on are refused: nothing in the desk happens then, and the calendars cannot hold them."""

    default_error_messages = {
        "out_of_range": gettext_lazy("Give an instant between 2000-01-01 and 2999-12-31."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("default_timezone", datetime.UTC)
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        instant = super().to_internal_value(value)
        if not EARLIEST <= instant < LATEST:
            self.fail("out_of_range")
        return instant


VERSION_HELP = (
    "The `version` you loaded. If somebody changed the object since, the action is refused "
    "with 409 `concurrent_edit` instead of overwriting their change. Omit to skip the check."
)


def version_field(*, required: bool = False) -> serializers.IntegerField:
    if required:
        return serializers.IntegerField(min_value=1, max_value=2**31 - 1, help_text=VERSION_HELP)
    return serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        allow_null=True,
        default=None,
        help_text=VERSION_HELP,
    )


def path_id(what: str) -> OpenApiParameter:
    """The `{id}` of a path, documented (the example gives the schema-driven fuzzer a real id of
    the demo data to start from)."""
    return OpenApiParameter(
        "id",
        int,
        OpenApiParameter.PATH,
        description=f"The {what}'s id.",
        examples=[OpenApiExample("The first one", value=1)],
    )


# --- References to other objects, shared by every app's serializers ----------------------------


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="display_name", read_only=True)


class CommunityRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    slug = serializers.SlugField(read_only=True)
    name = serializers.CharField(read_only=True)


class HubRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    slug = serializers.SlugField(read_only=True)
    name = serializers.CharField(read_only=True)


# --- Schema extensions -------------------------------------------------------------------------
# Imported with this module, which every app's api/views.py imports, so they are registered
# before the schema is generated.


class AlertIntegrationAuthenticationScheme(OpenApiAuthenticationExtension):
    """availability's monitoring integrations: `Authorization: Bearer <integration token>`."""

    target_class = "availability.api.authentication.AlertIntegrationAuthentication"
    name = "integrationBearer"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization",
            token_prefix="Bearer",  # noqa: S106 - the scheme name, not a secret
        )


class RFC3339FieldExtension(OpenApiSerializerFieldExtension):
    """availability's Alertmanager timestamps."""

    target_class = "availability.api.serializers.RFC3339Field"

    def map_serializer_field(self, auto_schema, direction):
        return build_basic_type(OpenApiTypes.DATETIME)


# --- The schema and its documentation -------------------------------------------------------


class JsonErrorsMixin:
    """Errors of the schema and docs views in the project's JSON shape. Their renderers are
    HTML (Swagger UI) or YAML, which cannot render an error: a bad `Authorization` header on
    /api/docs/ was a 500."""

    def handle_exception(self, exc):
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)


class SchemaView(JsonErrorsMixin, SpectacularAPIView):
    pass


class DocsView(JsonErrorsMixin, SpectacularSwaggerSplitView):
    """Swagger UI from drf-spectacular-sidecar (no CDN). The split view serves its start-up
    script as a file of its own (`?script`), so the page runs under the CSP, no inline script;
    templates/drf_spectacular/swagger_ui.html moves the inline <style> to static/css."""
