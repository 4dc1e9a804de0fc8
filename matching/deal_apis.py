"""The deal API: a factory counters an offer and ships samples; the merchant answers counters and samples.

Thin views as everywhere: an input serializer checks shape, a scoped read finds the allocation
(another party's id is a 404), a service in `matching.services` makes the change under the lock order,
an output serializer shapes the answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from factories import selectors as factory_selectors
from factories.models import Factory
from marketplace.accounts.selectors import merchant_of
from marketplace.accounts.services import merchant_counter_rule_set
from marketplace.api.caller import request_user
from marketplace.api.permissions import IsFactory, IsMerchant
from marketplace.errors import NotFound
from matching import deal_selectors, services
from matching.deal_serializers import (
    CounterInputSerializer,
    CounterOutputSerializer,
    CounterRejectInputSerializer,
    FactoryOfferOutputSerializer,
    MerchantCounterRuleSerializer,
    SampleChangesInputSerializer,
    SampleOutputSerializer,
    SampleRejectInputSerializer,
    SampleShipInputSerializer,
)
from orders import selectors as order_selectors
from orders.apis import ApiView, errors
from orders.models import Allocation


@contextmanager
def _allocation_found() -> Iterator[None]:
    """A service's Allocation.DoesNotExist (absent, or another party's) as the API's 404."""
    try:
        yield
    except Allocation.DoesNotExist as exc:
        raise NotFound("Allocation not found.") from exc


def offer_context(allocation_ids: list[int]) -> dict[str, Any]:
    """What FactoryOfferOutputSerializer needs beside the rows: latest counters and sample rounds (two queries)."""
    return {
        "counters": deal_selectors.latest_counters(allocation_ids=allocation_ids),
        "samples": deal_selectors.sample_rounds_by_allocation(allocation_ids=allocation_ids),
    }


def offer_response(*, factory: Factory, allocation_id: int, status_code: int = status.HTTP_200_OK) -> Response:
    offer = order_selectors.offer_get(factory=factory, allocation_id=allocation_id)
    return Response(FactoryOfferOutputSerializer(offer, context=offer_context([offer.pk])).data, status=status_code)


def counter_response(allocation: Allocation, *, status_code: int = status.HTTP_200_OK) -> Response:
    counter = deal_selectors.counter_latest(allocation=allocation)
    context = {"price_range": deal_selectors.counter_price_range(allocation=allocation)}
    return Response(CounterOutputSerializer(counter, context=context).data, status=status_code)


def sample_response(allocation: Allocation, *, status_code: int = status.HTTP_200_OK) -> Response:
    data = {"allocation": allocation, "rounds": deal_selectors.sample_rounds(allocation=allocation)}
    return Response(SampleOutputSerializer(data).data, status=status_code)


def _merchant_allocation(request: Request, allocation_id: int) -> Allocation:
    """The allocation re-read for the answer (after the service changed it), scoped to the caller."""
    return deal_selectors.deal_allocation_get(user=request_user(request), allocation_id=allocation_id)


# --- counter-offers ------------------------------------------------------------------------------


