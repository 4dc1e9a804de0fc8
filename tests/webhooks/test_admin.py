"""The Django admin shows endpoints without their secrets and switches them through the service."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from webhooks.models import WebhookEndpoint

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


def test_admin_lists_endpoints_without_secrets_and_enables_one_afresh(admin_user, merchant_a):
    endpoint = WebhookEndpoint.objects.create(
        merchant=merchant_a,
        url="https://93.184.215.14/a",
        secret="whsec_hidden",
        is_active=False,
        disabled_at=timezone.now(),
        failing_since=timezone.now(),
    )
    client = Client()
    client.force_login(admin_user)
    for path in ("/admin/webhooks/webhookendpoint/", f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/"):
        page = client.get(path)
        assert page.status_code == 200 and "whsec_hidden" not in page.content.decode()
    assert client.get("/admin/webhooks/webhookdelivery/").status_code == 200

    client.post("/admin/webhooks/webhookendpoint/", {"action": "enable", "_selected_action": [endpoint.pk]})
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.disabled_at is None and endpoint.failing_since is None
