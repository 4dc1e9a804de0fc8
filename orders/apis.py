"""The orders API: merchants post and follow orders; factories report progress and ship their jobs.

Thin views: an input serializer checks shape, a selector scopes the read to the caller (another
tenant's id is a 404, the same as a missing one), a service makes the change, an output
serializer shapes the answer. Errors take the one shape of `marketplace.api.errors`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from factories.selectors import factory_of
from marketplace.accounts.selectors import merchant_of
from marketplace.api.caller import request_user
from marketplace.api.pagination import Pagination
from marketplace.api.parsers import BoundedJSONParser
from marketplace.api.permissions import IsFactory, IsMerchant, IsPlatformAdmin
from marketplace.api.throttles import ScopedThrottle
from marketplace.errors import NotFound, ValidationFailed
from orders import selectors, services
from orders.models import Allocation, Order
from orders.serializers import (
    ErrorSerializer,
    FactoryJobOutputSerializer,
    JobListFilterSerializer,
    OrderCreateInputSerializer,
    OrderDetailOutputSerializer,
    OrderListFilterSerializer,
    OrderOutputSerializer,
    OrderReceiveInputSerializer,
    OrderRepeatInputSerializer,
    ProgressInputSerializer,
    ProgressReportOutputSerializer,
    ShipInputSerializer,
)

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_IDEMPOTENCY_KEY = 128

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input; `errors` names the field."),
    403: OpenApiResponse(ErrorSerializer, description="Your role may not do this."),
    404: OpenApiResponse(ErrorSerializer, description="No such object for you."),
    409: OpenApiResponse(ErrorSerializer, description="Not allowed in the object's current state."),
    413: OpenApiResponse(ErrorSerializer, description="Request body too large."),
}
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Retry-safe POST: the same key and body return the first result (header Idempotent-Replayed: "
    "true); the same key with another body is a 409.",
)


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERRORS[code] for code in codes}


class ApiView(APIView):
    """Base for this app's views: JSON bodies only, bounded in size."""

    parser_classes = [BoundedJSONParser]

    def paginate(self, request: Request, queryset: Any, serializer_class: type[BaseSerializer]) -> Response:
        paginator = Pagination()
        page: list[Any] | None = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True, context={"request": request}).data)


def idempotency_key(request: Request) -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_IDEMPOTENCY_KEY:
        raise ValidationFailed(
            f"{IDEMPOTENCY_HEADER} must be 1 to {MAX_IDEMPOTENCY_KEY} characters.",
            field=IDEMPOTENCY_HEADER,
            code="invalid",
        )
    return key


def created_response(request: Request, order: Order, *, created: bool) -> Response:
    """201 with the order; a replayed idempotent POST answers the same, marked as a replay."""
    order = selectors.order_get(user=request_user(request), order_id=order.pk)
    response = Response(OrderDetailOutputSerializer(order).data, status=status.HTTP_201_CREATED)
    if not created:
        response[REPLAYED_HEADER] = "true"
    return response


def detail_response(request: Request, order_id: int) -> Response:
    order = selectors.order_get(user=request_user(request), order_id=order_id)
    return Response(OrderDetailOutputSerializer(order).data)


class MerchantOrAdmin(BasePermission):
    message = "Only merchant accounts and platform admins can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return IsMerchant().has_permission(request, view) or IsPlatformAdmin().has_permission(request, view)


# --- merchant: orders ----------------------------------------------------------------------------


class OrderListCreateApi(ApiView):
    pagination_class = Pagination
    throttle_scope = "order_create"

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "POST":
            return [IsMerchant()]
        return [MerchantOrAdmin()]

    def get_throttles(self) -> list[BaseThrottle]:
        # Only creation is throttled: listing is cheap and paginated.
        return [ScopedThrottle()] if self.request.method == "POST" else []

    @extend_schema(
        operation_id="orders_list",
        parameters=[OrderListFilterSerializer],
        responses={200: OrderOutputSerializer(many=True), **errors(400, 403)},
    )
    def get(self, request: Request) -> Response:
        """Your orders (admins: everyone's), newest first; filter by `status`, search titles with `q`."""
        filters = OrderListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        orders = selectors.order_list(user=request_user(request), **filters.validated_data)
        return self.paginate(request, orders, OrderOutputSerializer)

    @extend_schema(
        operation_id="orders_create",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=OrderCreateInputSerializer,
        responses={201: OrderDetailOutputSerializer, **errors(400, 403, 409, 413)},
    )
    def post(self, request: Request) -> Response:
        """Post an order; matching starts once it is saved. Retry safely with an Idempotency-Key."""
        key = idempotency_key(request)
        payload = OrderCreateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        order, created = services.order_create(
            merchant=merchant_of(request_user(request)),
            data=payload.to_order_input(),
            actor=request_user(request),
            idempotency_key=key,
        )
        return created_response(request, order, created=created)


