"""The matching API: factories answer their offers and set their calendar against what is booked; merchants
cancel orders (which frees what they hold) and, with admins, read why an order went where it did.

Offers are the factory's allocations: a selector scoped to the calling factory finds them, so
another factory's offer is a 404 and nothing changes. Accepting and declining go through
`matching.services`, which lock the order and compare-and-set the allocation (first answer wins).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from factories import selectors as factory_selectors
from factories.apis import E400, E401, E404, E409, FACTORY_ID
from factories.serializers import CalendarOutputSerializer, CalendarQuerySerializer, CalendarUpdateInputSerializer
from marketplace.accounts.selectors import merchant_of
from marketplace.api.caller import request_user
from marketplace.api.pagination import Pagination
from marketplace.api.permissions import IsFactory, IsMerchant
from marketplace.errors import NotFound
from matching import deal_apis, selectors, services
from matching.deal_serializers import FactoryOfferOutputSerializer
from matching.serializers import (
    AdminExplanationSerializer,
    FeasibilityInputSerializer,
    FeasibilityOutputSerializer,
    MerchantExplanationSerializer,
    OfferDeclineInputSerializer,
    OfferListFilterSerializer,
)
from orders import selectors as order_selectors
from orders.apis import ApiView, MerchantOrAdmin, detail_response, errors
from orders.models import Allocation
from orders.serializers import (
    OrderCancelInputSerializer,
    OrderDetailOutputSerializer,
)
from orders.services import OrderInput, order_input_validate


class OfferListApi(ApiView):
    permission_classes = [IsFactory]
    pagination_class = Pagination

    @extend_schema(
        operation_id="offers_list",
        parameters=[OfferListFilterSerializer],
        responses={200: FactoryOfferOutputSerializer(many=True), **errors(400, 403)},
    )
    def get(self, request: Request) -> Response:
        """Offers made to your factory, newest first; `?status=offered` for the ones awaiting your answer."""
        filters = OfferListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        offers = order_selectors.offer_list(
            factory=factory_selectors.factory_of(request_user(request)), **filters.validated_data
        )
        paginator = Pagination()
        page: list[Allocation] = paginator.paginate_queryset(offers, request, view=self) or []
        context = deal_apis.offer_context([a.pk for a in page])
        return paginator.get_paginated_response(FactoryOfferOutputSerializer(page, many=True, context=context).data)


class OfferDetailApi(ApiView):
    permission_classes = [IsFactory]

    @extend_schema(operation_id="offers_retrieve", responses={200: FactoryOfferOutputSerializer, **errors(403, 404)})
    def get(self, request: Request, allocation_id: int) -> Response:
        """One of your offers: the order's spec, your share, the planned days and the deadline."""
        return deal_apis.offer_response(
            factory=factory_selectors.factory_of(request_user(request)), allocation_id=allocation_id
        )


class OfferAcceptApi(ApiView):
    permission_classes = [IsFactory]

    @extend_schema(
        operation_id="offers_accept",
        request=None,
        responses={200: FactoryOfferOutputSerializer, **errors(403, 404, 409)},
    )
    def post(self, request: Request, allocation_id: int) -> Response:
        """Take the offer. An expired or already answered offer is a 409."""
        factory = factory_selectors.factory_of(request_user(request))
        try:
            services.offer_accept(allocation_id=allocation_id, factory=factory, actor=request_user(request))
        except Allocation.DoesNotExist as exc:
            raise NotFound("Offer not found.") from exc
        return deal_apis.offer_response(factory=factory, allocation_id=allocation_id)


