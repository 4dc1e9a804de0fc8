"""Live capacity: declared vs measured efficiency, and applying it to the calendar."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from factories import selectors as factory_selectors
from factories.models import Factory
from floor import services
from floor.apis.common import FACTORY_ID, request_user


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
        factory = factory_selectors.factory_get(user=request_user(request), factory_id=factory_id)
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
        factory = factory_selectors.factory_get(user=request_user(request), factory_id=factory_id)
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
