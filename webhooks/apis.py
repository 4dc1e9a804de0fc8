"""The webhooks API: a merchant's endpoints, their delivery log, redelivery and secret rotation.

Merchants only (factories and admins: 403); another merchant's endpoint or delivery is a 404, like a
missing one. Thin views: an input serializer checks shape, the services check the rules (a public
http(s) URL, known event types) and make the change, an output serializer shapes the answer.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.accounts.models import Merchant
from marketplace.accounts.selectors import merchant_of
from marketplace.accounts.serializers import ErrorResponseSerializer
from marketplace.api.caller import request_user
from marketplace.api.pagination import Pagination
from marketplace.api.parsers import BoundedJSONParser
from marketplace.api.permissions import IsMerchant
from webhooks import selectors, services
from webhooks.serializers import (
    DeliveryOutputSerializer,
    EndpointCreateInputSerializer,
    EndpointOutputSerializer,
    EndpointSecretOutputSerializer,
    EndpointUpdateInputSerializer,
)

ERRORS = {
    400: OpenApiResponse(
        ErrorResponseSerializer, description="Invalid input; `errors` names the field (`url`, `events`)."
    ),
    403: OpenApiResponse(ErrorResponseSerializer, description="Only merchant accounts have webhooks."),
    404: OpenApiResponse(ErrorResponseSerializer, description="Not yours, or no such endpoint or delivery."),
    409: OpenApiResponse(
        ErrorResponseSerializer, description="The endpoint is disabled, or the delivery is being sent."
    ),
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERRORS[code] for code in codes}


class WebhookApi(APIView):
    """Base for this app's views: merchants only, JSON bodies bounded in size."""

    permission_classes = [IsMerchant]
    parser_classes = [BoundedJSONParser]

    def merchant(self, request: Request) -> Merchant:
        return merchant_of(request_user(request))

    def paginate(self, request: Request, queryset: Any, serializer_class: type[Any]) -> Response:
        paginator = Pagination()
        page: list[Any] | None = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True).data)


class EndpointListCreateApi(WebhookApi):
    pagination_class = Pagination  # documents the list as paginated

    @extend_schema(operation_id="webhooks_list", responses={200: EndpointOutputSerializer(many=True), **errors(403)})
    def get(self, request: Request) -> Response:
        """Your webhook endpoints, oldest first (secrets are never shown again)."""
        return self.paginate(
            request, selectors.endpoint_list(merchant=self.merchant(request)), EndpointOutputSerializer
        )

    @extend_schema(
        operation_id="webhooks_create",
        request=EndpointCreateInputSerializer,
        responses={201: EndpointSecretOutputSerializer, **errors(400, 403)},
    )
    def post(self, request: Request) -> Response:
        """Register an endpoint: each event of `events` (all when left out) is POSTed to `url`, signed with the
        `secret` in this answer, which is shown only once."""
        data = EndpointCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_create(
            merchant=self.merchant(request), url=data.validated_data["url"], events=data.validated_data.get("events")
        )
        return Response(EndpointSecretOutputSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class EndpointDetailApi(WebhookApi):
    @extend_schema(operation_id="webhooks_retrieve", responses={200: EndpointOutputSerializer, **errors(403, 404)})
    def get(self, request: Request, endpoint_id: int) -> Response:
        """One of your endpoints."""
        endpoint = selectors.endpoint_get(merchant=self.merchant(request), endpoint_id=endpoint_id)
        return Response(EndpointOutputSerializer(endpoint).data)

    @extend_schema(
        operation_id="webhooks_update",
        request=EndpointUpdateInputSerializer,
        responses={200: EndpointOutputSerializer, **errors(400, 403, 404)},
    )
    def patch(self, request: Request, endpoint_id: int) -> Response:
        """Change the URL, the events or `is_active`; enabling a disabled endpoint clears its failures and
        resumes the deliveries waiting for it."""
        data = EndpointUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_update(
            merchant=self.merchant(request), endpoint_id=endpoint_id, **data.validated_data
        )
        return Response(EndpointOutputSerializer(endpoint).data)

    @extend_schema(operation_id="webhooks_delete", responses={204: None, **errors(403, 404)})
    def delete(self, request: Request, endpoint_id: int) -> Response:
        """Remove an endpoint and its delivery log."""
        services.webhook_endpoint_delete(merchant=self.merchant(request), endpoint_id=endpoint_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndpointSecretRotateApi(WebhookApi):
    @extend_schema(
        operation_id="webhooks_rotate_secret",
        request=None,
        responses={200: EndpointSecretOutputSerializer, **errors(403, 404)},
    )
    def post(self, request: Request, endpoint_id: int) -> Response:
        """A new secret, shown only in this answer. The old one keeps signing too (a second `v1=`) until
        `rotation_overlap_until`, so your receiver can switch without missing an event."""
        endpoint = services.webhook_secret_rotate(merchant=self.merchant(request), endpoint_id=endpoint_id)
        return Response(EndpointSecretOutputSerializer(endpoint).data)


class DeliveryListApi(WebhookApi):
    pagination_class = Pagination

    @extend_schema(
        operation_id="webhooks_deliveries_list",
        responses={200: DeliveryOutputSerializer(many=True), **errors(403, 404)},
    )
    def get(self, request: Request, endpoint_id: int) -> Response:
        """The endpoint's deliveries, newest first, each with its attempts (status code, time taken, the
        first kilobyte of the answer)."""
        endpoint = selectors.endpoint_get(merchant=self.merchant(request), endpoint_id=endpoint_id)
        return self.paginate(request, selectors.delivery_list(endpoint=endpoint), DeliveryOutputSerializer)


class DeliveryRedeliverApi(WebhookApi):
    @extend_schema(
        operation_id="webhooks_deliveries_redeliver",
        request=None,
        responses={202: DeliveryOutputSerializer, **errors(403, 404, 409)},
    )
    def post(self, request: Request, endpoint_id: int, delivery_id: int) -> Response:
        """Send a delivery again now, with the same event id and body; the attempt joins its log."""
        delivery = services.webhook_delivery_redeliver(
            merchant=self.merchant(request), endpoint_id=endpoint_id, delivery_id=delivery_id
        )
        delivery = selectors.delivery_list(endpoint=delivery.endpoint).get(pk=delivery.pk)
        return Response(DeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
