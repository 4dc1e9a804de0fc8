"""OpenAPI post-processing: document the error answers every operation can give, in one place.

Each view documents its own success and business errors (409 for an illegal transition...). The
answers that come from the framework rather than the view are the same everywhere and are added
here, so the schema cannot drift from what DRF really does (the fuzz test, tests/fuzz, checks it):
- 401 when the operation needs a token and none (or a revoked one) was sent;
- 403 when the caller's role may not use it;
- 404 when a path id (or a ?factory= id) names nothing the caller may see, or a list is asked for a
  page past its end;
- 400 when a query parameter or the body is malformed; 413 and 415 for an oversized body or a
  body in a media type the API does not parse.
All of them use the one error shape, `ErrorResponse`. Nested field errors (an item of a list, a key
of a dict) come out as an object of the same kind, so `errors` values are documented as either.
Polymorphic answers without a discriminator are documented with `anyOf` (see below).
"""

from __future__ import annotations

from typing import Any

ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
DESCRIPTIONS = {
    "400": "Malformed input; `errors` names the field.",
    "401": "Not authenticated: no token, or a revoked one.",
    "403": "The caller's role may not do this.",
    "404": "Not found, or not visible to this caller.",
    "413": "Request body too large.",
    "415": "Unsupported media type for the body.",
}
METHODS = {"get", "put", "post", "patch", "delete"}
# Query parameters naming a row (an admin picks the factory with ?factory=<id>): an unknown one is a 404.
REFERENCE_PARAMS = {"factory", "order", "allocation"}


def _needs_auth(operation: dict[str, Any]) -> bool:
    security: list[dict[str, Any]] = operation.get("security") or []
    # drf-spectacular omits `security` for auth=[] views and writes `{}` for optional auth.
    return bool(security) and {} not in security


def _error_codes(operation: dict[str, Any]) -> list[str]:
    params = operation.get("parameters", [])
    codes = []
    if any(p.get("in") in ("query", "header") for p in params) or "requestBody" in operation:
        codes.append("400")
    if _needs_auth(operation):
        codes += ["401", "403"]
    if any(p.get("in") == "path" or p.get("name") in REFERENCE_PARAMS | {"page"} for p in params):
        codes.append("404")
    if "requestBody" in operation:
        codes += ["413", "415"]
    return codes


def _nested_messages(schema: dict[str, Any]) -> None:
    """`errors`/`error_codes` values: a list of strings, or an object of them for nested fields."""
    for key in ("errors", "error_codes"):
        prop = schema.get("properties", {}).get(key)
        if prop is None:
            continue
        strings = {"type": "array", "items": {"type": "string"}}
        prop["additionalProperties"] = {"anyOf": [strings, {"type": "object"}]}


def _any_of_without_discriminator(schemas: dict[str, Any]) -> None:
    """A polymorphic answer without a discriminator (the admin's explanation is the merchant's plus more
    fields) matches several alternatives at once: `oneOf` would call that invalid, `anyOf` says what is meant."""
    for schema in schemas.values():
        if "oneOf" in schema and "discriminator" not in schema:
            schema["anyOf"] = schema.pop("oneOf")


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular POSTPROCESSING_HOOKS entry: add the framework's error answers to every operation."""
    schemas = result.get("components", {}).get("schemas", {})
    if "ErrorResponse" not in schemas:
        return result
    _nested_messages(schemas["ErrorResponse"])
    _any_of_without_discriminator(schemas)
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code in _error_codes(operation):
                responses.setdefault(
                    code, {"description": DESCRIPTIONS[code], "content": {"application/json": {"schema": ERROR_REF}}}
                )
    return result
