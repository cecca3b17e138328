"""Support requests over the API. Thin, like the web views: find the request in the user's
scope (404 otherwise), check the role the web page would check (403), validate the input (400),
call one service; its DomainErrors become 400/403/409 in supportdesk.api.exception_handler.

Who may do what mirrors the pages: staff act on every request (the steward's desk); a
representative lists and reads their community's requests, submits, replies, confirms; a hub
administrator reads only; internal notes and the `internal` block are for staff only."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from accounts.roles import is_staff_member, member_community_ids, representative_community
from supportdesk.api import (
    ApiView,
    CommandView,
    error_responses,
    forbid_unless,
    parse,
    path_id,
)
from supportdesk.idempotency import idempotent
from tickets import selectors, services
from tickets.api.serializers import (
    AttachmentsCreatedSerializer,
    AttachmentSerializer,
    AttachmentUploadSerializer,
    LinkIssueSerializer,
    MessageCreateSerializer,
    MessageSerializer,
    PrioritySerializer,
    ReopenSerializer,
    RequestCreateSerializer,
    ResolveSerializer,
    SupportRequestSerializer,
    TimeEntryCreateSerializer,
    TimeEntrySerializer,
    TriageSerializer,
    VersionSerializer,
)
from tickets.attachments import check_sizes, incoming_from_uploads
from tickets.filters import SupportRequestFilter
from tickets.models import Message, SupportRequest
from tickets.search import SEARCH_LIMIT

TAGS = ["requests"]
STAFF_ONLY = gettext_lazy("Only the support team can do this.")
REQUEST_ID = path_id("request")


def _staff(request) -> bool:
    return is_staff_member(request.user)


def _request_data(request, r: SupportRequest, *, code=status.HTTP_200_OK) -> Response:
    """The request as the user may see it (with the clocks in words for staff)."""
    staff = _staff(request)
    if staff:
        selectors.annotate_deadlines([r])
    return Response(SupportRequestSerializer(r, context={"staff": staff}).data, status=code)


def _get(request, pk: int) -> SupportRequest:
    return selectors.request_get_for(user=request.user, pk=pk)


class RequestListView(ApiView):
    serializer_class = SupportRequestSerializer
    # The schema's query parameters; the list itself is tickets.selectors.request_list_for.
    filter_backends = [DjangoFilterBackend]
    filterset_class = SupportRequestFilter

    def get_queryset(self):
        return selectors.request_scope_for(user=self.request.user)

    @extend_schema(
        operation_id="requests_list",
        summary="Requests you may see, filtered",
        description="Staff: every request in the queue's order (`sort`; nearest deadline first "
        "by default, best match first when searching). Members of a community: their "
        "community's requests, newest first. Without `state` every state is listed; "
        "`state=open` is new, triaged and planned. "
        f"A search (`q`) lists the newest {SEARCH_LIMIT} matching requests (within the other "
        "filters): narrow it to reach older ones.",
        tags=TAGS,
        responses={
            200: SupportRequestSerializer(many=True),
            **error_responses(400, 401, 403, 404, 429),
        },
    )
    def get(self, request):
        staff = _staff(request)
        forbid_unless(
            staff or bool(member_community_ids(request.user)),
            gettext_lazy("Only the support team and members of a community have requests to list."),
        )
        listing = selectors.request_list_for(user=request.user, filters=request.query_params)
        if listing.errors:
            raise translate_validation(listing.errors)
        page = self.paginate_queryset(listing.requests.select_related("requester"))
        if staff:
            page = selectors.annotate_deadlines(page)
        data = SupportRequestSerializer(page, many=True, context={"staff": staff}).data
        return self.get_paginated_response(data)

    @extend_schema(
        operation_id="requests_create",
        summary="Submit a request for your community (representatives)",
        tags=TAGS,
        request=RequestCreateSerializer,
        responses={201: SupportRequestSerializer, **error_responses(400, 401, 403, 409, 429)},
    )
    @idempotent
    def post(self, request):
        forbid_unless(
            representative_community(request.user) is not None,
            gettext_lazy("Only a community representative can submit a support request."),
        )
        data = parse(RequestCreateSerializer, request.data, user=request.user)
        r = services.request_submit(
            requester=request.user, channel=SupportRequest.Channel.API, **data
        )
        return _request_data(request, _get(request, r.pk), code=status.HTTP_201_CREATED)


@extend_schema(parameters=[REQUEST_ID])
class RequestDetailView(ApiView):
    serializer_class = SupportRequestSerializer

    @extend_schema(
        operation_id="requests_read",
        summary="One request",
        tags=TAGS,
        responses={200: SupportRequestSerializer, **error_responses(401, 404, 429)},
    )
    def get(self, request, pk: int):
        return _request_data(request, _get(request, pk))


@extend_schema(parameters=[REQUEST_ID])
class RequestMessagesView(ApiView):
    serializer_class = MessageSerializer

    @extend_schema(
        operation_id="requests_messages_list",
        summary="The conversation, oldest first (internal notes for staff only)",
        tags=TAGS,
        responses={200: MessageSerializer(many=True), **error_responses(400, 401, 404, 429)},
    )
    def get(self, request, pk: int):
        r = _get(request, pk)
        return self.paginated(
            selectors.conversation_for(support_request=r, user=request.user), self.serializer_class
        )

    @extend_schema(
        operation_id="requests_messages_create",
        summary="Reply publicly, or (staff) add an internal note",
        description="A public reply from the team answers the representative and is e-mailed to "
        "them; a reply from the representative reopens a resolved request, and on a closed "
        "request opens a new request linked to it (`follow_up_of`): the answer is then that "
        "request (201, `Location` names it) instead of the message. Internal notes are "
        "staff only and never shown to the community.",
        tags=TAGS,
        request=MessageCreateSerializer,
        responses={
            201: PolymorphicProxySerializer(
                component_name="MessageOrFollowUp",
                serializers=[MessageSerializer, SupportRequestSerializer],
                resource_type_field_name=None,
            ),
            **error_responses(400, 401, 403, 404, 409, 429),
        },
    )
    @idempotent
    def post(self, request, pk: int):
        r = _get(request, pk)
        data = parse(MessageCreateSerializer, request.data)
        if data["visibility"] == Message.Visibility.INTERNAL:
            message = services.request_add_note(
                support_request=r, by=request.user, body=data["body"]
            )
        else:
            message = services.request_reply(
                support_request=r,
                by=request.user,
                body=data["body"],
                link_url=data["link_url"],
                canned_response=data["canned_response"] if _staff(request) else None,
                expected_version=data["version"],
                channel=SupportRequest.Channel.API,
            )
            if isinstance(message, SupportRequest):
                # The request was closed: the reply opened a follow-up, answered like a new
                # request (201 with Location).
                response = _request_data(
                    request, _get(request, message.pk), code=status.HTTP_201_CREATED
                )
                response["Location"] = reverse("api-request", args=[message.pk])
                return response
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)


@extend_schema(parameters=[REQUEST_ID])
class RequestAttachmentsView(ApiView):
    serializer_class = AttachmentSerializer
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="requests_attachments_list",
        summary="The request's files (with the request, and with its visible messages)",
        tags=TAGS,
        responses={200: AttachmentSerializer(many=True), **error_responses(400, 401, 404, 429)},
    )
    def get(self, request, pk: int):
        r = _get(request, pk)
        return self.paginated(
            selectors.attachments_for(support_request=r, user=request.user), self.serializer_class
        )

    @extend_schema(
        operation_id="requests_attachments_create",
        summary="Attach files to the request (multipart, field `file`, one or more)",
        description="Each file at most ATTACHMENT_MAX_FILE_BYTES (10 MB), together at most "
        "ATTACHMENT_MAX_MESSAGE_BYTES (25 MB). The type is sniffed from the bytes; files are "
        "only served as downloads.",
        tags=TAGS,
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={
            201: AttachmentsCreatedSerializer,
            **error_responses(400, 401, 403, 404, 409, 429),
        },
    )
    def post(self, request, pk: int):
        r = _get(request, pk)
        uploads = request.FILES.getlist("file")
        check_sizes([(u.name, u.size) for u in uploads])
        stored = services.request_add_attachments(
            support_request=r, by=request.user, files=incoming_from_uploads(uploads)
        )
        return Response(
            {"attachments": AttachmentSerializer(stored, many=True).data},
            status=status.HTTP_201_CREATED,
        )


# POST /requests/{id}/<command>/ (supportdesk.api.CommandView): the request in the user's
# scope, the service called with it, the request answered as the user may see it.
@extend_schema(parameters=[REQUEST_ID])
class RequestCommand(CommandView):
    serializer_class = SupportRequestSerializer
    output_serializer = SupportRequestSerializer
    tags = TAGS
    forbidden = STAFF_ONLY
    target = "support_request"

    def find(self, request, pk: int) -> SupportRequest:
        return _get(request, pk)

    def is_staff(self, request) -> bool:
        return _staff(request)

    def answer(self, request, pk: int, result: SupportRequest) -> Response:
        return _request_data(request, result)


class RequestTriageView(RequestCommand):
    operation_id = "requests_triage"
    summary = "Categorise (and optionally move hub or reassign) (staff)"
    input_serializer = TriageSerializer
    service = services.request_triage


@extend_schema(parameters=[REQUEST_ID])
class RequestTimeEntriesView(ApiView):
    serializer_class = TimeEntrySerializer

    @extend_schema(
        operation_id="requests_time_entries_list",
        summary="Time logged on the request, latest first (staff)",
        tags=TAGS,
        responses={
            200: TimeEntrySerializer(many=True),
            **error_responses(400, 401, 403, 404, 429),
        },
    )
    def get(self, request, pk: int):
        r = _get(request, pk)
        forbid_unless(_staff(request), STAFF_ONLY)
        return self.paginated(selectors.time_entries_for(support_request=r), self.serializer_class)

    @extend_schema(
        operation_id="requests_time_entries_create",
        summary="Log time worked (staff); it draws on the budget unless it is an incident",
        tags=TAGS,
        request=TimeEntryCreateSerializer,
        responses={201: TimeEntrySerializer, **error_responses(400, 401, 403, 404, 409, 429)},
    )
    @idempotent
    def post(self, request, pk: int):
        r = _get(request, pk)
        forbid_unless(_staff(request), STAFF_ONLY)
        data = parse(TimeEntryCreateSerializer, request.data)
        entry = services.request_log_time(
            support_request=r,
            by=request.user,
            minutes=data["minutes"],
            note=data["note"],
            worked_at=data["worked_at"],
        )
        return Response(TimeEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class RequestLinkIssueView(RequestCommand):
    operation_id = "requests_link_issue"
    summary = "Link the engineering issue: the request enters work planning (staff)"
    input_serializer = LinkIssueSerializer
    service = services.request_link_issue


class RequestPriorityView(RequestCommand):
    operation_id = "requests_priority"
    summary = "Set the priority factors; the rank follows (staff)"
    input_serializer = PrioritySerializer
    service = services.request_set_priority


class RequestResolveView(RequestCommand):
    operation_id = "requests_resolve"
    summary = "Send the resolution message and mark resolved (staff)"
    input_serializer = ResolveSerializer
    service = services.request_resolve


class RequestConfirmView(RequestCommand):
    operation_id = "requests_confirm"
    summary = "Confirm the resolution; the request closes (the community's representative)"
    staff_only = False
    service = services.request_confirm


class RequestReopenView(RequestCommand):
    operation_id = "requests_reopen"
    summary = "Reopen a resolved request (the community's representative or staff)"
    input_serializer = ReopenSerializer
    staff_only = False
    service = services.request_reopen


class RequestCloseView(RequestCommand):
    operation_id = "requests_close"
    summary = "Close an answered request (staff)"
    input_serializer = VersionSerializer
    service = services.request_close
