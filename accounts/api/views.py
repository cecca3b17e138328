"""Personal API tokens: the owner creates (the secret is shown once), lists and revokes them."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from accounts import services
from accounts.api.serializers import (
    ApiTokenCreatedSerializer,
    ApiTokenCreateSerializer,
    ApiTokenSerializer,
)
from accounts.models import ApiToken
from supportdesk.api import ApiView, error_responses, parse, path_id

TAGS = ["tokens"]


class TokenListView(ApiView):
    serializer_class = ApiTokenSerializer

    @extend_schema(
        operation_id="tokens_list",
        summary="Your API tokens (never their secrets), newest first",
        tags=TAGS,
        responses={200: ApiTokenSerializer(many=True), **error_responses(400, 401, 404, 429)},
    )
    def get(self, request):
        tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at", "-pk")
        return self.paginated(tokens, ApiTokenSerializer)

    @extend_schema(
        operation_id="tokens_create",
        summary="Create a token; its secret is in this response only",
        tags=TAGS,
        request=ApiTokenCreateSerializer,
        responses={201: ApiTokenCreatedSerializer, **error_responses(400, 401, 403, 429)},
    )
    def post(self, request):
        data = parse(ApiTokenCreateSerializer, request.data)
        token, secret = services.api_token_create(
            user=request.user, name=data["name"], expires_at=data.get("expires_at")
        )
        token.secret = secret
        return Response(ApiTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)


@extend_schema(parameters=[path_id("token")])
class TokenDetailView(ApiView):
    serializer_class = ApiTokenSerializer

    @extend_schema(
        operation_id="tokens_revoke",
        summary="Revoke one of your tokens; it stops working at once",
        tags=TAGS,
        request=None,
        responses={204: None, **error_responses(401, 404, 429)},
    )
    def delete(self, request, pk: int):
        token = ApiToken.objects.filter(user=request.user, pk=pk).first()
        if token is None:
            raise Http404("No such token of yours.")
        services.api_token_revoke(token=token, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