class OfferCounterApi(ApiView):
    permission_classes = [IsFactory]

    @extend_schema(
        operation_id="offers_counter",
        request=CounterInputSerializer,
        responses={201: CounterOutputSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request: Request, allocation_id: int) -> Response:
        """Counter the offer with your unit price and/or a later ship-by date. Your capacity stays held while the
        merchant decides, until the counter's deadline; counters within the merchant's auto-accept rule are taken
        at once (the answer's status is then `accepted`)."""
        payload = CounterInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        factory = factory_selectors.factory_of(request_user(request))
        try:
            services.counter_make(
                allocation_id=allocation_id,
                factory=factory,
                terms=services.CounterTerms(
                    unit_price=data["unit_price"], ship_by=data.get("ship_by"), note=data["note"]
                ),
                actor=request_user(request),
            )
        except Allocation.DoesNotExist as exc:
            raise NotFound("Offer not found.") from exc
        offer = order_selectors.offer_get(factory=factory, allocation_id=allocation_id)
        return counter_response(offer, status_code=status.HTTP_201_CREATED)


class AllocationCounterApi(ApiView):
    @extend_schema(operation_id="allocations_counter_retrieve", responses={200: CounterOutputSerializer, **errors(404)})
    def get(self, request: Request, allocation_id: int) -> Response:
        """The allocation's latest counter-offer beside the offer's terms, the target and the factory's typical
        range. For the order's merchant, the allocation's factory and admins."""
        return counter_response(_merchant_allocation(request, allocation_id))


class CounterAcceptApi(ApiView):
    permission_classes = [IsMerchant]

    @extend_schema(
        operation_id="allocations_counter_accept",
        request=None,
        responses={200: CounterOutputSerializer, **errors(403, 404, 409)},
    )
    def post(self, request: Request, allocation_id: int) -> Response:
        """Take the factory's counter: the share is confirmed at the countered price and date (or goes to its
        sample first). A later ship-by date that no longer reaches the due date, or capacity gone, is a 409."""
        with _allocation_found():
            services.counter_accept(
                allocation_id=allocation_id, merchant=merchant_of(request_user(request)), actor=request_user(request)
            )
        return counter_response(_merchant_allocation(request, allocation_id))


class CounterRejectApi(ApiView):
    permission_classes = [IsMerchant]

    @extend_schema(
        operation_id="allocations_counter_reject",
        request=CounterRejectInputSerializer,
        responses={200: CounterOutputSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request: Request, allocation_id: int) -> Response:
        """Turn the counter down: the factory's minutes are released and the share is offered to the next one."""
        payload = CounterRejectInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with _allocation_found():
            services.counter_reject(
                allocation_id=allocation_id,
                merchant=merchant_of(request_user(request)),
                reason=payload.validated_data["reason"],
                actor=request_user(request),
            )
        return counter_response(_merchant_allocation(request, allocation_id))


class MerchantCounterRuleApi(ApiView):
    permission_classes = [IsMerchant]

    @extend_schema(
        operation_id="merchant_counter_rule_retrieve", responses={200: MerchantCounterRuleSerializer, **errors(403)}
    )
    def get(self, request: Request) -> Response:
        """Your default auto-accept rule for counter-offers."""
        return Response(MerchantCounterRuleSerializer(merchant_of(request_user(request))).data)

    @extend_schema(
        operation_id="merchant_counter_rule_update",
        request=MerchantCounterRuleSerializer,
        responses={200: MerchantCounterRuleSerializer, **errors(400, 403)},
    )
    def put(self, request: Request) -> Response:
        """Set (or clear, with null) your default auto-accept rule; an order's own rule wins over it."""
        payload = MerchantCounterRuleSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        merchant = merchant_counter_rule_set(
            merchant=merchant_of(request_user(request)), pct=payload.validated_data["counter_auto_accept_pct"]
        )
        return Response(MerchantCounterRuleSerializer(merchant).data)


# --- samples -------------------------------------------------------------------------------------


class AllocationSampleApi(ApiView):
    @extend_schema(operation_id="allocations_sample_retrieve", responses={200: SampleOutputSerializer, **errors(404)})
    def get(self, request: Request, allocation_id: int) -> Response:
        """The share's sample rounds (a round's id is where its photos attach). For both parties and admins."""
        return sample_response(_merchant_allocation(request, allocation_id))


class SampleShipApi(ApiView):
    permission_classes = [IsFactory]

    @extend_schema(
        operation_id="allocations_sample_ship",
        request=SampleShipInputSerializer,
        responses={200: SampleOutputSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request: Request, allocation_id: int) -> Response:
        """Ship the current round's sample with its tracking number (before the round's deadline)."""
        payload = SampleShipInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with _allocation_found():
            services.sample_ship(
                allocation_id=allocation_id,
                factory=factory_selectors.factory_of(request_user(request)),
                carrier=payload.validated_data["carrier"],
                tracking=payload.validated_data["tracking"],
                actor=request_user(request),
            )
        return sample_response(_merchant_allocation(request, allocation_id))


class SampleApproveApi(ApiView):
    permission_classes = [IsMerchant]

    @extend_schema(
        operation_id="allocations_sample_approve",
        request=None,
        responses={200: SampleOutputSerializer, **errors(403, 404, 409)},
    )
    def post(self, request: Request, allocation_id: int) -> Response:
        """Approve the shipped sample: the bulk goes ahead with this factory (the share is confirmed)."""
        with _allocation_found():
            services.sample_approve(
                allocation_id=allocation_id, merchant=merchant_of(request_user(request)), actor=request_user(request)
            )
        return sample_response(_merchant_allocation(request, allocation_id))


class SampleRequestChangesApi(ApiView):
    permission_classes = [IsMerchant]

    @extend_schema(
        operation_id="allocations_sample_request_changes",
        request=SampleChangesInputSerializer,
        responses={200: SampleOutputSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request: Request, allocation_id: int) -> Response:
        """Ask for changes: the next sample round opens (up to SAMPLE_MAX_ROUNDS; past it, a 409)."""
        payload = SampleChangesInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with _allocation_found():
            services.sample_request_changes(
                allocation_id=allocation_id,
                merchant=merchant_of(request_user(request)),
                comment=payload.validated_data["comment"],
                actor=request_user(request),
            )
        return sample_response(_merchant_allocation(request, allocation_id))


class SampleRejectApi(ApiView):
    permission_classes = [IsMerchant]

    @extend_schema(
        operation_id="allocations_sample_reject",
        request=SampleRejectInputSerializer,
        responses={200: SampleOutputSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request: Request, allocation_id: int) -> Response:
        """Reject the sample: the factory's holds are released and the bulk is matched again without it."""
        payload = SampleRejectInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with _allocation_found():
            services.sample_reject(
                allocation_id=allocation_id,
                merchant=merchant_of(request_user(request)),
                reason=payload.validated_data["reason"],
                actor=request_user(request),
            )
        return sample_response(_merchant_allocation(request, allocation_id))
