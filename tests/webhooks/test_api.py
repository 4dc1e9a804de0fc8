"""The webhooks API: registering (the secret once), the URL guard at registration and at send time,
events checked against the catalogue, and only the merchant's own endpoints and deliveries."""

from __future__ import annotations

import socket

import pytest

from tests.conftest import client_for
from tests.webhooks.helpers import API, deliveries, offered_order, register
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.services import webhook_delivery_send

pytestmark = pytest.mark.django_db

PUBLIC_IP = "93.184.215.14"  # a global address: registering it needs no DNS and sends nothing


def test_register_shows_the_secret_once_and_never_again(merchant_a):
    client = client_for(merchant_a.owner)
    response = client.post(API, {"url": f"https://{PUBLIC_IP}/hooks", "events": ["order.shipped"]}, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["secret"].startswith("whsec_") and created["events"] == ["order.shipped"]
    assert created["is_active"] is True and created["url"] == f"https://{PUBLIC_IP}/hooks"

    listed = client.get(API).json()
    assert listed["count"] == 1 and "secret" not in listed["results"][0]
    detail = client.get(f"{API}{created['id']}/").json()
    assert "secret" not in detail and detail["events"] == ["order.shipped"]
    assert created["secret"] not in client.get(f"{API}{created['id']}/").content.decode()


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://127.0.0.1:8000/hook", "private_address"),
        ("http://localhost/hook", "private_address"),
        ("http://10.1.2.3/hook", "private_address"),
        ("http://192.168.0.10/hook", "private_address"),
        ("http://169.254.169.254/latest/meta-data/", "private_address"),
        ("http://[::1]/hook", "private_address"),
        ("http://[::ffff:127.0.0.1]/hook", "private_address"),
        ("http://0.0.0.0/hook", "private_address"),
        ("http://224.0.0.1/hook", "private_address"),
        ("http://2130706433/hook", "private_address"),  # 127.0.0.1 as one number
        ("ftp://example.com/hook", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("https:///no-host", "invalid"),
        ("https://does-not-exist.invalid/hook", "unresolvable"),
        (f"https://{PUBLIC_IP}/" + "a" * 500, "max_length"),
    ],
)
def test_a_url_webhooks_may_not_reach_is_refused_naming_url(merchant_a, url, code):
    response = client_for(merchant_a.owner).post(API, {"url": url}, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"code", "message", "errors", "error_codes"}
    assert body["error_codes"] == {"url": [code]}
    assert not WebhookEndpoint.objects.exists()


def test_unknown_event_types_are_refused_naming_events(merchant_a):
    client = client_for(merchant_a.owner)
    response = client.post(API, {"url": f"https://{PUBLIC_IP}/", "events": ["order.confirmed", "order.eaten"]})
    assert response.status_code == 400
    assert response.json()["error_codes"] == {"events": ["unknown_event"]}
    response = client.post(API, {"url": f"https://{PUBLIC_IP}/", "events": "order.confirmed"}, format="json")
    assert response.status_code == 400 and "events" in response.json()["errors"]
    assert not WebhookEndpoint.objects.exists()


