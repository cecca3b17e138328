"""Monitoring endpoints. Thin: validate, call one service, answer."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response

from accounts.authentication import ApiTokenAuthentication
from availability.api.authentication import (
    AlertIntegrationAuthentication,
    IsAlertIntegration,
    IsAlertIntegrationOrStaff,
)
from availability.api.serializers import AlertmanagerPayloadSerializer, HubEventSerializer
from availability.models import AlertIntegration
from availability.services import alerts, hub_events
from communities.models import Hub
from supportdesk.api import ApiView, error_responses, parse
from supportdesk.throttling import SimpleRateThrottle


class IntegrationThrottle(SimpleRateThrottle):
    """Per integration (or user): generous, since an outage makes monitoring chatty."""

    rate = "600/min"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, AlertIntegration):
            ident = f"integration:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return f"throttle_availability_{ident}"


ReceiptSerializer = inline_serializer(
    "AlertsReceipt",
    {
        "received": serializers.IntegerField(),
        "recorded": serializers.IntegerField(),
        "duplicates": serializers.IntegerField(),
        "suppressed": serializers.IntegerField(),
        "incidents_opened": serializers.ListField(child=serializers.IntegerField()),
        "incidents_updated": serializers.ListField(child=serializers.IntegerField()),
        "notes": serializers.ListField(child=serializers.CharField()),
    },
)


class AlertmanagerWebhookView(ApiView):
    authentication_classes = [AlertIntegrationAuthentication]
    permission_classes = [IsAlertIntegration]
    throttle_classes = [IntegrationThrottle]
    serializer_class = AlertmanagerPayloadSerializer  # also describes the POST to OPTIONS

    @extend_schema(
        summary="Receive Prometheus Alertmanager's webhook (payload version 4)",
        description="Authenticated by the bearer token of an alert integration "
        "(`manage.py create_alert_integration`). Alerts are mapped to a hub by the "
        "integration's label (default `hub`), de-duplicated by fingerprint, status and start "
        "(a replayed payload changes nothing), and grouped into one open incident per hub "
        "(detected by alert). A resolved alert is recorded but does not resolve the incident. "
        "Alerts for a hub in maintenance, or for no known hub, are recorded only (see `notes`).",
        request=AlertmanagerPayloadSerializer,
        responses={200: ReceiptSerializer, **error_responses(400, 401, 403, 429)},
    )
    def post(self, request):
        serializer = AlertmanagerPayloadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        receipt = alerts.alerts_receive(
            integration=request.auth, alerts=serializer.incoming_alerts()
        )
        return Response(receipt.as_dict(), status=status.HTTP_200_OK)


class HubEventView(ApiView):
    authentication_classes = [
        AlertIntegrationAuthentication,
        ApiTokenAuthentication,
        SessionAuthentication,
    ]
    permission_classes = [IsAlertIntegrationOrStaff]
    throttle_classes = [IntegrationThrottle]
    serializer_class = HubEventSerializer  # also describes the POST to OPTIONS

    @extend_schema(
        summary="Report an event of a hub (e.g. a server start that failed)",
        description="Posted by an alert integration (bearer token) or a staff member. The app "
        "evaluates the team's rule: two server starts failing in a row within 30 minutes on one "
        "hub (both settings) open an incident, unless one is open or the hub is in maintenance. "
        "The same event posted twice is recorded once (200).",
        parameters=[
            OpenApiParameter(
                "slug",
                str,
                OpenApiParameter.PATH,
                description="The hub's slug.",
                # A hub of the demo data, so the schema-driven fuzzer gets past the 404.
                examples=[OpenApiExample("A demo hub", value="pangeo")],
            )
        ],
        request=HubEventSerializer,
        responses={
            **error_responses(400, 401, 403, 404, 429),
            200: inline_serializer(
                "HubEventDuplicate",
                {
                    "id": serializers.IntegerField(),
                    "duplicate": serializers.BooleanField(),
                    "incident": serializers.IntegerField(allow_null=True),
                    "opened_incident": serializers.BooleanField(),
                    "note": serializers.CharField(),
                },
            ),
            201: inline_serializer(
                "HubEventReceipt",
                {
                    "id": serializers.IntegerField(),
                    "duplicate": serializers.BooleanField(),
                    "incident": serializers.IntegerField(allow_null=True),
                    "opened_incident": serializers.BooleanField(),
                    "note": serializers.CharField(),
                },
            ),
        },
    )
    def post(self, request, slug: str):
        hub = get_object_or_404(Hub, slug=slug, is_active=True)
        data = parse(HubEventSerializer, request.data)
        receipt = hub_events.hub_event_record(
            hub=hub, kind=data["type"], user=data.get("user", ""), occurred_at=data.get("at")
        )
        return Response(
            {
                "id": receipt.event.pk,
                "duplicate": receipt.duplicate,
                "incident": receipt.incident.pk if receipt.incident else None,
                "opened_incident": receipt.opened_incident,
                "note": receipt.note,
            },
            status=status.HTTP_200_OK if receipt.duplicate else status.HTTP_201_CREATED,
        )
