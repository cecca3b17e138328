"""Incidents over the API. Thin, like the war room's views: find the incident in the user's
scope (404 otherwise), check the role the page checks (403: the war room is staff only), validate
(400), call one service; its DomainErrors become 400/403/409 in supportdesk.api.

Members of an affected community read the incident and its public timeline, read its published
report, and (representatives) confirm that service is back."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.roles import is_staff_member, member_community_ids
from incidents import selectors
from incidents.api.serializers import (
    DeclareSerializer,
    HandoffSerializer,
    IncidentReportSerializer,
    IncidentResolveSerializer,
    IncidentSerializer,
    ReportReturnSerializer,
    ReportUpdateSerializer,
    RoleAssignmentSerializer,
    TimelineEntryCreateSerializer,
    TimelineEntrySerializer,
    UpdateSerializer,
)
from incidents.models import Incident, IncidentReport, RoleAssignment
from incidents.services import assignments, lifecycle, live_log, reports, updates
from supportdesk.api import (
    ApiView,
    CommandView,
    error_responses,
    forbid_unless,
    parse,
    path_id,
)
from supportdesk.idempotency import idempotent

TAGS = ["incidents"]
STAFF_ONLY = gettext_lazy("Only the support team can do this.")
INCIDENT_ID = path_id("incident")


def _staff(request) -> bool:
    return is_staff_member(request.user)


def _with_roles(qs):
    """Current role holders and the report, loaded with the incidents (no query per row)."""
    current = RoleAssignment.objects.filter(ended_at__isnull=True).select_related("user")
    return qs.select_related("declared_by", "report").prefetch_related(
        Prefetch("roles", queryset=current, to_attr="current_role_list")
    )


def _get(request, pk: int) -> Incident:
    try:
        return (
            _with_roles(selectors.incident_queryset_for(request.user))
            .prefetch_related("hubs")
            .get(pk=pk)
        )
    except (Incident.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such incident.") from None


def _context(request) -> dict:
    staff = _staff(request)
    return {"staff": staff, "community_ids": set() if staff else member_community_ids(request.user)}


def _incident_data(request, pk: int, *, code=status.HTTP_200_OK) -> Response:
    """The incident as it is now (re-read after a service changed it)."""
    incident = _get(request, pk)
    return Response(IncidentSerializer(incident, context=_context(request)).data, status=code)


class StateQuerySerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=Incident.State.choices, required=False)


class IncidentListView(ApiView):
    serializer_class = IncidentSerializer

    @extend_schema(
        operation_id="incidents_list",
        summary="Incidents you may see: open ones first, then newest first",
        tags=TAGS,
        parameters=[
            OpenApiParameter("state", str, enum=Incident.State.values, description="Only these.")
        ],
        responses={200: IncidentSerializer(many=True), **error_responses(400, 401, 403, 404, 429)},
    )
    def get(self, request):
        forbid_unless(
            selectors.can_view_incidents(request.user),
            gettext_lazy("Only the support team and members of a community see incidents."),
        )
        query = parse(StateQuerySerializer, request.query_params)
        qs = _with_roles(selectors.incident_list(user=request.user, filters=query))
        page = self.paginate_queryset(qs)
        data = IncidentSerializer(page, many=True, context=_context(request)).data
        return self.get_paginated_response(data)

    @extend_schema(
        operation_id="incidents_declare",
        summary="Declare an incident (staff); you become its commander and liaison",
        tags=TAGS,
        request=DeclareSerializer,
        responses={201: IncidentSerializer, **error_responses(400, 401, 403, 409, 429)},
    )
    @idempotent
    def post(self, request):
        forbid_unless(_staff(request), gettext_lazy("Only the support team can declare incidents."))
        data = parse(DeclareSerializer, request.data)
        incident = lifecycle.incident_declare(
            by=request.user,
            hubs=data["hubs"],
            title=data["title"],
            symptom=data["symptom"],
            affected_users=data["affected_users"],
            detected_by=data["detected_by"],
            summary=data["summary"],
            from_request=data["request"],
            override_reason=data["override_reason"],
            impact_started_at=data["impact_started_at"],
        )
        return _incident_data(request, incident.pk, code=status.HTTP_201_CREATED)


@extend_schema(parameters=[INCIDENT_ID])
class IncidentDetailView(ApiView):
    serializer_class = IncidentSerializer

    @extend_schema(
        operation_id="incidents_read",
        summary="One incident",
        tags=TAGS,
        responses={200: IncidentSerializer, **error_responses(401, 404, 429)},
    )
    def get(self, request, pk: int):
        return _incident_data(request, pk)


# POST /incidents/{id}/<command>/ (supportdesk.api.CommandView): 404 outside the scope, 403
# for everybody but staff (unless said otherwise), the incident answered as it is now.
@extend_schema(parameters=[INCIDENT_ID])
class IncidentCommand(CommandView):
    serializer_class = IncidentSerializer
    output_serializer = IncidentSerializer
    tags = TAGS
    forbidden = STAFF_ONLY
    target = "incident"

    def find(self, request, pk: int) -> Incident:
        return _get(request, pk)

    def is_staff(self, request) -> bool:
        return _staff(request)

    def answer(self, request, pk: int, result) -> Response:
        return _incident_data(request, pk)


class IncidentTimelineView(IncidentCommand):
    serializer_class = TimelineEntrySerializer
    operation_id = "incidents_timeline_create"
    summary = "Add a note, command, action, fix or communication (staff)"
    input_serializer = TimelineEntryCreateSerializer
    output_serializer = TimelineEntrySerializer
    status_code = status.HTTP_201_CREATED
    accepts_idempotency_key = True
    service = live_log.incident_add_timeline_entry
    answer = CommandView.answer  # the entry, not the incident

    @extend_schema(
        operation_id="incidents_timeline_list",
        summary="The live log, in order (community members: public entries only)",
        tags=TAGS,
        responses={
            200: TimelineEntrySerializer(many=True),
            **error_responses(400, 401, 404, 429),
        },
    )
    def get(self, request, pk: int):
        incident = _get(request, pk)
        entries = selectors.timeline_for(incident=incident, user=request.user)
        return self.paginated(entries, TimelineEntrySerializer, staff=_staff(request))


class IncidentUpdateView(IncidentCommand):
    serializer_class = TimelineEntrySerializer
    operation_id = "incidents_updates_create"
    summary = "Send a community update (the liaison or commander)"
    description = (
        "E-mailed to the affected communities' representatives, posted on linked "
        "requests, recorded as a public timeline entry; resets the update clock."
    )
    input_serializer = UpdateSerializer
    output_serializer = TimelineEntrySerializer
    status_code = status.HTTP_201_CREATED
    accepts_idempotency_key = True
    service = updates.incident_send_update
    answer = CommandView.answer  # the entry, not the incident


class IncidentHandoffView(IncidentCommand):
    serializer_class = RoleAssignmentSerializer
    operation_id = "incidents_handoff"
    summary = "Hand the commander or liaison role to a colleague"
    input_serializer = HandoffSerializer
    output_serializer = RoleAssignmentSerializer
    status_code = status.HTTP_201_CREATED
    service = assignments.incident_handoff
    answer = CommandView.answer  # the assignment, not the incident


class IncidentAcknowledgeView(IncidentCommand):
    operation_id = "incidents_acknowledge"
    summary = "Acknowledge a triggered incident (staff); the communities are told"
    service = lifecycle.incident_acknowledge


class IncidentEscalateView(IncidentCommand):
    operation_id = "incidents_escalate"
    summary = "Not fixed in 30 minutes: alert the engineers and the project manager (staff)"
    service = lifecycle.incident_escalate


class IncidentResolveView(IncidentCommand):
    operation_id = "incidents_resolve"
    summary = "Service is back: record impact end and verification (staff)"
    input_serializer = IncidentResolveSerializer
    service = lifecycle.incident_resolve


class IncidentConfirmView(IncidentCommand):
    operation_id = "incidents_confirm"
    summary = "The community confirms service is back (its representative, or staff)"
    staff_only = False
    service = lifecycle.incident_community_confirm


class IncidentCloseView(IncidentCommand):
    operation_id = "incidents_close"
    summary = "Close a resolved incident whose report is reviewed (staff)"
    service = lifecycle.incident_close


# --- The report --------------------------------------------------------------------------------


def _report_queryset():
    return IncidentReport.objects.select_related("owner", "reviewed_by").prefetch_related(
        "action_items__owner"
    )


def _report_of(incident: Incident, *, staff: bool) -> IncidentReport:
    """The incident's report: staff see drafts; everybody else only the published one."""
    qs = _report_queryset().filter(incident=incident)
    if not staff:
        qs = qs.published()
    report = qs.first()
    if report is None:
        raise Http404("This incident has no report yet." if staff else "No published report.")
    return report


