"""Shared steps of the webhook tests: the README's verifier, an endpoint, an order's events as deliveries."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from matching.tasks import match_order
from tests import model_factories as mf
from tests.conftest import client_for
from tests.notifications.helpers import settle
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import webhook_delivery_send

README = Path(__file__).resolve().parents[2] / "README.md"
API = "/api/v1/webhooks/"


def readme_verifier() -> Callable[..., bool]:
    """`verify_c2m_signature` exactly as the README's Webhooks section prints it."""
    section = README.read_text().split("## Webhooks", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    verify: Callable[..., bool] = namespace["verify_c2m_signature"]
    return verify


def register(merchant, url: str, events: list[str] | None = None) -> tuple[WebhookEndpoint, str]:  # type: ignore[no-untyped-def]
    """An endpoint registered over the API; returns it and the secret shown once."""
    body: dict[str, Any] = {"url": url}
    if events is not None:
        body["events"] = events
    response = client_for(merchant.owner).post(API, body, format="json")
    assert response.status_code == 201, response.content
    return WebhookEndpoint.objects.get(pk=response.json()["id"]), response.json()["secret"]


def offered_order(merchant):  # type: ignore[no-untyped-def]
    """An order posted and offered, its events handled: order.created and order.offered are decided."""
    order = mf.make_order(merchant)
    match_order(order.pk, "test")
    settle()
    return order


def deliveries(endpoint: WebhookEndpoint) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.filter(endpoint=endpoint).order_by("id"))


def send_all(endpoint: WebhookEndpoint) -> list[str]:
    return [webhook_delivery_send(delivery_id=d.pk) for d in deliveries(endpoint)]
