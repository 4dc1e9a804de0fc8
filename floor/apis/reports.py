"""The read-outs: allocation progress, worker output, payroll, line efficiency, the dashboard and trend."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from floor import selectors
from floor.apis.common import FACTORY_QUERY, request_factory, request_factory_and_range
from floor.serializers import DateRangeQuerySerializer, PayrollQuerySerializer
from marketplace.api.pagination import Pagination


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
        allocation = selectors.allocation_get(factory=request_factory(request), allocation_id=allocation_id)
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
        factory, start, end = request_factory_and_range(request)
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
        factory = request_factory(request)
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
        factory, start, end = request_factory_and_range(request)
        rows = selectors.line_efficiency(factory=factory, start=start, end=end)
        return Response({"start": start, "end": end, "rows": [r.as_dict() for r in rows]})


class DashboardApi(APIView):
    """Planned vs completed output and qualified rate: last 12 hours, 7 days, 30 days."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="floor_dashboard", tags=["floor"], parameters=[FACTORY_QUERY], responses={200: OpenApiTypes.OBJECT}
    )
    def get(self, request: Request) -> Response:
        return Response(selectors.dashboard(factory=request_factory(request)))


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
        factory, start, end = request_factory_and_range(request)
        return Response(
            {"start": start, "end": end, "days": selectors.efficiency_trend(factory=factory, start=start, end=end)}
        )
