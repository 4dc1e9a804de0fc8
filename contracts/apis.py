"""The purchase order API: the parties to a confirmed share (and admins) read its terms and download the PDF.

Thin views: the selector scopes the share to the caller (anyone else's id is a 404, as is a share
with no purchase order yet, under its own code), the serializer shapes the answer.
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contracts import selectors
from contracts.pdf import purchase_order_pdf
from contracts.serializers import PdfQuerySerializer, PurchaseOrderOutputSerializer
from marketplace.api.caller import request_user
from marketplace.api.parsers import BoundedJSONParser
from marketplace.errors import NotFound
from orders.serializers import ErrorSerializer

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid query; `errors` names the parameter."),
    401: OpenApiResponse(ErrorSerializer, description="No credentials."),
    404: OpenApiResponse(
        ErrorSerializer,
        description="Not your share (code `not_found`), or no purchase order issued for it yet "
        "(code `purchase_order_not_issued`).",
    ),
}


class PurchaseOrderApi(APIView):
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        operation_id="allocations_purchase_order_retrieve",
        responses={200: PurchaseOrderOutputSerializer, 401: ERRORS[401], 404: ERRORS[404]},
    )
    def get(self, request: Request, allocation_id: int) -> Response:
        """The share's purchase order: number, revision in force, issue date, terms and amendments."""
        documents = selectors.purchase_orders_for(user=request_user(request), allocation_id=allocation_id)
        return Response(PurchaseOrderOutputSerializer(PurchaseOrderOutputSerializer.shape(documents)).data)


class PurchaseOrderPdfApi(APIView):
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        operation_id="allocations_purchase_order_pdf",
        parameters=[PdfQuerySerializer],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF, English and Chinese."),
            **ERRORS,
        },
    )
    def get(self, request: Request, allocation_id: int) -> HttpResponse:
        """The purchase order as a PDF (the revision in force, or `?revision=n`)."""
        query = PdfQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        documents = selectors.purchase_orders_for(user=request_user(request), allocation_id=allocation_id)
        wanted = query.validated_data.get("revision")
        document = documents[-1] if wanted is None else next((d for d in documents if d.revision == wanted), None)
        if document is None:
            raise NotFound("This purchase order has no such revision.", code="revision_not_found")
        response = HttpResponse(purchase_order_pdf(document), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{document.number}.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response
