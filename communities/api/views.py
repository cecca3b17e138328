"""Communities, their budgets, and hubs with their current status."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from accounts.roles import is_staff_member, member_community_ids
from communities import selectors
from communities.api.serializers import (
    BudgetQuerySerializer,
    BudgetSerializer,
    CommunitySerializer,
    HubQuerySerializer,
    HubSerializer,
)
from communities.models import Community, Hub
from communities.services import budget_status
from supportdesk.api import ApiView, error_responses, parse


class CommunityListView(ApiView):
    serializer_class = CommunitySerializer

    @extend_schema(
        operation_id="communities_list",
        summary="Communities you may see (staff: all; members: their own), with their hubs",
        tags=["communities"],
        responses={200: CommunitySerializer(many=True), **error_responses(400, 401, 404, 429)},
    )
    def get(self, request):
        active_hubs = Hub.objects.filter(is_active=True).order_by("name")
        qs = Community.objects.prefetch_related(Prefetch("hubs", queryset=active_hubs))
        if not is_staff_member(request.user):
            qs = qs.filter(pk__in=member_community_ids(request.user))
        return self.paginated(qs.order_by("name", "pk"), CommunitySerializer)


class BudgetView(ApiView):
    serializer_class = BudgetSerializer

    @extend_schema(
        operation_id="communities_budget",
        summary="A community's support budget for a month: hours, used, remaining",
        description="Staff: any community. A representative: their own community. Anybody "
        "else: 404.",
        tags=["communities"],
        parameters=[
            OpenApiParameter(
                "slug",
                str,
                OpenApiParameter.PATH,
                description="The community's slug.",
                examples=[OpenApiExample("A demo community", value="pangeo")],
            ),
            OpenApiParameter(
                "month",
                str,
                pattern=r"^\d{4}-\d{2}$",
                description="YYYY-MM; omitted: the current month in the community's time zone.",
            ),
        ],
        responses={200: BudgetSerializer, **error_responses(400, 401, 404, 429)},
    )
    def get(self, request, slug: str):
        community = selectors.budget_community_for(user=request.user, slug=slug)
        if community is None:
            raise Http404("No such community.")
        month = parse(BudgetQuerySerializer, request.query_params).get("month")
        status = budget_status(community=community, month=month)
        return Response(
            BudgetSerializer(
                {
                    "community": community.slug,
                    "month": f"{status.month:%Y-%m}",
                    "hours": status.hours,
                    "used": status.used,
                    "remaining": status.remaining,
                    "percent_used": status.percent_used,
                    "exhausted": status.exhausted,
                    "nearly_exhausted": status.nearly_exhausted,
                }
            ).data
        )


class HubListView(ApiView):
    """Public, as the status page: every active hub with its current status."""

    serializer_class = HubSerializer
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="hubs_list",
        summary="Active hubs with their current status (public, as the status page)",
        tags=["hubs"],
        parameters=[HubQuerySerializer],
        responses={200: HubSerializer(many=True), **error_responses(400, 404, 429)},
    )
    def get(self, request):
        query = parse(HubQuerySerializer, request.query_params)
        qs = Hub.objects.filter(is_active=True, community__is_active=True).select_related(
            "community"
        )
        if query.get("community"):
            qs = qs.filter(community__slug=query["community"])
        return self.paginated(qs.order_by("community__name", "name", "pk"), HubSerializer)
