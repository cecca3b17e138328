"""The JSON bodies of outgoing webhooks. One serializer per shape: it builds the body and
documents it in the OpenAPI schema (`integrations/schema.py`), so the two cannot drift apart.

Incident and maintenance payloads carry only what the public status page shows (they also go to
webhooks that anyone registered from the status page); request payloads go to admin-registered
endpoints only and never carry a conversation or an internal note."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from rest_framework import serializers

from integrations.models import Event


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


class RequestPayloadSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField(help_text="e.g. SR-42")
    community = serializers.CharField(help_text="The community's slug.")
    hub = serializers.CharField(allow_null=True, help_text="The hub's slug, if one was named.")
    subject = serializers.CharField()
    category = serializers.CharField(help_text="Empty until triaged.")
    status = serializers.CharField()
    likely_incident = serializers.BooleanField()
    received_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    url = serializers.URLField(help_text="The request in the desk (staff only).")


class IncidentPayloadSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField(help_text="e.g. INC-7")
    title = serializers.CharField()
    state = serializers.CharField()
    severity = serializers.CharField()
    hubs = serializers.ListField(child=serializers.CharField(), help_text="Slugs of the hubs.")
    declared_at = serializers.DateTimeField()
    impact_started_at = serializers.DateTimeField()
    impact_ended_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    status_url = serializers.URLField(help_text="The incident on the public status page.")


class UpdatePayloadSerializer(serializers.Serializer):
    body = serializers.CharField(help_text="The public update (Markdown).")
    sent_at = serializers.DateTimeField()


class IncidentUpdatedPayloadSerializer(IncidentPayloadSerializer):
    update = UpdatePayloadSerializer()


class ReportPayloadSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="The published report.")
    published_at = serializers.DateTimeField()


class ReportPublishedPayloadSerializer(IncidentPayloadSerializer):
    report = ReportPayloadSerializer()


class MaintenancePayloadSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    hubs = serializers.ListField(child=serializers.CharField())
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


DATA_SERIALIZERS = {
    Event.REQUEST_CREATED: RequestPayloadSerializer,
    Event.REQUEST_RESOLVED: RequestPayloadSerializer,
    Event.INCIDENT_DECLARED: IncidentPayloadSerializer,
    Event.INCIDENT_UPDATED: IncidentUpdatedPayloadSerializer,
    Event.INCIDENT_RESOLVED: IncidentPayloadSerializer,
    Event.REPORT_PUBLISHED: ReportPublishedPayloadSerializer,
    Event.MAINTENANCE_SCHEDULED: MaintenancePayloadSerializer,
}


def request_data(support_request) -> dict:
    return {
        "id": support_request.pk,
        "reference": support_request.reference,
        "community": support_request.community.slug,
        "hub": support_request.hub.slug if support_request.hub_id else None,
        "subject": support_request.subject,
        "category": support_request.category,
        "status": support_request.status,
        "likely_incident": support_request.likely_incident,
        "received_at": support_request.received_at,
        "resolved_at": support_request.resolved_at,
        "url": _absolute(reverse("tickets:desk_request", args=[support_request.pk])),
    }


def incident_data(incident, *, hubs) -> dict:
    return {
        "id": incident.pk,
        "reference": incident.reference,
        "title": incident.title,
        "state": incident.state,
        "severity": incident.severity,
        "hubs": [h.slug for h in hubs],
        "declared_at": incident.declared_at,
        "impact_started_at": incident.impact_started_at,
        "impact_ended_at": incident.impact_ended_at,
        "resolved_at": incident.resolved_at,
        "status_url": _absolute(reverse("availability:incident", args=[incident.pk])),
    }


def maintenance_data(window, *, hubs) -> dict:
    return {
        "id": window.pk,
        "title": window.title,
        "description": window.description,
        "hubs": [h.slug for h in hubs],
        "starts_at": window.starts_at,
        "ends_at": window.ends_at,
    }


def envelope(*, event: str, event_id: str, occurred_at, data: dict) -> dict:
    """The body every webhook receives: the event, its id (the same on every retry and for
    every endpoint), when it happened, and the data shaped by DATA_SERIALIZERS[event]."""
    serializer = DATA_SERIALIZERS[event]
    return dict(
        EnvelopeSerializer(
            {
                "id": event_id,
                "event": event,
                "occurred_at": occurred_at,
                "data": serializer(data).data,
            }
        ).data
    )


class EnvelopeSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The event's id, the same for every endpoint.")
    event = serializers.ChoiceField(choices=Event.choices)
    occurred_at = serializers.DateTimeField()
    data = serializers.JSONField()