class OrderDetailApi(ApiView):
    @extend_schema(operation_id="orders_retrieve", responses={200: OrderDetailOutputSerializer, **errors(404)})
    def get(self, request: Request, order_id: int) -> Response:
        """One order with its allocations (who makes what, progress, shipping) and its timeline."""
        return detail_response(request, order_id)


class OrderReceiveApi(ApiView):
    permission_classes = [IsMerchant]

    @extend_schema(
        operation_id="orders_receive",
        request=OrderReceiveInputSerializer,
        responses={200: OrderDetailOutputSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request: Request, order_id: int) -> Response:
        """Confirm the goods arrived (only once every share has shipped)."""
        order = selectors.order_get(user=request_user(request), order_id=order_id)
        payload = OrderReceiveInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.order_receive(
            order_id=order.pk, actor=request_user(request), colours=payload.validated_data.get("colours")
        )
        return detail_response(request, order.pk)


class OrderRepeatApi(ApiView):
    permission_classes = [IsMerchant]

    @extend_schema(
        operation_id="orders_repeat",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=OrderRepeatInputSerializer,
        responses={201: OrderDetailOutputSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request: Request, order_id: int) -> Response:
        """Re-order a delivered style: same spec, new quantity and due date; the factory that made it is preferred."""
        order = selectors.order_get(user=request_user(request), order_id=order_id)
        key = idempotency_key(request)
        payload = OrderRepeatInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        new_order, created = services.order_repeat(
            order=order,
            merchant=order.merchant,
            quantity=data["quantity"],
            due_date=data["due_date"],
            sizes=data.get("sizes"),
            breakdown=data.get("breakdown"),
            actor=request_user(request),
            idempotency_key=key,
        )
        return created_response(request, new_order, created=created)


class OrderRematchApi(ApiView):
    permission_classes = [MerchantOrAdmin]

    @extend_schema(
        operation_id="orders_rematch",
        request=None,
        responses={200: OrderDetailOutputSerializer, **errors(403, 404, 409)},
    )
    def post(self, request: Request, order_id: int) -> Response:
        """Try matching an unmatched order again (after the market changed)."""
        order = selectors.order_get(user=request_user(request), order_id=order_id)
        services.order_rematch(order_id=order.pk, actor=request_user(request))
        return detail_response(request, order.pk)


# --- factory: jobs -------------------------------------------------------------------------------


class JobListApi(ApiView):
    permission_classes = [IsFactory]
    pagination_class = Pagination

    @extend_schema(
        operation_id="allocations_list",
        parameters=[JobListFilterSerializer],
        responses={200: FactoryJobOutputSerializer(many=True), **errors(400, 403)},
    )
    def get(self, request: Request) -> Response:
        """Your committed jobs (accepted, in production, shipped, delivered), soonest ship-by date first."""
        filters = JobListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        jobs = selectors.job_list(factory=factory_of(request_user(request)), **filters.validated_data)
        return self.paginate(request, jobs, FactoryJobOutputSerializer)


class AllocationProgressApi(ApiView):
    permission_classes = [IsFactory]

    @extend_schema(
        operation_id="allocations_progress",
        request=ProgressInputSerializer,
        responses={201: ProgressReportOutputSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request: Request, allocation_id: int) -> Response:
        """Report pieces through a stage (incremental); the first report starts production."""
        payload = ProgressInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            report = services.allocation_report_progress(
                allocation_id=allocation_id,
                factory=factory_of(request_user(request)),
                actor=request_user(request),
                **payload.validated_data,
            )
        except Allocation.DoesNotExist as exc:
            raise NotFound("Allocation not found.") from exc
        return Response(ProgressReportOutputSerializer(report).data, status=status.HTTP_201_CREATED)


class AllocationShipApi(ApiView):
    permission_classes = [IsFactory]

    @extend_schema(
        operation_id="allocations_ship",
        request=ShipInputSerializer,
        responses={200: FactoryJobOutputSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request: Request, allocation_id: int) -> Response:
        """Ship your share; when every share has shipped, so has the order."""
        payload = ShipInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        factory = factory_of(request_user(request))
        try:
            services.allocation_ship(
                allocation_id=allocation_id, factory=factory, actor=request_user(request), **payload.validated_data
            )
        except Allocation.DoesNotExist as exc:
            raise NotFound("Allocation not found.") from exc
        job = selectors.offer_get(factory=factory, allocation_id=allocation_id)
        return Response(FactoryJobOutputSerializer(job).data)
