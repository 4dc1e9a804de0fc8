"""One error shape for the whole API, decided once.

Every error answers JSON: {"code": str, "message": str, "errors": {field: [messages]},
"error_codes": {field: [codes]}}. Non-field problems use the key "non_field_errors".
"""

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from marketplace.errors import DomainError


def _as_lists(detail: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Turn DRF's nested ErrorDetail structure into {field: [messages]} and {field: [codes]}."""
    if isinstance(detail, dict):
        messages: dict[str, Any] = {}
        codes: dict[str, Any] = {}
        for key, value in detail.items():
            messages[key], codes[key] = _flatten(value)
        return messages, codes
    msgs, cds = _flatten(detail)
    return {"non_field_errors": msgs}, {"non_field_errors": cds}


def _flatten(value: Any) -> tuple[Any, Any]:
    if isinstance(value, dict):
        return _as_lists(value)
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return [str(v) for v in value], [getattr(v, "code", "invalid") for v in value]
        pairs = [_flatten(v) for v in value]
        return [p[0] for p in pairs], [p[1] for p in pairs]
    return [str(value)], [getattr(value, "code", "invalid")]


def error_body(
    code: str, message: str, errors: dict[str, Any] | None = None, codes: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"code": code, "message": message, "errors": errors or {}, "error_codes": codes or {}}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        field = exc.field or "non_field_errors"
        return Response(
            error_body(exc.code, exc.message, {field: [exc.message]}, {field: [exc.code]}),
            status=exc.status_code,
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("payload_too_large", "Request body is too large."),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError("Malformed request.")

    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        errors, codes = _as_lists(exc.detail)
        response.data = error_body("validation_error", "Invalid input.", errors, codes)
    else:
        detail = exc.detail
        message = str(detail) if not isinstance(detail, (dict, list)) else "Request failed."
        code = getattr(detail, "code", None) or exc.default_code
        response.data = error_body(str(code), message)
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: an unrouted /api/ URL (say /api/v1/orders/-1/) answers the JSON error shape; pages keep HTML."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", "Not found."), status=status.HTTP_404_NOT_FOUND)
    return page_not_found(request, exception or Http404())
