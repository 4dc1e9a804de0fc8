"""The floor API: device keys, event ingestion (JSON and CSV), master data, and the read-outs.

Thin views. Who acts for which factory is decided once, in `_factory_of`: a device key is its factory,
a factory account is its own factory, an admin names one with `?factory=`; anyone else gets a 403 or 404.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from factories import selectors as factory_selectors
from factories.models import Factory
from floor import selectors, services
from floor.authentication import DeviceKeyAuthentication, DevicePrincipal, IsDevice
from floor.serializers import (
    BulletinInputSerializer,
    BulletinOutputSerializer,
    DateRangeQuerySerializer,
    DeadlineRiskSerializer,
    DeviceKeyCreateInputSerializer,
    DeviceKeyIssuedOutputSerializer,
    DeviceKeyOutputSerializer,
    FloorEventsInputDocSerializer,
    IngestResultSerializer,
    LineSerializer,
    MaterialReceiptInputSerializer,
    MaterialRequirementInputSerializer,
    PayrollQuerySerializer,
    PieceRateInputSerializer,
    QcInspectionInputSerializer,
    QcInspectionOutputSerializer,
    ShiftInputSerializer,
    WorkerOutputSerializer,
    WorkersInputSerializer,
)
from marketplace.accounts.models import Role, User
from marketplace.accounts.serializers import ErrorResponseSerializer
from marketplace.api.pagination import Pagination
from marketplace.api.permissions import IsMerchant, IsPlatformAdmin
from marketplace.errors import ValidationFailed
from orders.selectors import factory_of, merchant_of

MAX_BODY_BYTES = getattr(settings, "FLOOR_MAX_BODY_BYTES", 4 * 1024 * 1024)
USER_AUTH = [TokenAuthentication, SessionAuthentication]
ALL_AUTH = [DeviceKeyAuthentication, *USER_AUTH]
FACTORY_ID = OpenApiParameter("factory_id", OpenApiTypes.INT, OpenApiParameter.PATH)
FACTORY_QUERY = OpenApiParameter(
    "factory", OpenApiTypes.INT, OpenApiParameter.QUERY, description="Admins: the factory to read (required)."
)
CSV_COLUMNS = ["event_id", "allocation", "operation", "worker", "line", "quantity", "defects", "at"]


def _user(request: Request) -> User:
    """The authenticated account (the permission classes have already refused anonymous callers)."""
    return cast(User, request.user)


def _factory_and_range(request: Request) -> tuple[Factory, date, date]:
    """The caller's factory and the `?start=&end=` period (validated, with the default range)."""
    factory = _factory_of(request)
    query = DateRangeQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    start, end = selectors.date_range(query.validated_data)
    return factory, start, end


def _factory_of(request: Request) -> Factory:
    user = request.user
    if isinstance(user, DevicePrincipal):
        return user.factory
    if getattr(user, "is_platform_admin", False):
        raw = request.query_params.get("factory")
        if not raw or not raw.isdigit():
            raise ValidationFailed("Admins name the factory with ?factory=<id>.", field="factory", code="required")
        return factory_selectors.factory_get(user=_user(request), factory_id=int(raw))
    if getattr(user, "role", None) == Role.FACTORY:
        return factory_of(_user(request))
    raise PermissionDenied("Only factories, their devices and admins can do this.")


def read_bounded_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The raw body, refused past `limit` bytes. This view's bound replaces DATA_UPLOAD_MAX_MEMORY_SIZE,
    which is right for the rest of the API (small JSON) but far too small for 10,000 scans."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit():
        raise ValidationFailed("Bad Content-Length.", code="bad_length")
    if int(length) > limit:
        raise RequestDataTooBig("Request body is too large.")
    body = request._request.read(limit + 1)
    if len(body) > limit:
        raise RequestDataTooBig("Request body is too large.")
    return body


def _ingest_response(result: services.IngestResult) -> Response:
    body = IngestResultSerializer(result).data
    return Response(body, status=status.HTTP_200_OK if result.rejected == 0 else status.HTTP_207_MULTI_STATUS)


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
        factory = factory_selectors.factory_get(user=_user(request), factory_id=factory_id)
        return Response(DeviceKeyOutputSerializer(selectors.device_key_list(factory=factory), many=True).data)

    @extend_schema(
        operation_id="device_keys_create",
        tags=["floor"],
        parameters=[FACTORY_ID],
        request=DeviceKeyCreateInputSerializer,
        responses={201: DeviceKeyIssuedOutputSerializer},
    )
    def post(self, request: Request, factory_id: int) -> Response:
        factory = factory_selectors.factory_get(user=_user(request), factory_id=factory_id)
        serializer = DeviceKeyCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issued = services.device_key_issue(
            factory=factory, actor=_user(request), name=serializer.validated_data["name"]
        )
        issued.device_key.key = issued.secret  # type: ignore[attr-defined]
        return Response(DeviceKeyIssuedOutputSerializer(issued.device_key).data, status=status.HTTP_201_CREATED)


class DeviceKeyRevokeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="device_keys_revoke", tags=["floor"], parameters=[FACTORY_ID], responses={204: None})
    def delete(self, request: Request, factory_id: int, key_id: int) -> Response:
        factory = factory_selectors.factory_get(user=_user(request), factory_id=factory_id)
        services.device_key_revoke(factory=factory, key_id=key_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FloorEventsApi(APIView):
    """A device posts up to 10,000 scans. 200 when all were taken (new or duplicate), 207 when some were
    rejected: the good ones are kept either way, and `errors` lists `{index, field, reason}`."""

    authentication_classes = [DeviceKeyAuthentication]
    permission_classes = [IsDevice]

    @extend_schema(
        operation_id="floor_events_ingest",
        tags=["floor"],
        request=FloorEventsInputDocSerializer,
        responses={
            200: IngestResultSerializer,
            207: IngestResultSerializer,
            401: ErrorResponseSerializer,
            403: ErrorResponseSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        body = read_bounded_body(request)
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ValidationFailed("The body is not valid JSON.", code="parse_error") from None
        events = payload.get("events") if isinstance(payload, dict) else None
        if not isinstance(events, list):
            raise ValidationFailed('Expected {"events": [...]}.', field="events", code="required")
        if len(events) > services.ingest.MAX_EVENTS:
            raise ValidationFailed(
                f"At most {services.ingest.MAX_EVENTS} events per request.", field="events", code="too_many"
            )
        result = services.floor_events_ingest(factory=_factory_of(request), events=events)
        return _ingest_response(result)


class FloorEventsCsvApi(APIView):
    """The same scans as a CSV body (`Content-Type: text/csv`, header row with the event columns),
    for factories that record on paper or a spreadsheet. A device key or the factory account."""

    authentication_classes = ALL_AUTH
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="floor_events_csv",
        tags=["floor"],
        request={"text/csv": OpenApiTypes.STR},
        responses={200: IngestResultSerializer, 207: IngestResultSerializer},
        parameters=[FACTORY_QUERY],
    )
    def post(self, request: Request) -> Response:
        factory = _factory_of(request)
        try:
            text = read_bounded_body(request).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed("The CSV must be UTF-8.", code="parse_error") from None
        reader = csv.DictReader(io.StringIO(text))
        missing = [c for c in CSV_COLUMNS if c != "defects" and c not in (reader.fieldnames or [])]
        if missing:
            raise ValidationFailed(f"Missing columns: {', '.join(missing)}.", field="columns", code="required")
        rows: list[dict[str, Any]] = []
        for row in reader:
            rows.append(row)
            if len(rows) > services.ingest.MAX_EVENTS:
                raise ValidationFailed(
                    f"At most {services.ingest.MAX_EVENTS} rows per upload.", field="events", code="too_many"
                )
        return _ingest_response(services.floor_events_ingest(factory=factory, events=rows))


class LineListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="floor_lines_list",
        tags=["floor"],
        parameters=[FACTORY_QUERY],
        responses={200: LineSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        return Response(LineSerializer(selectors.line_list(factory=_factory_of(request)), many=True).data)

    @extend_schema(
        operation_id="floor_lines_upsert",
        tags=["floor"],
        request=LineSerializer,
        responses={200: LineSerializer},
        parameters=[FACTORY_QUERY],
    )
    def post(self, request: Request) -> Response:
        factory = _factory_of(request)
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
        return Response(WorkerOutputSerializer(selectors.worker_list(factory=_factory_of(request)), many=True).data)

    @extend_schema(
        operation_id="floor_workers_upsert",
        tags=["floor"],
        request=WorkersInputSerializer,
        responses={200: WorkerOutputSerializer(many=True)},
        parameters=[FACTORY_QUERY],
    )
    def post(self, request: Request) -> Response:
        factory = _factory_of(request)
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
        factory = _factory_of(request)
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
        factory = _factory_of(request)
        serializer = ShiftInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        services.shift_record(factory=factory, badge=d["worker"], line=d["line"], day=d["day"], minutes=d["minutes"])
        return Response(serializer.data)


class AllocationBulletinApi(APIView):
    """An allocation's order bulletin (copied from the category default on first read). The factory holding
    the allocation may edit it (PUT); the order's SAM follows."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="floor_bulletin_retrieve",
        tags=["floor"],
        responses={200: BulletinOutputSerializer},
        parameters=[FACTORY_QUERY],
    )
    def get(self, request: Request, allocation_id: int) -> Response:
        allocation = selectors.allocation_get(factory=_factory_of(request), allocation_id=allocation_id)
        return Response(BulletinOutputSerializer(selectors.bulletin_view(order=allocation.order)).data)

    @extend_schema(
        operation_id="floor_bulletin_update",
        tags=["floor"],
        request=BulletinInputSerializer,
        responses={200: BulletinOutputSerializer},
        parameters=[FACTORY_QUERY],
    )
    def put(self, request: Request, allocation_id: int) -> Response:
        allocation = selectors.allocation_get(factory=_factory_of(request), allocation_id=allocation_id)
        serializer = BulletinInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ops = [services.OperationInput(**op) for op in serializer.validated_data["operations"]]
        services.bulletin_replace_operations(order=allocation.order, operations=ops)
        return Response(BulletinOutputSerializer(selectors.bulletin_view(order=allocation.order)).data)


class AllocationProgressApi(APIView):
    """Progress of one allocation from the roll-ups: per operation and stage, WIP, the bottleneck."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="floor_allocation_progress",
        tags=["floor"],
        responses={200: OpenApiTypes.OBJECT},
        parameters=[FACTORY_QUERY],
    )
    def get(self, request: Request, allocation_id: int) -> Response:
        allocation = selectors.allocation_get(factory=_factory_of(request), allocation_id=allocation_id)
        return Response(selectors.allocation_progress(allocation=allocation).as_dict())


class WorkerOutputApi(APIView):
    """Output per worker per day (pieces, earned minutes, wage) from the worker-day roll-up."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="floor_worker_output",
        tags=["floor"],
        parameters=[FACTORY_QUERY, DateRangeQuerySerializer],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        factory, start, end = _factory_and_range(request)
        rows = selectors.worker_days(factory=factory, start=start, end=end)
        return Response({"start": start, "end": end, "rows": [r.as_dict() for r in rows]})


class PayrollApi(APIView):
    """Wages for a period per worker and day: JSON one page of days at a time (`?page=`, `?page_size=`, at most 200)
    with the period totals of every worker, or `?export=csv` / `?export=xlsx` as the full-period download."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="floor_payroll",
        tags=["floor"],
        parameters=[
            FACTORY_QUERY,
            PayrollQuerySerializer,
            OpenApiParameter("page", int, description="JSON only: page of worker-days (by badge, then day)."),
            OpenApiParameter(
                "page_size", int, description="JSON only: worker-days per page (default 50, at most 200)."
            ),
        ],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY,
        },
    )
    def get(self, request: Request) -> Response | HttpResponse:
        factory = _factory_of(request)
        query = PayrollQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = selectors.date_range(query.validated_data)
        export = query.validated_data["export"]
        name = f"payroll-{factory.pk}-{start}-{end}"
        if export == "csv":
            payroll = selectors.payroll(factory=factory, start=start, end=end)
            response = HttpResponse(selectors.payroll_csv(payroll), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
            return response
        if export == "xlsx":
            payroll = selectors.payroll(factory=factory, start=start, end=end)
            response = HttpResponse(
                selectors.payroll_xlsx(payroll),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
            return response
        # The JSON is for a screen: a month of a 150-worker factory is 4,500 days, rendered on every request if
        # unpaged. The totals stay whole-period (one GROUP BY), so a page never shows a partial total.
        paginator = Pagination()
        page = paginator.paginate_queryset(
            selectors.worker_day_values(factory=factory, start=start, end=end), request, view=self
        )
        assert page is not None and paginator.page is not None  # Pagination always has a page size
        return Response(
            {
                "factory": factory.pk,
                "start": start,
                "end": end,
                "count": paginator.page.paginator.count,
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "rows": [r.as_dict() for r in selectors.worker_day_rows(page)],
                "totals": selectors.payroll_totals(factory=factory, start=start, end=end),
            }
        )


class LineEfficiencyApi(APIView):
    """Each line's measured efficiency per day: earned minutes / attended minutes."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="floor_line_efficiency",
        tags=["floor"],
        parameters=[FACTORY_QUERY, DateRangeQuerySerializer],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        factory, start, end = _factory_and_range(request)
        rows = selectors.line_efficiency(factory=factory, start=start, end=end)
        return Response({"start": start, "end": end, "rows": [r.as_dict() for r in rows]})


class LiveCapacityApi(APIView):
    """Declared vs measured efficiency for a factory (its owner or an admin). POST applies the smoothed
    figure to the next weeks' standard calendar days (re-routing what no longer fits)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="floor_live_capacity",
        tags=["floor"],
        parameters=[FACTORY_ID],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, factory_id: int) -> Response:
        factory = factory_selectors.factory_get(user=_user(request), factory_id=factory_id)
        estimate = services.efficiency_estimate(factory=factory)
        applied = getattr(factory, "capacity_estimate", None)
        return Response(_live_capacity_body(factory, estimate, applied))

    @extend_schema(
        operation_id="floor_live_capacity_apply",
        tags=["floor"],
        parameters=[FACTORY_ID],
        request=None,
        responses={200: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, factory_id: int) -> Response:
        factory = factory_selectors.factory_get(user=_user(request), factory_id=factory_id)
        record = services.factory_apply_live_capacity(factory=factory)
        return Response(_live_capacity_body(factory, services.efficiency_estimate(factory=factory), record))


def _live_capacity_body(factory: Factory, estimate: Any, applied: Any) -> dict[str, Any]:
    return {
        "factory": factory.pk,
        "declared_efficiency": str(estimate.declared),
        "measured_efficiency": str(estimate.measured) if estimate.measured is not None else None,
        "smoothed_efficiency": str(estimate.smoothed),
        "earned_minutes_14d": str(estimate.earned_minutes),
        "attended_minutes_14d": str(estimate.attended_minutes.quantize(Decimal("0.1"))),
        "declared_daily_minutes": factory.daily_minutes,
        "live_daily_minutes": int(factory.sewing_operators * factory.minutes_per_day * estimate.smoothed),
        "applied": None
        if applied is None
        else {
            "smoothed_efficiency": str(applied.smoothed_efficiency),
            "applied_at": applied.applied_at,
            "days_changed": applied.days_changed,
        },
    }


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
            risk_id=risk_id, merchant=merchant_of(_user(request)), actor=_user(request)
        )
        return Response(DeadlineRiskSerializer(risk).data)


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
        factory = _factory_of(request)
        serializer = QcInspectionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        inspection = services.qc_inspection_record(
            factory=factory,
            allocation_id=allocation_id,
            lot_size=d["lot_size"],
            defects=d["defects"],
            line_code=d.get("line"),
            inspector=None if isinstance(request.user, DevicePrincipal) else _user(request),
        )
        return Response(QcInspectionOutputSerializer(inspection).data, status=status.HTTP_201_CREATED)


class QualityApi(APIView):
    """Qualified rate per allocation, line and the factory, from the QC inspections."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="floor_quality", tags=["floor"], parameters=[FACTORY_QUERY], responses={200: OpenApiTypes.OBJECT}
    )
    def get(self, request: Request) -> Response:
        return Response(selectors.qualified_rates(factory=_factory_of(request)))


class MaterialsApi(APIView):
    """GET: required vs received vs consumed per material. PUT: consumption per piece of one material.
    POST: a receipt of material for this allocation."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="floor_materials", tags=["floor"], responses={200: OpenApiTypes.OBJECT}, parameters=[FACTORY_QUERY]
    )
    def get(self, request: Request, allocation_id: int) -> Response:
        allocation = selectors.allocation_get(factory=_factory_of(request), allocation_id=allocation_id)
        return Response(selectors.material_status(allocation=allocation))

    @extend_schema(
        operation_id="floor_material_requirement",
        tags=["floor"],
        request=MaterialRequirementInputSerializer,
        responses={200: OpenApiTypes.OBJECT},
        parameters=[FACTORY_QUERY],
    )
    def put(self, request: Request, allocation_id: int) -> Response:
        factory = _factory_of(request)
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
        factory = _factory_of(request)
        serializer = MaterialReceiptInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.material_receipt_record(
            factory=factory, allocation_id=allocation_id, actor=_user(request), **serializer.validated_data
        )
        allocation = selectors.allocation_get(factory=factory, allocation_id=allocation_id)
        return Response(selectors.material_status(allocation=allocation), status=status.HTTP_201_CREATED)


class DashboardApi(APIView):
    """Planned vs completed output and qualified rate: last 12 hours, 7 days, 30 days."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="floor_dashboard", tags=["floor"], parameters=[FACTORY_QUERY], responses={200: OpenApiTypes.OBJECT}
    )
    def get(self, request: Request) -> Response:
        return Response(selectors.dashboard(factory=_factory_of(request)))


class EfficiencyTrendApi(APIView):
    """The factory's measured efficiency per day (earned / attended minutes over all lines)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="floor_efficiency_trend",
        tags=["floor"],
        parameters=[FACTORY_QUERY, DateRangeQuerySerializer],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        factory, start, end = _factory_and_range(request)
        return Response(
            {"start": start, "end": end, "days": selectors.efficiency_trend(factory=factory, start=start, end=end)}
        )
