"""GET /healthz: is the database answering, is the broker reachable? 200 when both are, else 503."""

import time

from django.db import connection
from django.http import HttpRequest, JsonResponse
from kombu import Connection

from marketplace.celery import app


def _check_database() -> dict[str, object]:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - a health check reports any failure rather than raising it
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1), "vendor": connection.vendor}


def _check_broker() -> dict[str, object]:
    started = time.perf_counter()
    url = app.conf.broker_url
    try:
        with Connection(url, transport_options=app.conf.broker_transport_options, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001 - same: report, do not raise
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1), "transport": url.split(":", 1)[0]}


def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database(), "broker": _check_broker()}
    healthy = all(c["ok"] for c in checks.values())
    return JsonResponse({"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503)
