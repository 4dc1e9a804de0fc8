"""Master data: device keys, lines, workers, piece rates and shifts."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from factories import selectors as factory_selectors
from floor import selectors, services
from floor.apis.common import FACTORY_ID, FACTORY_QUERY, request_factory, request_user
from floor.serializers import (
    DeviceKeyCreateInputSerializer,
    DeviceKeyIssuedOutputSerializer,
    DeviceKeyOutputSerializer,
    LineSerializer,
    PieceRateInputSerializer,
    ShiftInputSerializer,
    WorkerOutputSerializer,
    WorkersInputSerializer,
)
from marketplace.accounts.serializers import ErrorResponseSerializer


class DeviceKeyListCreateApi(APIView):
    """The factory owner or an admin lists and issues device keys. The key is shown once, in the 201."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="device_keys_list",
        tags=["floor"],
        parameters=[FACTORY_ID],
        responses={200: DeviceKeyOutputSerializer(many=True)},
    )
    def get(self, request: Request, factory_id: int) -> Response:
        factory = factory_selectors.factory_get(user=request_user(request), factory_id=factory_id)
        return Response(DeviceKeyOutputSerializer(selectors.device_key_list(factory=factory), many=True).data)

    @extend_schema(
        operation_id="device_keys_create",
        tags=["floor"],
        parameters=[FACTORY_ID],
        request=DeviceKeyCreateInputSerializer,
        responses={201: DeviceKeyIssuedOutputSerializer},
    )
    def post(self, request: Request, factory_id: int) -> Response:
        factory = factory_selectors.factory_get(user=request_user(request), factory_id=factory_id)
        serializer = DeviceKeyCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issued = services.device_key_issue(
            factory=factory, actor=request_user(request), name=serializer.validated_data["name"]
        )
        issued.device_key.key = issued.secret  # type: ignore[attr-defined]
        return Response(DeviceKeyIssuedOutputSerializer(issued.device_key).data, status=status.HTTP_201_CREATED)


class DeviceKeyRevokeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="device_keys_revoke", tags=["floor"], parameters=[FACTORY_ID], responses={204: None})
    def delete(self, request: Request, factory_id: int, key_id: int) -> Response:
        factory = factory_selectors.factory_get(user=request_user(request), factory_id=factory_id)
        services.device_key_revoke(factory=factory, key_id=key_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LineListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="floor_lines_list",
        tags=["floor"],
        parameters=[FACTORY_QUERY],
        responses={200: LineSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        return Response(LineSerializer(selectors.line_list(factory=request_factory(request)), many=True).data)

    @extend_schema(
        operation_id="floor_lines_upsert",
        tags=["floor"],
        request=LineSerializer,
        responses={200: LineSerializer},
        parameters=[FACTORY_QUERY],
    )
    def post(self, request: Request) -> Response:
        factory = request_factory(request)
        serializer = LineSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        line = services.line_upsert(factory=factory, **serializer.validated_data)
        return Response(LineSerializer(line).data)


class WorkerListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="floor_workers_list",
        tags=["floor"],
        parameters=[FACTORY_QUERY],
        responses={200: WorkerOutputSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        return Response(WorkerOutputSerializer(selectors.worker_list(factory=request_factory(request)), many=True).data)

    @extend_schema(
        operation_id="floor_workers_upsert",
        tags=["floor"],
        request=WorkersInputSerializer,
        responses={200: WorkerOutputSerializer(many=True)},
        parameters=[FACTORY_QUERY],
    )
    def post(self, request: Request) -> Response:
        factory = request_factory(request)
        serializer = WorkersInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        workers = services.workers_upsert(
            factory=factory, workers=[services.WorkerInput(**w) for w in serializer.validated_data["workers"]]
        )
        return Response(WorkerOutputSerializer(workers, many=True).data)


class PieceRateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="floor_piece_rate_set",
        tags=["floor"],
        request=PieceRateInputSerializer,
        responses={200: PieceRateInputSerializer, 404: ErrorResponseSerializer},
        parameters=[FACTORY_QUERY],
    )
    def put(self, request: Request) -> Response:
        factory = request_factory(request)
        serializer = PieceRateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rate = services.piece_rate_set(
            factory=factory, operation_id=serializer.validated_data["operation"], rate=serializer.validated_data["rate"]
        )
        return Response({"operation": rate.operation_id, "rate": str(rate.rate)})


class ShiftApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="floor_shift_record",
        tags=["floor"],
        request=ShiftInputSerializer,
        responses={200: ShiftInputSerializer, 404: ErrorResponseSerializer},
        parameters=[FACTORY_QUERY],
    )
    def put(self, request: Request) -> Response:
        factory = request_factory(request)
        serializer = ShiftInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        services.shift_record(factory=factory, badge=d["worker"], line=d["line"], day=d["day"], minutes=d["minutes"])
        return Response(serializer.data)