def test_patch_checks_like_create_and_changes_nothing_when_refused(merchant_a):
    endpoint, _ = register(merchant_a, f"https://{PUBLIC_IP}/a")
    client = client_for(merchant_a.owner)
    url = f"{API}{endpoint.pk}/"
    refused = client.patch(url, {"url": "http://10.0.0.1/", "events": ["order.shipped"]}, format="json")
    assert refused.status_code == 400 and refused.json()["error_codes"] == {"url": ["private_address"]}
    assert client.patch(url, {"bogus": 1}, format="json").status_code == 400
    endpoint.refresh_from_db()
    assert endpoint.url == f"https://{PUBLIC_IP}/a" and endpoint.events == []

    changed = client.patch(url, {"events": ["order.shipped"], "is_active": False}, format="json").json()
    assert changed["events"] == ["order.shipped"] and changed["is_active"] is False and changed["disabled_at"]
    assert client.delete(url).status_code == 204
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_the_address_is_checked_again_when_sending(monkeypatch, receiver, merchant_a):
    """DNS rebinding: the name was public when registered and points at the receiver on loopback now."""
    real = socket.getaddrinfo
    answers = {"shop.example.com": PUBLIC_IP}

    def fake_getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host in answers:
            return real(answers[host], port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    port = receiver.server.server_address[1]
    endpoint, _ = register(merchant_a, f"http://shop.example.com:{port}/hooks")
    offered_order(merchant_a)
    delivery = deliveries(endpoint)[0]

    answers["shop.example.com"] = "127.0.0.1"
    assert webhook_delivery_send(delivery_id=delivery.pk) == "pending"
    assert receiver.received == []
    (attempt,) = WebhookAttempt.objects.filter(delivery=delivery)
    assert attempt.status_code is None and attempt.error.startswith("blocked: shop.example.com resolves to 127.0.0.1")


def test_the_connection_goes_to_the_address_checked_not_to_a_second_lookup(settings, monkeypatch, receiver, merchant_a):
    """A resolver answering public for the check and loopback for the connect still reaches no one inside."""
    settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS = 0.3
    real = socket.getaddrinfo
    lookups: list[str] = []

    def flipping_getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host == "flip.example.com":
            lookups.append(host)
            return real(PUBLIC_IP if len(lookups) % 2 else "127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", flipping_getaddrinfo)
    port = receiver.server.server_address[1]
    endpoint, _ = register(merchant_a, f"http://flip.example.com:{port}/hooks")
    offered_order(merchant_a)
    lookups.clear()
    assert webhook_delivery_send(delivery_id=deliveries(endpoint)[0].pk) == "pending"
    assert lookups == ["flip.example.com"]  # resolved once, by the guard; the socket went to that address
    assert receiver.received == []


def test_the_pinned_connection_keeps_the_host_s_name_in_the_host_header(monkeypatch, receiver, merchant_a):
    """The socket goes to the checked address; the request still names the host (virtual hosts, TLS SNI)."""
    real = socket.getaddrinfo
    lookups: list[str] = []

    def one_name(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host == "shop.example.com":
            lookups.append(host)
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", one_name)
    # This test's loopback receiver stands for a public server: only 127.0.0.1 is let through.
    monkeypatch.setattr("webhooks.guard.address_allowed", lambda address: address == "127.0.0.1")
    port = receiver.server.server_address[1]
    endpoint, _ = register(merchant_a, f"http://shop.example.com:{port}/hooks")
    offered_order(merchant_a)
    lookups.clear()
    assert webhook_delivery_send(delivery_id=deliveries(endpoint)[0].pk) == "succeeded"
    assert lookups == ["shop.example.com"]
    (received,) = receiver.received
    assert received.headers["Host"] == f"shop.example.com:{port}"


def test_private_targets_are_allowed_only_by_the_setting(settings, receiver, merchant_a):
    client = client_for(merchant_a.owner)
    assert client.post(API, {"url": receiver.url}, format="json").status_code == 400
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    assert client.post(API, {"url": receiver.url}, format="json").status_code == 201


def test_another_merchant_s_endpoint_and_delivery_are_not_found(private_ok, receiver, merchant_a, merchant_b):
    endpoint, _ = register(merchant_a, receiver.url)
    offered_order(merchant_a)
    delivery = deliveries(endpoint)[0]
    b = client_for(merchant_b.owner)
    base = f"{API}{endpoint.pk}/"
    for response in (
        b.get(base),
        b.patch(base, {"is_active": False}, format="json"),
        b.delete(base),
        b.get(f"{base}deliveries/"),
        b.post(f"{base}deliveries/{delivery.pk}/redeliver/"),
        b.post(f"{base}rotate-secret/"),
    ):
        assert response.status_code == 404, response.content
        assert response.json()["code"] == "not_found"
    # Its own endpoint with A's delivery id: not found either.
    own, _ = register(merchant_b, receiver.url)
    assert b.post(f"{API}{own.pk}/deliveries/{delivery.pk}/redeliver/").status_code == 404
    endpoint.refresh_from_db()
    assert endpoint.is_active and WebhookDelivery.objects.get(pk=delivery.pk).status == "pending"
    assert b.get(API).json()["count"] == 1


def test_factories_and_admins_are_refused(factory_x, admin_user):
    for user in (factory_x.owner, admin_user):
        client = client_for(user)
        assert client.get(API).status_code == 403
        assert client.post(API, {"url": f"https://{PUBLIC_IP}/"}, format="json").status_code == 403


def test_redelivering_to_a_disabled_endpoint_is_a_conflict(private_ok, receiver, merchant_a):
    endpoint, _ = register(merchant_a, receiver.url)
    offered_order(merchant_a)
    delivery = deliveries(endpoint)[0]
    client = client_for(merchant_a.owner)
    client.patch(f"{API}{endpoint.pk}/", {"is_active": False}, format="json")
    response = client.post(f"{API}{endpoint.pk}/deliveries/{delivery.pk}/redeliver/")
    assert response.status_code == 409 and response.json()["code"] == "endpoint_disabled"
