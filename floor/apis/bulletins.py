"""An allocation's operation bulletin and its materials."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from floor import selectors, services
from floor.apis.common import FACTORY_QUERY, request_factory, request_user
from floor.serializers import (
    BulletinInputSerializer,
    BulletinOutputSerializer,
    MaterialReceiptInputSerializer,
    MaterialRequirementInputSerializer,
)


class AllocationBulletinApi(APIView):
    """An allocation's order bulletin. The factory holding the allocation may edit it (PUT); the order's SAM
    follows. Until the order's own copy is made (by its first scan or edit) the GET shows the category default
    the copy will start from, and its operations have no id yet."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="floor_bulletin_retrieve",
        tags=["floor"],
        responses={200: BulletinOutputSerializer},
        parameters=[FACTORY_QUERY],
    )
    def get(self, request: Request, allocation_id: int) -> Response:
        allocation = selectors.allocation_get(factory=request_factory(request), allocation_id=allocation_id)
        return Response(BulletinOutputSerializer(selectors.bulletin_view(order=allocation.order)).data)

    @extend_schema(
        operation_id="floor_bulletin_update",
        tags=["floor"],
        request=BulletinInputSerializer,
        responses={200: BulletinOutputSerializer},
        parameters=[FACTORY_QUERY],
    )
    def put(self, request: Request, allocation_id: int) -> Response:
        allocation = selectors.allocation_get(factory=request_factory(request), allocation_id=allocation_id)
        serializer = BulletinInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ops = [services.OperationInput(**op) for op in serializer.validated_data["operations"]]
        services.bulletin_replace_operations(order=allocation.order, operations=ops)
        return Response(BulletinOutputSerializer(selectors.bulletin_view(order=allocation.order)).data)


class MaterialsApi(APIView):
    """GET: required vs received vs consumed per material. PUT: consumption per piece of one material.
    POST: a receipt of material for this allocation."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="floor_materials", tags=["floor"], responses={200: OpenApiTypes.OBJECT}, parameters=[FACTORY_QUERY]
    )
    def get(self, request: Request, allocation_id: int) -> Response:
        allocation = selectors.allocation_get(factory=request_factory(request), allocation_id=allocation_id)
        return Response(selectors.material_status(allocation=allocation))

    @extend_schema(
        operation_id="floor_material_requirement",
        tags=["floor"],
        request=MaterialRequirementInputSerializer,
        responses={200: OpenApiTypes.OBJECT},
        parameters=[FACTORY_QUERY],
    )
    def put(self, request: Request, allocation_id: int) -> Response:
        factory = request_factory(request)
        serializer = MaterialRequirementInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.material_requirement_set(factory=factory, allocation_id=allocation_id, **serializer.validated_data)
        allocation = selectors.allocation_get(factory=factory, allocation_id=allocation_id)
        return Response(selectors.material_status(allocation=allocation))

    @extend_schema(
        operation_id="floor_material_receipt",
        tags=["floor"],
        request=MaterialReceiptInputSerializer,
        responses={201: OpenApiTypes.OBJECT},
        parameters=[FACTORY_QUERY],
    )
    def post(self, request: Request, allocation_id: int) -> Response:
        factory = request_factory(request)
        serializer = MaterialReceiptInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.material_receipt_record(
            factory=factory, allocation_id=allocation_id, actor=request_user(request), **serializer.validated_data
        )
        allocation = selectors.allocation_get(factory=factory, allocation_id=allocation_id)
        return Response(selectors.material_status(allocation=allocation), status=status.HTTP_201_CREATED)
