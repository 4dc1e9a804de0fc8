"""Event ingestion: a device's scans as JSON, or the same scans as a CSV upload."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from floor import services
from floor.apis.common import ALL_AUTH, FACTORY_QUERY, request_factory
from floor.authentication import DeviceKeyAuthentication, IsDevice
from floor.serializers import FloorEventsInputDocSerializer, IngestResultSerializer
from marketplace.accounts.serializers import ErrorResponseSerializer
from marketplace.errors import ValidationFailed

MAX_BODY_BYTES = getattr(settings, "FLOOR_MAX_BODY_BYTES", 4 * 1024 * 1024)
CSV_COLUMNS = ["event_id", "allocation", "operation", "worker", "line", "quantity", "defects", "at"]


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
        result = services.floor_events_ingest(factory=request_factory(request), events=events)
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
        factory = request_factory(request)
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