def _report_data(report_pk: int, *, code=status.HTTP_200_OK) -> Response:
    report = _report_queryset().get(pk=report_pk)
    return Response(IncidentReportSerializer(report).data, status=code)


class IncidentReportView(IncidentCommand):
    serializer_class = IncidentReportSerializer
    operation_id = "incidents_report_create"
    summary = "Draft the report of a resolved incident, pre-filled from it (staff)"
    output_serializer = IncidentReportSerializer
    status_code = status.HTTP_201_CREATED
    errors = (400, 401, 403, 404, 409, 429)
    service = reports.report_create

    @extend_schema(
        operation_id="incidents_report_read",
        summary="The incident report (community members: once published)",
        tags=TAGS,
        responses={200: IncidentReportSerializer, **error_responses(401, 404, 429)},
    )
    def get(self, request, pk: int):
        incident = _get(request, pk)
        report = _report_of(incident, staff=_staff(request))
        return Response(IncidentReportSerializer(report).data)

    def answer(self, request, pk: int, result) -> Response:
        return _report_data(result.pk, code=self.status_code)

    @extend_schema(
        operation_id="incidents_report_update",
        summary="Edit the report's draft (staff); only the fields sent change",
        tags=TAGS,
        request=ReportUpdateSerializer,
        responses={200: IncidentReportSerializer, **error_responses(400, 401, 403, 404, 409, 429)},
    )
    def patch(self, request, pk: int):
        report = _report_of(self.get_target(request, pk), staff=True)
        data = dict(parse(ReportUpdateSerializer, request.data))
        expected = data.pop("version")
        report = reports.report_update(
            report=report, by=request.user, expected_version=expected, **data
        )
        return _report_data(report.pk)


# POST /incidents/{id}/report/<command>/: the incident's report, staff only.
class ReportCommand(IncidentCommand):
    serializer_class = IncidentReportSerializer
    output_serializer = IncidentReportSerializer
    target = "report"

    def get_target(self, request, pk: int) -> IncidentReport:
        return _report_of(super().get_target(request, pk), staff=True)

    def answer(self, request, pk: int, result) -> Response:
        return _report_data(result.pk)


class ReportSubmitView(ReportCommand):
    operation_id = "incidents_report_submit"
    summary = "Submit the draft for review (staff)"
    errors = (400, 401, 403, 404, 409, 429)
    service = reports.report_submit_for_review


class ReportReturnView(ReportCommand):
    operation_id = "incidents_report_return"
    summary = "Send a report in review back to draft (staff)"
    input_serializer = ReportReturnSerializer
    service = reports.report_return_to_draft


class ReportReviewView(ReportCommand):
    operation_id = "incidents_report_review"
    summary = "Mark the report reviewed: published and sent to the representatives (staff)"
    service = reports.report_mark_reviewed
