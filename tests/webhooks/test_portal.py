"""The portal's Webhooks pages: add an endpoint (its secret shown once), rotate, disable and enable,
the delivery log with each attempt and a Redeliver button, delete; merchants only, their own only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.webhooks.helpers import deliveries, offered_order
from tests.webhooks.receiver import Answer
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import webhook_delivery_send

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_a_merchant_adds_an_endpoint_sees_its_secret_once_and_follows_its_deliveries(
    private_ok, receiver, merchant_a, factory_x
):
    client = logged_in(merchant_a.owner)
    page = client.get(reverse("web:webhooks"))
    assert page.status_code == 200 and "order.confirmed" in page.content.decode()
    assert reverse("web:webhooks") in page.content.decode()  # the nav link

    response = client.post(reverse("web:webhooks"), {"url": receiver.url, "events": []})
    endpoint = WebhookEndpoint.objects.get(merchant=merchant_a)
    assert response.status_code == 302 and response["Location"] == reverse("web:webhook_detail", args=[endpoint.pk])
    first_view = client.get(response["Location"]).content.decode()
    assert endpoint.secret in first_view
    assert endpoint.secret not in client.get(response["Location"]).content.decode()

    offered_order(merchant_a)
    receiver.answer(Answer(500, b"<h1>shop down</h1>"))
    for delivery in deliveries(endpoint):
        webhook_delivery_send(delivery_id=delivery.pk)
    log = client.get(reverse("web:webhook_detail", args=[endpoint.pk])).content.decode()
    assert "order.created" in log and "order.offered" in log
    assert "<strong>500</strong>" in log and "&lt;h1&gt;shop down&lt;/h1&gt;" in log  # escaped excerpt
    failed = deliveries(endpoint)[0]
    redeliver = reverse("web:webhook_redeliver", args=[endpoint.pk, failed.pk])
    assert redeliver in log
    assert client.post(redeliver).status_code == 302
    assert WebhookDelivery.objects.get(pk=failed.pk).status == "pending"
    assert webhook_delivery_send(delivery_id=failed.pk) == "succeeded"

    old_secret = endpoint.secret
    assert client.post(reverse("web:webhook_rotate", args=[endpoint.pk])).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.secret != old_secret and endpoint.previous_secret == old_secret
    assert endpoint.secret in client.get(reverse("web:webhook_detail", args=[endpoint.pk])).content.decode()

    client.post(reverse("web:webhook_toggle", args=[endpoint.pk]), {"is_active": "0"})
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    client.post(reverse("web:webhook_toggle", args=[endpoint.pk]), {"is_active": "1"})
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.disabled_at is None

    assert client.post(reverse("web:webhook_delete", args=[endpoint.pk]))["Location"] == reverse("web:webhooks")
    assert not WebhookEndpoint.objects.exists()


def test_a_refused_url_is_explained_on_the_form_and_nothing_is_saved(merchant_a):
    response = logged_in(merchant_a.owner).post(reverse("web:webhooks"), {"url": "http://127.0.0.1:9/x"})
    assert response.status_code == 200
    assert "private or local" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_only_merchants_and_only_their_own_endpoints(private_ok, receiver, merchant_a, merchant_b, factory_x):
    endpoint = WebhookEndpoint.objects.create(merchant=merchant_a, url=receiver.url, secret="whsec_x")
    assert logged_in(factory_x.owner).get(reverse("web:webhooks")).status_code == 403
    b = logged_in(merchant_b.owner)
    assert b.get(reverse("web:webhook_detail", args=[endpoint.pk])).status_code == 404
    assert b.post(reverse("web:webhook_delete", args=[endpoint.pk])).status_code == 404
    assert b.post(reverse("web:webhook_rotate", args=[endpoint.pk])).status_code == 404
    assert b.post(reverse("web:webhook_redeliver", args=[endpoint.pk, 1])).status_code == 404
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk, secret="whsec_x", is_active=True).exists()
