"""The outgoing webhooks in the OpenAPI schema: one entry per event, its body the envelope with
that event's data (integrations/payloads.py). drf-spectacular writes webhooks as OpenAPI 3.1's
`webhooks`; our schema is 3.0, where the convention (Redoc's) is the `x-webhooks` extension."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, OpenApiWebhook, extend_schema
from rest_framework import serializers

from integrations.models import Event
from integrations.payloads import DATA_SERIALIZERS

HEADERS_DOC = (
    "Signed: `X-Supportdesk-Signature: v1=<hex>` is HMAC-SHA256 with the endpoint's secret over "
    "`<X-Supportdesk-Timestamp>.<raw body>`; reject stale timestamps. `X-Supportdesk-Delivery` "
    "is the same on every retry (de-duplicate by it); `X-Supportdesk-Event` names the event. "
    "Any 2xx answer is success; anything else is retried with back-off."
)


def _webhook(event: Event) -> OpenApiWebhook:
    name = "".join(part.title() for part in event.value.replace(".", "_").split("_"))
    envelope = type(
        f"{name}Webhook",
        (serializers.Serializer,),
        {
            "id": serializers.CharField(help_text="The event's id, the same for every endpoint."),
            "event": serializers.ChoiceField(choices=[(event.value, event.label)]),
            "occurred_at": serializers.DateTimeField(),
            "data": DATA_SERIALIZERS[event](),
        },
    )
    return OpenApiWebhook(
        name=event.value,
        decorator=extend_schema(
            summary=str(event.label),
            description=HEADERS_DOC,
            request=envelope,
            responses={200: OpenApiResponse(description="Received (any 2xx).")},
        ),
    )


REQUEST_CREATED = _webhook(Event.REQUEST_CREATED)
REQUEST_RESOLVED = _webhook(Event.REQUEST_RESOLVED)
INCIDENT_DECLARED = _webhook(Event.INCIDENT_DECLARED)
INCIDENT_UPDATED = _webhook(Event.INCIDENT_UPDATED)
INCIDENT_RESOLVED = _webhook(Event.INCIDENT_RESOLVED)
REPORT_PUBLISHED = _webhook(Event.REPORT_PUBLISHED)
MAINTENANCE_SCHEDULED = _webhook(Event.MAINTENANCE_SCHEDULED)


def webhooks_as_extension(result, generator, request, public):
    """POSTPROCESSING_HOOKS entry: OpenAPI 3.0 has no `webhooks`; publish them as `x-webhooks`."""
    webhooks = result.pop("webhooks", None)
    if webhooks:
        result["x-webhooks"] = webhooks
    return result
