"""QC: AQL inspections and the qualified rates they give."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from floor import selectors, services
from floor.apis.common import ALL_AUTH, FACTORY_QUERY, request_factory, request_user
from floor.authentication import DevicePrincipal
from floor.serializers import QcInspectionInputSerializer, QcInspectionOutputSerializer


class QcInspectionApi(APIView):
    """Record an AQL inspection of a lot of the allocation: the sample size and accept number come from
    ISO 2859-1 (level II, AQL 2.5); the answer says whether the lot passed."""

    authentication_classes = ALL_AUTH
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="floor_qc_record",
        tags=["floor"],
        request=QcInspectionInputSerializer,
        responses={201: QcInspectionOutputSerializer},
        parameters=[FACTORY_QUERY],
    )
    def post(self, request: Request, allocation_id: int) -> Response:
        factory = request_factory(request)
        serializer = QcInspectionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        inspection = services.qc_inspection_record(
            factory=factory,
            allocation_id=allocation_id,
            lot_size=d["lot_size"],
            defects=d["defects"],
            line_code=d.get("line"),
            colour=d.get("colour") or "",
            inspector=None if isinstance(request.user, DevicePrincipal) else request_user(request),
        )
        return Response(QcInspectionOutputSerializer(inspection).data, status=status.HTTP_201_CREATED)


class QualityApi(APIView):
    """Qualified rate per allocation, line and the factory, from the QC inspections."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="floor_quality", tags=["floor"], parameters=[FACTORY_QUERY], responses={200: OpenApiTypes.OBJECT}
    )
    def get(self, request: Request) -> Response:
        return Response(selectors.qualified_rates(factory=request_factory(request)))
