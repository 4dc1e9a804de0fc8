"""Factories API: sign-up, admin verification, profile, capacity calendar and the public catalog.

Thin views: input serializer -> selector (scoped to the caller) -> service -> output serializer.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, OpenApiTypes, extend_schema
from rest_framework import status
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from factories import selectors
from factories.serializers import (
    CatalogOutputSerializer,
    FactoryListQuerySerializer,
    FactoryOutputSerializer,
    FactorySignupInputSerializer,
    FactorySignupOutputSerializer,
    FactoryUpdateInputSerializer,
)
from factories.services import FactoryProfile, factory_register, factory_update, factory_verify
from marketplace.accounts.serializers import ErrorResponseSerializer
from marketplace.accounts.services import token_for
from marketplace.api.caller import request_user
from marketplace.api.pagination import Pagination
from marketplace.api.permissions import IsFactory, IsPlatformAdmin
from marketplace.api.throttles import ScopedThrottle


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorResponseSerializer, description=description)


E400 = _error("Invalid input; `errors` names the field.")
E401 = _error("Not authenticated.")
E403 = _error("The caller's role may not do this.")
E404 = _error("No such factory for this caller (another tenant's factory answers the same).")
E409 = _error("Refused by the current state (status move not allowed, capacity below booked work).")
E429 = _error("Too many requests.")
FACTORY_ID = OpenApiParameter("factory_id", OpenApiTypes.INT, OpenApiParameter.PATH)


class FactoryListCreateApi(APIView):
    """GET: the factories the caller may see (admin: all, filterable; factory: itself).
    POST: anonymous factory sign-up; the factory stays `pending` until an admin verifies it."""

    pagination_class = Pagination
    throttle_scope = "signup"  # POST only, see get_throttles

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "POST":
            return [AllowAny()]
        return [IsAuthenticated(), (IsFactory | IsPlatformAdmin)()]  # type: ignore[list-item]

    def get_authenticators(self) -> list[BaseAuthentication]:
        # Sign-up is anonymous: a stale token in the client must not turn it into a 401.
        # (`self.request` is Django's request here; View.setup() sets it before dispatch.)
        request = getattr(self, "request", None)
        if request is not None and request.method == "POST":
            return []
        return super().get_authenticators()

    def get_throttles(self) -> list[BaseThrottle]:
        return [ScopedThrottle()] if self.request.method == "POST" else []

    @extend_schema(
        operation_id="factories_list",
        description="Admins see every factory (filter by status, region); a factory sees only itself.",
        tags=["factories"],
        parameters=[FactoryListQuerySerializer],
        responses={200: FactoryOutputSerializer(many=True), 400: E400, 401: E401, 403: E403},
    )
    def get(self, request: Request) -> Response:
        query = FactoryListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        factories = selectors.factory_list(user=request_user(request), **query.validated_data)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(factories, request, view=self)
        return paginator.get_paginated_response(FactoryOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="factories_signup",
        description="Anonymous factory sign-up. The factory is `pending` until an admin verifies it.",
        tags=["factories"],
        request=FactorySignupInputSerializer,
        responses={201: FactorySignupOutputSerializer, 400: E400, 429: E429},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = FactorySignupInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        profile = FactoryProfile(
            name=data["name"],
            region=data["region"],
            categories=data["categories"],
            processes=data["processes"],
            fabrics=data["fabrics"],
            sewing_operators=data["sewing_operators"],
            minutes_per_day=data["minutes_per_day"],
            efficiency=data["efficiency"],
            min_order_qty=data["min_order_qty"],
            max_order_qty=data["max_order_qty"],
            price_per_minute=data.get("price_per_minute"),
            working_weekdays=data.get("working_weekdays"),
        )
        factory = factory_register(
            username=data["username"], password=data["password"], email=data["email"], profile=profile
        )
        factory = selectors.factory_get(user=factory.owner, factory_id=factory.pk)
        factory.token = token_for(user=factory.owner)  # type: ignore[attr-defined]
        return Response(FactorySignupOutputSerializer(factory).data, status=status.HTTP_201_CREATED)


class FactoryDetailApi(APIView):
    """The factory itself or an admin. PATCH changes profile, capabilities or status (active <-> paused)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="factories_retrieve",
        tags=["factories"],
        parameters=[FACTORY_ID],
        responses={200: FactoryOutputSerializer, 401: E401, 404: E404},
    )
    def get(self, request: Request, factory_id: int) -> Response:
        factory = selectors.factory_get(user=request_user(request), factory_id=factory_id)
        return Response(FactoryOutputSerializer(factory).data)

    @extend_schema(
        operation_id="factories_update",
        tags=["factories"],
        parameters=[FACTORY_ID],
        request=FactoryUpdateInputSerializer,
        responses={200: FactoryOutputSerializer, 400: E400, 401: E401, 404: E404, 409: E409},
    )
    def patch(self, request: Request, factory_id: int) -> Response:
        factory = selectors.factory_get(user=request_user(request), factory_id=factory_id)
        serializer = FactoryUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        factory_update(factory=factory, actor=request_user(request), changes=dict(serializer.validated_data))
        factory = selectors.factory_get(user=request_user(request), factory_id=factory_id)
        return Response(FactoryOutputSerializer(factory).data)


class FactoryVerifyApi(APIView):
    """An admin checked the factory's licence and lines: pending -> active. Verifying twice is a 409."""

    permission_classes = [IsAuthenticated, IsPlatformAdmin]

    @extend_schema(
        operation_id="factories_verify",
        tags=["factories"],
        parameters=[FACTORY_ID],
        request=None,
        responses={200: FactoryOutputSerializer, 401: E401, 403: E403, 404: E404, 409: E409},
    )
    def post(self, request: Request, factory_id: int) -> Response:
        factory = selectors.factory_get(user=request_user(request), factory_id=factory_id)
        factory_verify(factory_id=factory.pk, actor=request_user(request))
        factory = selectors.factory_get(user=request_user(request), factory_id=factory_id)
        return Response(FactoryOutputSerializer(factory).data)


class CatalogApi(APIView):
    """The catalog codes (categories, processes, fabrics, regions). Public: the sign-up form needs it."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(operation_id="catalog_retrieve", tags=["catalog"], responses={200: CatalogOutputSerializer}, auth=[])
    def get(self, request: Request) -> Response:
        return Response(CatalogOutputSerializer(selectors.catalog()).data)
