"""Support requests over the API. Input serializers parse only; every rule is in
tickets/services.py. Output shows the representative's view of a request, plus an `internal`
block (deadlines, priority) for staff only."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from accounts.roles import representative_community
from communities.models import Hub
from supportdesk.api import (
    CommunityRefSerializer,
    HubRefSerializer,
    InstantField,
    PersonSerializer,
    version_field,
)
from supportdesk.limits import MAX_TEXT  # the web forms' limit too
from tickets.models import Attachment, CannedResponse, Message, SupportRequest, TimeEntry
from tickets.priority import RANK_LABELS

Category = SupportRequest.Category
MAX_USERS = 1_000_000  # as the web form
INT_MAX = 2**31 - 1


# --- Output ----------------------------------------------------------------------------------


class RequestInternalSerializer(serializers.Serializer):
    """What only the team sees: the clocks and the priority."""

    priority_rank = serializers.IntegerField(help_text="1 is highest; incidents are 0.")
    priority_label = serializers.SerializerMethodField()
    has_dedicated_funding = serializers.BooleanField()
    impacts_many_communities = serializers.BooleanField()
    aligns_with_team_goals = serializers.BooleanField()
    aligns_with_upstream_goals = serializers.BooleanField()
    high_single_community_impact = serializers.BooleanField()
    triaged_at = serializers.DateTimeField(allow_null=True)
    first_responded_at = serializers.DateTimeField(allow_null=True)
    triage_due_at = serializers.DateTimeField(allow_null=True)
    first_response_due_at = serializers.DateTimeField(allow_null=True)
    timebox_due_at = serializers.DateTimeField(allow_null=True)
    auto_close_due_at = serializers.DateTimeField(allow_null=True)
    next_due_at = serializers.DateTimeField(
        allow_null=True, help_text="The nearest pending deadline: the queue's order."
    )
    due_label = serializers.CharField(help_text="Which clock next_due_at belongs to.")
    due_text = serializers.CharField(help_text='In working time: "3 h left", "overdue by 2 h".')
    due_state = serializers.CharField(help_text='"overdue", "soon" (4 working hours) or "".')

    def get_priority_label(self, r) -> str:
        return RANK_LABELS.get(r.priority_rank, "")

    def to_representation(self, r):
        for name in ("due_label", "due_text", "due_state"):
            if not hasattr(r, name):
                setattr(r, name, "")
        return super().to_representation(r)


class SupportRequestSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True, help_text="SD-<id>")
    state = serializers.ChoiceField(
        source="status", choices=SupportRequest.Status.choices, read_only=True
    )
    community = CommunityRefSerializer(read_only=True)
    hub = HubRefSerializer(read_only=True, allow_null=True)
    requester = PersonSerializer(read_only=True)
    assignee = PersonSerializer(read_only=True, allow_null=True)
    incident = serializers.IntegerField(source="incident_id", read_only=True, allow_null=True)
    follow_up_of = serializers.IntegerField(
        source="follow_up_of_id",
        read_only=True,
        allow_null=True,
        help_text="The closed request that a reply to it opened this one from, or null.",
    )
    # Blank until an issue is linked: a plain string (an empty string is no "uri").
    engineering_issue_url = serializers.CharField(read_only=True)
    internal = serializers.SerializerMethodField(
        help_text="Staff only (null for everybody else): clocks and priority."
    )

    class Meta:
        model = SupportRequest
        fields = [
            "id",
            "reference",
            "subject",
            "description",
            "community",
            "hub",
            "requester",
            "assignee",
            "state",
            "category",
            "channel",
            "cannot_log_in",
            "cannot_start_servers",
            "cannot_run_code",
            "cannot_use_dask",
            "affected_users",
            "likely_incident",
            "engineering_issue_url",
            "incident",
            "follow_up_of",
            "received_at",
            "resolved_at",
            "closed_at",
            "response_due_at",
            "updated_at",
            "version",
            "internal",
        ]
        read_only_fields = fields

    @staticmethod
    def _staff(context) -> bool:
        return bool(context.get("staff"))

    @extend_schema_field(RequestInternalSerializer(allow_null=True))
    def get_internal(self, r):
        if not self._staff(self.context):
            return None
        return RequestInternalSerializer(r).data


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Download (same permissions as the request).")
    content_type = serializers.CharField(read_only=True, help_text="Sniffed from the bytes.")

    class Meta:
        model = Attachment
        fields = [
            "id",
            "filename",
            "size",
            "content_type",
            "inline",
            "message",
            "url",
            "created_at",
        ]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        return reverse("tickets:attachment_download", args=[obj.pk])


class AttachmentsCreatedSerializer(serializers.Serializer):
    attachments = AttachmentSerializer(many=True, help_text="The files stored, in order.")


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.ListField(child=serializers.FileField(), help_text="One or more files.")


class MessageSerializer(serializers.ModelSerializer):
    author = PersonSerializer(read_only=True, allow_null=True)
    link_url = serializers.CharField(read_only=True, help_text="An attached link, or empty.")
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "visibility",
            "body",
            "link_url",
            "attachments",
            "author",
            "is_from_staff",
            "created_at",
        ]
        read_only_fields = fields


class TimeEntrySerializer(serializers.ModelSerializer):
    engineer = PersonSerializer(read_only=True)

    class Meta:
        model = TimeEntry
        fields = [
            "id",
            "minutes",
            "note",
            "worked_at",
            "budget_month",
            "counts_against_budget",
            "engineer",
            "created_at",
        ]
        read_only_fields = fields


# --- Input -----------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class RepresentativeHubField(serializers.PrimaryKeyRelatedField):
    """A hub of the representative's own community (others do not exist for them)."""

    def get_queryset(self):
        community = representative_community(self.context.get("user"))
        if community is None:
            return Hub.objects.none()
        return Hub.objects.filter(community=community, is_active=True)


