"""The support rotation over the API: who is on duty, and the schedule ahead. Staff only, as
the rotation page."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from accounts.roles import is_staff_member
from rotation import services
from rotation.api.serializers import (
    OnDutyQuerySerializer,
    OnDutySerializer,
    ScheduleQuerySerializer,
    ScheduleSerializer,
)
from supportdesk.api import ApiView, error_responses, forbid_unless, parse

TAGS = ["rotation"]
STAFF_ONLY = gettext_lazy("The rotation is shown to the support team only.")


class OnDutyView(ApiView):
    serializer_class = OnDutySerializer

    @extend_schema(
        operation_id="rotation_on_duty",
        summary="The stewards on duty now, or at an instant (staff)",
        tags=TAGS,
        parameters=[OnDutyQuerySerializer],
        responses={200: OnDutySerializer, **error_responses(400, 401, 403, 429)},
    )
    def get(self, request):
        forbid_unless(is_staff_member(request.user), STAFF_ONLY)
        at = parse(OnDutyQuerySerializer, request.query_params).get("at") or timezone.now()
        body = {
            "at": at,
            "day": services.rotation_today(at=at),
            "stewards": services.current_stewards(at=at),
        }
        return Response(OnDutySerializer(body).data)


class ScheduleView(ApiView):
    serializer_class = ScheduleSerializer

    @extend_schema(
        operation_id="rotation_schedule",
        summary="The shifts of the coming weeks, overrides noted (staff)",
        tags=TAGS,
        parameters=[ScheduleQuerySerializer],
        responses={200: ScheduleSerializer, **error_responses(400, 401, 403, 429)},
    )
    def get(self, request):
        forbid_unless(is_staff_member(request.user), STAFF_ONLY)
        weeks = parse(ScheduleQuerySerializer, request.query_params)["weeks"]
        first_day = services.rotation_today()
        body = {
            "first_day": first_day,
            "weeks": weeks,
            "shifts": services.upcoming_shifts(first_day=first_day, weeks=weeks),
        }
        return Response(ScheduleSerializer(body).data)
