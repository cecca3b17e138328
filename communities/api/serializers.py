from __future__ import annotations

import datetime
import re

from rest_framework import serializers

from communities.models import Community, Hub
from supportdesk.api import CommunityRefSerializer, HubRefSerializer

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class CommunitySerializer(serializers.ModelSerializer):
    hubs = HubRefSerializer(many=True, read_only=True)

    class Meta:
        model = Community
        fields = ["id", "slug", "name", "kind", "timezone", "is_active", "hubs"]
        read_only_fields = fields


class BudgetSerializer(serializers.Serializer):
    """A community's support budget for one month (in the community's time zone)."""

    community = serializers.SlugField(read_only=True)
    month = serializers.CharField(read_only=True, help_text="YYYY-MM")
    hours = serializers.DecimalField(max_digits=9, decimal_places=2, read_only=True)
    used = serializers.DecimalField(
        max_digits=9, decimal_places=2, read_only=True, help_text="Incident work never counts."
    )
    remaining = serializers.DecimalField(
        max_digits=9, decimal_places=2, read_only=True, help_text="Negative when over budget."
    )
    percent_used = serializers.IntegerField(read_only=True)
    exhausted = serializers.BooleanField(read_only=True)
    nearly_exhausted = serializers.BooleanField(read_only=True)


class MonthField(serializers.Field):
    default_error_messages = {"invalid": "Give a month as YYYY-MM, between 2000-01 and 2999-12."}

    def to_internal_value(self, data):
        match = _MONTH.match(data) if isinstance(data, str) else None
        if match is None:
            self.fail("invalid")
        year, month = int(match.group(1)), int(match.group(2))
        if not (2000 <= year <= 2999 and 1 <= month <= 12):
            self.fail("invalid")
        return datetime.date(year, month, 1)

    def to_representation(self, value):
        return f"{value:%Y-%m}"


class BudgetQuerySerializer(serializers.Serializer):
    month = MonthField(required=False)


class HubSerializer(serializers.ModelSerializer):
    community = CommunityRefSerializer(read_only=True)
    current_status = serializers.ChoiceField(
        source="effective_status",
        choices=Hub.Status.choices,
        read_only=True,
        help_text="operational, degraded, outage or maintenance (an admin's override wins).",
    )
    status_note = serializers.CharField(
        source="status_override_reason",
        read_only=True,
        help_text="Why an admin set the status by hand, if they did.",
    )

    class Meta:
        model = Hub
        fields = [
            "id",
            "slug",
            "name",
            "url",
            "cluster",
            "community",
            "has_dask_gateway",
            "current_status",
            "status_note",
        ]
        read_only_fields = fields


class HubQuerySerializer(serializers.Serializer):
    community = serializers.SlugField(required=False, help_text="Only this community's hubs.")
