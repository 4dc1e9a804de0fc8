"""The matching API: factories answer their offers; merchants and admins read why an order went where it did.

Offers are the factory's allocations: a selector scoped to the calling factory finds them, so
another factory's offer is a 404 and nothing changes. Accepting and declining go through
`matching.services`, which lock the order and compare-and-set the allocation (first answer wins).
"""

from __future__ import annotations

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from marketplace.api.pagination import Pagination
from marketplace.api.permissions import IsFactory
from marketplace.errors import NotFound
from matching import services
from matching.serializers import (
    AdminExplanationSerializer,
    MerchantExplanationSerializer,
    OfferDeclineInputSerializer,
    OfferListFilterSerializer,
)
from orders import selectors
from orders.apis import ApiView, errors, request_user
from orders.models import Allocation
from orders.serializers import FactoryAllocationOutputSerializer


class OfferListApi(ApiView):
    permission_classes = [IsFactory]
    pagination_class = Pagination

    @extend_schema(
        operation_id="offers_list",
        parameters=[OfferListFilterSerializer],
        responses={200: FactoryAllocationOutputSerializer(many=True), **errors(400, 403)},
    )
    def get(self, request: Request) -> Response:
        """Offers made to your factory, newest first; `?status=offered` for the ones awaiting your answer."""
        filters = OfferListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        offers = selectors.offer_list(factory=selectors.factory_of(request_user(request)), **filters.validated_data)
        return self.paginate(request, offers, FactoryAllocationOutputSerializer)


class OfferDetailApi(ApiView):
    permission_classes = [IsFactory]

    @extend_schema(
        operation_id="offers_retrieve", responses={200: FactoryAllocationOutputSerializer, **errors(403, 404)}
    )
    def get(self, request: Request, allocation_id: int) -> Response:
        """One of your offers: the order's spec, your share, the planned days and the deadline."""
        offer = selectors.offer_get(factory=selectors.factory_of(request_user(request)), allocation_id=allocation_id)
        return Response(FactoryAllocationOutputSerializer(offer).data)


class OfferAcceptApi(ApiView):
    permission_classes = [IsFactory]

    @extend_schema(
        operation_id="offers_accept",
        request=None,
        responses={200: FactoryAllocationOutputSerializer, **errors(403, 404, 409)},
    )
    def post(self, request: Request, allocation_id: int) -> Response:
        """Take the offer. An expired or already answered offer is a 409."""
        factory = selectors.factory_of(request_user(request))
        try:
            services.offer_accept(allocation_id=allocation_id, factory=factory, actor=request_user(request))
        except Allocation.DoesNotExist as exc:
            raise NotFound("Offer not found.") from exc
        return Response(
            FactoryAllocationOutputSerializer(selectors.offer_get(factory=factory, allocation_id=allocation_id)).data
        )


class OfferDeclineApi(ApiView):
    permission_classes = [IsFactory]

    @extend_schema(
        operation_id="offers_decline",
        request=OfferDeclineInputSerializer,
        responses={200: FactoryAllocationOutputSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request: Request, allocation_id: int) -> Response:
        """Turn the offer down; its capacity is released and the share goes to the next factory."""
        payload = OfferDeclineInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        factory = selectors.factory_of(request_user(request))
        try:
            services.offer_decline(
                allocation_id=allocation_id,
                factory=factory,
                reason=payload.validated_data["reason"],
                actor=request_user(request),
            )
        except Allocation.DoesNotExist as exc:
            raise NotFound("Offer not found.") from exc
        return Response(
            FactoryAllocationOutputSerializer(selectors.offer_get(factory=factory, allocation_id=allocation_id)).data
        )


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
        order, runs = selectors.order_match_runs(user=request_user(request), order_id=order_id)
        serializer = (
            AdminExplanationSerializer if request_user(request).is_platform_admin else MerchantExplanationSerializer
        )
        return Response(serializer({"order": order, "runs": runs}).data)
