"""Incidents over the API. Input serializers parse only; every rule is in
incidents/services/. Members of an affected community see the public face of an incident
(its state, their hubs, the public timeline); the `internal` block is for staff only."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from communities.models import Hub
from incidents.models import ActionItem, Incident, IncidentReport, RoleAssignment, TimelineEntry
from incidents.services.live_log import MANUAL_KINDS
from supportdesk.api import HubRefSerializer, InstantField, PersonSerializer, version_field
from supportdesk.limits import MAX_TEXT  # the web forms' limit too
from tickets.models import SupportRequest

Role = RoleAssignment.Role
MAX_USERS = 1_000_000
MAX_HUBS = 50


# --- Output ----------------------------------------------------------------------------------


class RoleAssignmentSerializer(serializers.ModelSerializer):
    user = PersonSerializer(read_only=True)
    assigned_by = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = RoleAssignment
        fields = ["id", "role", "user", "assigned_by", "reason", "started_at", "ended_at"]
        read_only_fields = fields


class ReportSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = IncidentReport
        fields = ["id", "review_state", "published_at"]
        read_only_fields = fields


class IncidentInternalSerializer(serializers.Serializer):
    """What only the team sees: the roles, the clocks, the internal facts."""

    summary = serializers.CharField(help_text="What we think it is related to.")
    affected_users = serializers.IntegerField()
    detected_by = serializers.ChoiceField(choices=Incident.Detection.choices)
    definition_override_reason = serializers.CharField()
    declared_by = PersonSerializer(allow_null=True)
    commander = serializers.SerializerMethodField()
    liaison = serializers.SerializerMethodField()
    smes = serializers.SerializerMethodField()
    escalated_at = serializers.DateTimeField(allow_null=True)
    community_confirmed_at = serializers.DateTimeField(allow_null=True)
    last_update_sent_at = serializers.DateTimeField(allow_null=True)
    next_update_due_at = serializers.DateTimeField(allow_null=True)
    escalation_due_at = serializers.DateTimeField(allow_null=True)
    auto_close_due_at = serializers.DateTimeField(allow_null=True)
    report = serializers.SerializerMethodField()

    @staticmethod
    def _holders(incident, role):
        return [a.user for a in incident.current_role_list if a.role == role]

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_commander(self, incident):
        holders = self._holders(incident, Role.COMMANDER)
        return PersonSerializer(holders[0]).data if holders else None

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_liaison(self, incident):
        holders = self._holders(incident, Role.LIAISON)
        return PersonSerializer(holders[0]).data if holders else None

    @extend_schema_field(PersonSerializer(many=True))
    def get_smes(self, incident):
        return PersonSerializer(self._holders(incident, Role.SME), many=True).data

    @extend_schema_field(ReportSummarySerializer(allow_null=True))
    def get_report(self, incident):
        try:
            report = incident.report
        except IncidentReport.DoesNotExist:
            return None
        return ReportSummarySerializer(report).data


class IncidentSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True, help_text="INC-<id>")
    hubs = serializers.SerializerMethodField(
        help_text="The affected hubs (for community members: their own community's)."
    )
    internal = serializers.SerializerMethodField(
        help_text="Staff only (null for everybody else): roles, clocks, internal facts."
    )

    class Meta:
        model = Incident
        fields = [
            "id",
            "reference",
            "title",
            "state",
            "severity",
            "symptom",
            "hubs",
            "declared_at",
            "acknowledged_at",
            "resolved_at",
            "closed_at",
            "impact_started_at",
            "impact_ended_at",
            "verification_note",
            "updated_at",
            "version",
            "internal",
        ]
        read_only_fields = fields

    @extend_schema_field(HubRefSerializer(many=True))
    def get_hubs(self, incident):
        hubs = list(incident.hubs.all())
        if not self.context.get("staff"):
            member_of = self.context.get("community_ids", set())
            hubs = [h for h in hubs if h.community_id in member_of]
        return HubRefSerializer(hubs, many=True).data

    @extend_schema_field(IncidentInternalSerializer(allow_null=True))
    def get_internal(self, incident):
        if not self.context.get("staff"):
            return None
        return IncidentInternalSerializer(incident).data


class TimelineEntrySerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField(
        help_text="Who wrote it (staff only; null for community members, as on the pages)."
    )
    link_url = serializers.CharField(
        read_only=True, help_text="Pull request, log, source of the report; or empty."
    )

    class Meta:
        model = TimelineEntry
        fields = ["id", "kind", "body", "link_url", "occurred_at", "author", "is_public"]
        read_only_fields = fields

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_author(self, entry):
        if not self.context.get("staff") or entry.author is None:
            return None
        return PersonSerializer(entry.author).data


class ActionItemSerializer(serializers.ModelSerializer):
    owner = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ActionItem
        fields = ["id", "description", "follow_up_url", "owner", "done", "done_at", "created_at"]
        read_only_fields = fields


class IncidentReportSerializer(serializers.ModelSerializer):
    incident = serializers.IntegerField(source="incident_id", read_only=True)
    owner = PersonSerializer(read_only=True, allow_null=True)
    reviewed_by = PersonSerializer(read_only=True, allow_null=True)
    action_items = ActionItemSerializer(many=True, read_only=True)

    class Meta:
        model = IncidentReport
        fields = [
            "id",
            "incident",
            "review_state",
            "owner",
            "summary",
            "impact",
            "impact_started_at",
            "impact_ended_at",
            "timeline_markdown",
            "analysis",
            "action_items",
            "reviewed_by",
            "reviewed_at",
            "published_at",
            "updated_at",
            "version",
        ]
        read_only_fields = fields


# --- Input -----------------------------------------------------------------------------------


class DeclareSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    hubs = serializers.ListField(
        child=serializers.PrimaryKeyRelatedField(queryset=Hub.objects.filter(is_active=True)),
        max_length=MAX_HUBS,
        help_text="Ids of the affected hubs.",
    )
    symptom = serializers.ChoiceField(choices=Incident.Symptom.choices)
    affected_users = serializers.IntegerField(min_value=0, max_value=MAX_USERS)
    detected_by = serializers.ChoiceField(choices=Incident.Detection.choices)
    summary = serializers.CharField(
        max_length=MAX_TEXT, required=False, allow_blank=True, default=""
    )
    override_reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="Only when the definition (two or more users, one of the four symptoms) is "
        "not met: why this is an incident anyway.",
    )
    impact_started_at = InstantField(
        required=False, allow_null=True, default=None, help_text="Best guess; omitted: now."
    )
    request = serializers.PrimaryKeyRelatedField(
        queryset=SupportRequest.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="The support request that reported it; it becomes an incident request.",
    )


class TimelineEntryCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[(k, TimelineEntry.Kind(k).label) for k in MANUAL_KINDS])
    body = serializers.CharField(max_length=MAX_TEXT, help_text="Markdown.")
    occurred_at = InstantField(
        required=False, allow_null=True, default=None, help_text="Back-fill; omitted: now."
    )
    link_url = serializers.URLField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Pull request (required for a fix), log, source.",
    )
    is_public = serializers.BooleanField(
        default=False, help_text="Shown to the community and pre-filled into the report."
    )


class UpdateSerializer(serializers.Serializer):
    body = serializers.CharField(
        max_length=MAX_TEXT,
        help_text="Current state, what was tried, next steps. {representative_name} is filled "
        "in for each recipient.",
    )


class HandoffSerializer(serializers.Serializer):
    role = serializers.ChoiceField(
        choices=[(Role.COMMANDER, Role.COMMANDER.label), (Role.LIAISON, Role.LIAISON.label)]
    )
    to_user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())
    reason = serializers.CharField(max_length=300)


class IncidentResolveSerializer(serializers.Serializer):
    impact_ended_at = InstantField(help_text="When users stopped being hit.")
    verification_note = serializers.CharField(
        max_length=MAX_TEXT,
        help_text="How the fix was verified. Public: it appears in the timeline and status page.",
    )
    message = serializers.CharField(
        max_length=MAX_TEXT,
        required=False,
        allow_blank=True,
        default="",
        help_text="To the community; empty sends the standard resolution message.",
    )


class ReportUpdateSerializer(serializers.Serializer):
    """Only the fields sent are changed."""

    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True
    )
    summary = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)
    impact = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)
    impact_started_at = InstantField(required=False, allow_null=True)
    impact_ended_at = InstantField(required=False, allow_null=True)
    timeline_markdown = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)
    analysis = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)
    version = version_field(required=True)


class ReportReturnSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, default="", help_text="Why."
    )