class OfferDeclineApi(ApiView):
    permission_classes = [IsFactory]

    @extend_schema(
        operation_id="offers_decline",
        request=OfferDeclineInputSerializer,
        responses={200: FactoryOfferOutputSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request: Request, allocation_id: int) -> Response:
        """Turn the offer down; its capacity is released and the share goes to the next factory."""
        payload = OfferDeclineInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        factory = factory_selectors.factory_of(request_user(request))
        try:
            services.offer_decline(
                allocation_id=allocation_id,
                factory=factory,
                reason=payload.validated_data["reason"],
                actor=request_user(request),
            )
        except Allocation.DoesNotExist as exc:
            raise NotFound("Offer not found.") from exc
        return deal_apis.offer_response(factory=factory, allocation_id=allocation_id)


class OrderExplanationApi(ApiView):
    @extend_schema(
        operation_id="orders_explanation",
        responses={
            200: PolymorphicProxySerializer(
                component_name="Explanation",
                serializers=[AdminExplanationSerializer, MerchantExplanationSerializer],
                resource_type_field_name=None,
            ),
            **errors(404),
        },
    )
    def get(self, request: Request, order_id: int) -> Response:
        """Why the order went where it did, run by run. Admins see every candidate and its score terms;
        the order's merchant sees outcomes, its own plan and the reasons counted; factories get a 404."""
        order, runs = selectors.order_explanation_runs(user=request_user(request), order_id=order_id)
        serializer = (
            AdminExplanationSerializer if request_user(request).is_platform_admin else MerchantExplanationSerializer
        )
        return Response(serializer({"order": order, "runs": runs}).data)


# --- would it place? -----------------------------------------------------------------------------


class OrderFeasibilityApi(ApiView):
    permission_classes = [IsMerchant]

    @extend_schema(
        operation_id="orders_feasibility",
        request=FeasibilityInputSerializer,
        responses={200: FeasibilityOutputSerializer, **errors(400, 403)},
    )
    def post(self, request: Request) -> Response:
        """A dry run of matching on an order not yet posted: would it be placed now, split how, the earliest
        safe due date, a price range. Nothing is reserved or stored."""
        payload = FeasibilityInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        sizes = dict(data["sizes"])
        order_input_validate(
            OrderInput(
                title=data["title"],
                category=data["category"],
                fabric=data["fabric"],
                quantity=data["quantity"],
                due_date=data["due_date"],
                target_unit_price=data.get("target_unit_price") or Decimal("1"),
                processes=tuple(data["processes"]),
                sizes=sizes,
                breakdown=list(data.get("breakdown") or []),
            )
        )
        result = services.order_feasibility(
            merchant=merchant_of(request_user(request)),
            category=data["category"],
            fabric=data["fabric"],
            processes=data["processes"],
            quantity=data["quantity"],
            due_date=data["due_date"],
            sizes=sizes,
            target_unit_price=data.get("target_unit_price"),
            sam_override=data.get("sam_override"),
            material_lead_days=data.get("material_lead_days"),
        )
        return Response(FeasibilityOutputSerializer(result).data)


# --- the merchant takes an order back ------------------------------------------------------------


class OrderCancelApi(ApiView):
    permission_classes = [MerchantOrAdmin]

    @extend_schema(
        operation_id="orders_cancel",
        request=OrderCancelInputSerializer,
        responses={200: OrderDetailOutputSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request: Request, order_id: int) -> Response:
        """Cancel an order that is not yet in production; every reservation it holds is released."""
        order = order_selectors.order_get(user=request_user(request), order_id=order_id)
        payload = OrderCancelInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.order_cancel(order_id=order.pk, actor=request_user(request), reason=payload.validated_data["reason"])
        return detail_response(request, order.pk)


# --- a factory's calendar against what is booked on it ----------------------------------------------

DEFAULT_CALENDAR_DAYS = 28


class FactoryCalendarApi(APIView):
    """Capacity per day in sewing minutes. PUT overrides single days (holiday: 0, overtime: more)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="factories_calendar_retrieve",
        tags=["factories"],
        parameters=[FACTORY_ID, CalendarQuerySerializer],
        responses={200: CalendarOutputSerializer, 400: E400, 401: E401, 404: E404},
    )
    def get(self, request: Request, factory_id: int) -> Response:
        factory = factory_selectors.factory_get(user=request_user(request), factory_id=factory_id)
        query = CalendarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = _calendar_range(query.validated_data)
        calendar = factory_selectors.factory_calendar(factory=factory, start=start, end=end)
        return Response(CalendarOutputSerializer(calendar).data)

    @extend_schema(
        operation_id="factories_calendar_update",
        tags=["factories"],
        parameters=[FACTORY_ID],
        request=CalendarUpdateInputSerializer,
        responses={200: CalendarOutputSerializer, 400: E400, 401: E401, 404: E404, 409: E409},
    )
    def put(self, request: Request, factory_id: int) -> Response:
        factory = factory_selectors.factory_get(user=request_user(request), factory_id=factory_id)
        serializer = CalendarUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = [
            services.DayChange(day=d["date"], capacity_minutes=d["capacity_minutes"], note=d["note"])
            for d in serializer.validated_data["days"]
        ]
        services.calendar_update(factory=factory, changes=changes)  # all days or none: the service's transaction
        days = sorted(c.day for c in changes)
        calendar = factory_selectors.factory_calendar(factory=factory, start=days[0], end=days[-1])
        return Response(CalendarOutputSerializer(calendar).data)


def _calendar_range(params: dict[str, Any]) -> tuple[date, date]:
    """Default today..today+27; with only one end given, the other is 27 days away."""
    start: date | None = params.get("from")
    end: date | None = params.get("to")
    span = timedelta(days=DEFAULT_CALENDAR_DAYS - 1)
    if start is None:
        start = end - span if end is not None else timezone.localdate()
    if end is None:
        end = start + span
    return start, end
