"""Validation of what monitoring posts. The project's exception handler (supportdesk/api.py)
sums the errors up in `detail`, e.g. "Invalid input: alerts[1].startsAt: not an RFC 3339
timestamp with a time zone", for whoever reads the Alertmanager log line."""

from __future__ import annotations

import datetime

from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from availability.models import Alert, HubEvent
from availability.services.alerts import MAX_ALERTS_PER_PAYLOAD, IncomingAlert
from supportdesk.api import EARLIEST, LATEST, InstantField


class RFC3339Field(serializers.Field):
    """An RFC 3339 timestamp with a time zone, as Alertmanager writes them (nanoseconds are
    truncated to microseconds). Alertmanager's zero time (year 1) means "not set"."""

    default_error_messages = {
        "invalid": "not an RFC 3339 timestamp with a time zone",
        "out_of_range": "give an instant between 2000-01-01 and 2999-12-31",
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            value = parse_datetime(data.strip())
        except ValueError:
            value = None
        if value is None or value.tzinfo is None:
            self.fail("invalid")
        if value.year <= 1:
            return None
        try:
            value = value.astimezone(datetime.UTC)
        except OverflowError:
            self.fail("out_of_range")
        if not EARLIEST <= value < LATEST:
            self.fail("out_of_range")
        return value

    def to_representation(self, value):
        return value.isoformat() if value else None


class StringMapField(serializers.DictField):
    child = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=10_000)


class AlertSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Alert.Status.values)
    labels = StringMapField()
    annotations = StringMapField(required=False, default=dict)
    # camelCase: Alertmanager's field names.
    startsAt = RFC3339Field()
    endsAt = RFC3339Field(required=False, allow_null=True, default=None)
    generatorURL = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000
    )
    fingerprint = serializers.CharField(max_length=100)

    def validate(self, attrs):
        if attrs["startsAt"] is None:
            raise serializers.ValidationError({"startsAt": "must be set"})
        return attrs

    @staticmethod
    def to_alert(d: dict) -> IncomingAlert:
        return IncomingAlert(
            status=d["status"],
            fingerprint=d["fingerprint"],
            labels=dict(d["labels"]),
            annotations=dict(d.get("annotations") or {}),
            starts_at=d["startsAt"],
            ends_at=d.get("endsAt"),
            generator_url=d.get("generatorURL", ""),
        )


class AlertmanagerPayloadSerializer(serializers.Serializer):
    """Alertmanager's webhook payload, version 4. Group fields are accepted and ignored: each
    alert carries its own labels."""

    version = serializers.ChoiceField(
        choices=["4"],
        error_messages={"invalid_choice": "unsupported version “{input}”, expected “4”"},
    )
    status = serializers.ChoiceField(choices=Alert.Status.values)
    alerts = AlertSerializer(many=True, allow_empty=True, max_length=MAX_ALERTS_PER_PAYLOAD)
    receiver = serializers.CharField(required=False, allow_blank=True)
    groupKey = serializers.CharField(required=False, allow_blank=True)

    def incoming_alerts(self) -> list[IncomingAlert]:
        return [AlertSerializer.to_alert(item) for item in self.validated_data["alerts"]]


class HubEventSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=HubEvent.Kind.values)
    user = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=150,
        help_text="Who the event happened to (a hub username or id); internal only.",
    )
    at = InstantField(
        required=False, allow_null=True, default=None, help_text="When it happened; default now."
    )

    def to_internal_value(self, data):
        # Hubs may send a numeric user id: take it as text.
        if isinstance(data, dict) and isinstance(data.get("user"), int):
            data = {**data, "user": str(data["user"])}
        return super().to_internal_value(data)
