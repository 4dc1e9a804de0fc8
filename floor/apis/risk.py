"""Deadline risks: the admins' list and the merchant's re-route request."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from floor import selectors, services
from floor.apis.common import request_user
from floor.serializers import DeadlineRiskSerializer
from marketplace.accounts.selectors import merchant_of
from marketplace.api.pagination import Pagination
from marketplace.api.permissions import IsMerchant, IsPlatformAdmin


class DeadlineRiskListApi(APIView):
    """Admins: live deadline risks (open or re-route requested), soonest ship-by first."""

    permission_classes = [IsAuthenticated, IsPlatformAdmin]
    # Read by the schema generator: the answer is a page (count/next/previous/results).
    pagination_class = Pagination

    @extend_schema(
        operation_id="floor_deadline_risks", tags=["floor"], responses={200: DeadlineRiskSerializer(many=True)}
    )
    def get(self, request: Request) -> Response:
        risks = selectors.deadline_risk_list(status=request.query_params.get("status"))
        paginator = Pagination()
        page = paginator.paginate_queryset(risks, request, view=self)
        return paginator.get_paginated_response(DeadlineRiskSerializer(page, many=True).data)


class DeadlineRiskRerouteApi(APIView):
    """The order's merchant asks for the remaining quantity of an at-risk allocation to be re-routed."""

    permission_classes = [IsAuthenticated, IsMerchant]

    @extend_schema(
        operation_id="floor_deadline_risk_reroute",
        tags=["floor"],
        request=None,
        responses={200: DeadlineRiskSerializer},
    )
    def post(self, request: Request, risk_id: int) -> Response:
        risk = services.risk_request_reroute(
            risk_id=risk_id, merchant=merchant_of(request_user(request)), actor=request_user(request)
        )
        return Response(DeadlineRiskSerializer(risk).data)