class RequestCreateSerializer(serializers.Serializer):
    hub = RepresentativeHubField(help_text="One of your community's hubs (id).")
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=MAX_TEXT, help_text="Markdown.")
    cannot_log_in = serializers.BooleanField(default=False)
    cannot_start_servers = serializers.BooleanField(default=False)
    cannot_run_code = serializers.BooleanField(default=False)
    cannot_use_dask = serializers.BooleanField(default=False)
    affected_users = serializers.IntegerField(
        min_value=0, max_value=MAX_USERS, default=0, help_text="Your best estimate."
    )


class MessageCreateSerializer(serializers.Serializer):
    visibility = serializers.ChoiceField(
        choices=Message.Visibility.choices,
        default=Message.Visibility.PUBLIC,
        help_text="public: a reply the representative sees (and is e-mailed, when it comes "
        "from the team). internal: a note only the team sees (staff only).",
    )
    body = serializers.CharField(max_length=MAX_TEXT, help_text="Markdown.")
    link_url = serializers.URLField(
        required=False, allow_blank=True, default="", max_length=200, help_text="Public only."
    )
    canned_response = serializers.PrimaryKeyRelatedField(
        queryset=CannedResponse.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        default=None,
        help_text="The canned response the body was written from (staff replies only).",
    )
    version = version_field()

    def validate(self, attrs):
        if attrs["visibility"] == Message.Visibility.INTERNAL:
            extra = [name for name in ("link_url", "canned_response") if attrs.get(name)]
            if extra:
                raise serializers.ValidationError(
                    {name: [gettext("Only public replies carry this.")] for name in extra}
                )
        return attrs


class TriageSerializer(serializers.Serializer):
    category = serializers.ChoiceField(
        choices=[c for c in Category.choices if c[0]], help_text="incident, change or guidance"
    )
    hub = serializers.PrimaryKeyRelatedField(
        queryset=Hub.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Move to another hub of the community; omit to keep the current one.",
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Reassign to a member of the team; omit to keep the current assignee.",
    )
    version = version_field()


class TimeEntryCreateSerializer(serializers.Serializer):
    minutes = serializers.IntegerField(min_value=-INT_MAX, max_value=INT_MAX)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    worked_at = InstantField(
        required=False,
        allow_null=True,
        default=None,
        help_text="When the work was done; omitted means now.",
    )


class ResolveSerializer(serializers.Serializer):
    body = serializers.CharField(
        max_length=MAX_TEXT,
        required=False,
        allow_blank=True,
        default="",
        help_text="The resolution message. Empty sends the standard one (only once the "
        "representative has had an answer).",
    )
    version = version_field()


class LinkIssueSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=200, help_text="The engineering issue (label support).")
    send_canned = serializers.BooleanField(
        default=True,
        help_text="Tell the representative it is not an outage and has entered work planning.",
    )
    version = version_field()


class PrioritySerializer(serializers.Serializer):
    """The priority factors (DOMAIN.md "Priority order"); omitted ones are kept."""

    has_dedicated_funding = serializers.BooleanField(required=False, allow_null=True, default=None)
    impacts_many_communities = serializers.BooleanField(
        required=False, allow_null=True, default=None
    )
    aligns_with_team_goals = serializers.BooleanField(required=False, allow_null=True, default=None)
    aligns_with_upstream_goals = serializers.BooleanField(
        required=False, allow_null=True, default=None
    )
    high_single_community_impact = serializers.BooleanField(
        required=False, allow_null=True, default=None
    )
    version = version_field()


class VersionSerializer(serializers.Serializer):
    version = version_field()


class ReopenSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
    version = version_field()
