"""Fuzz the API from its own OpenAPI schema: hostile and well-formed input, as every kind of caller.

Schemathesis reads /api/v1/schema/ from the WSGI application and, for every operation, sends
generated requests (valid bodies and deliberately broken ones) as a merchant, a factory, an admin and
an anonymous caller. Every response must:
- never be a 5xx (`not_a_server_error`);
- use a status code the schema documents for that operation (`status_code_conformance`);
- carry the documented content type and match the documented body schema
  (`content_type_conformance`, `response_schema_conformance`, `response_headers_conformance`).

Ids in paths (order_id, allocation_id, factory_id) are replaced by real rows half of the time, so
the generated bodies reach the services instead of stopping at a 404. The example count per operation
is bounded (FUZZ_EXAMPLES, default 12) and derandomized to keep CI fast and repeatable; for a longer
hunt: `FUZZ_EXAMPLES=200 FUZZ_RANDOM=1 pytest tests/fuzz`.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from attachments.services import attachment_upload
from marketplace.outbox.services import events_run_pending
from marketplace.wsgi import application
from matching.tasks import match_order
from tests import model_factories as mf
from tests.attachments.helpers import pdf_bytes
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_endpoint_create

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)


@pytest.fixture
def keep_connection():  # type: ignore[no-untyped-def]
    """The raw WSGI handler closes the database connection after each request, which would end the
    test's transaction; Django's own test client disconnects the same signal handlers."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def market(db, keep_connection, settings, tmp_path) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A merchant with an order offered to a factory (with a file), and the tokens of every persona."""
    settings.STORAGES = settings.STORAGES | {
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        }
    }
    merchant = mf.make_merchant(name="Fuzz shop")
    factory = mf.make_factory(name="Fuzz factory")
    # A webhook endpoint first, so the order's events below make deliveries to it.
    endpoint = webhook_endpoint_create(merchant=merchant, url="https://93.184.215.14/fuzz")
    order = mf.make_order(merchant)
    match_order(order.pk, "fuzz")
    events_run_pending()
    delivery = WebhookDelivery.objects.filter(endpoint=endpoint).first()
    assert delivery is not None
    allocation = order.allocations.get()
    admin = mf.make_admin()
    attachment = attachment_upload(order_id=order.pk, uploaded_by=merchant.owner, data=pdf_bytes(), name="fuzz.pdf")
    return {
        "ids": {
            "order_id": order.pk,
            "allocation_id": allocation.pk,
            "factory_id": factory.pk,
            "endpoint_id": endpoint.pk,
            "delivery_id": delivery.pk,
            "file_id": attachment.pk,
        },
        "headers": {
            "merchant": mf.auth_header(merchant.owner)["HTTP_AUTHORIZATION"],
            "factory": mf.auth_header(factory.owner)["HTTP_AUTHORIZATION"],
            "admin": mf.auth_header(admin)["HTTP_AUTHORIZATION"],
            "anonymous": None,
        },
    }


@schema.parametrize()
@schema.given(persona=st.sampled_from(["merchant", "factory", "admin", "anonymous"]))
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    # Repeatable in CI; FUZZ_RANDOM=1 draws new inputs each run.
    derandomize=not os.environ.get("FUZZ_RANDOM"),
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_every_input_as_documented(case, persona, market):  # type: ignore[no-untyped-def]
    for name, real_id in market["ids"].items():
        value = (case.path_parameters or {}).get(name)
        # Keep hostile ids (0, negative, huge) as generated; map the rest onto real rows half of the time.
        if isinstance(value, int) and 0 < value < 2**31 and value % 2 == 0:
            case.path_parameters[name] = real_id
    token = market["headers"][persona]
    headers = {"Authorization": token} if token else {}
    case.call_and_validate(headers=headers, checks=CHECKS)
