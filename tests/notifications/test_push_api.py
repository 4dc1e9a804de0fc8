"""The push subscriptions API (a page hands over its browser's subscription), the service worker's route,
the factory pages' wiring and `manage.py vapid_keys`."""

from __future__ import annotations

import base64
import json
import stat
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import call_command
from django.test import Client
from py_vapid import Vapid

from notifications.channels.push import vapid_public_key
from notifications.models import PushSubscription
from tests.conftest import client_for
from tests.notifications.push_server import b64url, unb64url, vapid_pair

pytestmark = pytest.mark.django_db

URL = "/api/v1/push-subscriptions/"
KEY_URL = "/api/v1/push-subscriptions/public-key/"


def p256dh() -> str:
    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    return b64url(b"\x04" + point.x.to_bytes(32, "big") + point.y.to_bytes(32, "big"))


def body(endpoint: str = "https://fcm.googleapis.com/fcm/send/abc:APA91", **keys: Any) -> dict[str, Any]:
    return {
        "endpoint": endpoint,
        "expirationTime": None,
        "keys": {"p256dh": p256dh(), "auth": b64url(b"0123456789abcdef")} | keys,
    }


def error_fields(response: Any) -> dict[str, list[str]]:
    data = response.json()
    assert set(data) == {"code", "message", "errors", "error_codes"}, data
    return data["error_codes"]


def test_a_browser_s_subscription_is_saved_then_refreshed(factory_x):
    api = client_for(factory_x.owner)
    first = body()
    response = api.post(URL, first, format="json", HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 14) Chrome/131")
    assert response.status_code == 201, response.content
    subscription = PushSubscription.objects.get()
    assert response.json() == {
        "id": subscription.pk,
        "endpoint": first["endpoint"],
        "created_at": response.json()["created_at"],
        "last_success_at": None,
    }
    assert (subscription.user, subscription.p256dh, subscription.auth) == (
        factory_x.owner,
        first["keys"]["p256dh"],
        first["keys"]["auth"],
    )
    assert subscription.user_agent.startswith("Mozilla/5.0 (Linux; Android 14)")

    # The page posts it again on every load; the browser may have new keys.
    again = body(p256dh=p256dh())
    response = api.post(URL, again, format="json")
    assert response.status_code == 200 and response.json()["id"] == subscription.pk
    subscription.refresh_from_db()
    assert subscription.p256dh == again["keys"]["p256dh"]
    assert PushSubscription.objects.count() == 1


def test_one_user_has_a_subscription_per_phone(factory_x):
    api = client_for(factory_x.owner)
    for n in range(3):
        assert (
            api.post(URL, body(f"https://updates.push.services.mozilla.com/wpush/v2/{n}"), format="json").status_code
            == 201
        )
    assert PushSubscription.objects.filter(user=factory_x.owner).count() == 3


def test_a_phone_handed_to_another_user_moves_to_them(factory_x, factory_y):
    assert client_for(factory_x.owner).post(URL, body(), format="json").status_code == 201
    old = PushSubscription.objects.get()
    response = client_for(factory_y.owner).post(URL, body(), format="json")
    assert response.status_code == 201
    moved = PushSubscription.objects.get()
    assert moved.user == factory_y.owner
    # A new row: deliveries planned for X's notifications (target = the old id) find it gone.
    assert moved.pk != old.pk


def test_logging_out_of_the_page_removes_the_subscription_it_saved(factory_x):
    """A phone handed on after a logout is not pushed its previous user's offers; the factory's other phones
    (and an app's token-saved subscription) keep theirs."""
    page = Client()
    page.force_login(factory_x.owner)
    phone = body("https://fcm.googleapis.com/fcm/send/this-phone")
    assert page.post(URL, json.dumps(phone), content_type="application/json").status_code == 201
    assert PushSubscription.objects.get(endpoint=phone["endpoint"]).session_key != ""
    other = body("https://fcm.googleapis.com/fcm/send/another-phone")
    assert client_for(factory_x.owner).post(URL, other, format="json").status_code == 201

    assert page.post("/logout/").status_code == 302
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [other["endpoint"]]


def test_padded_and_standard_base64_keys_are_stored_as_base64url(merchant_a):
    raw = unb64url(p256dh())
    standard = base64.b64encode(raw).decode()  # with + / and = padding
    response = client_for(merchant_a.owner).post(
        URL, body(p256dh=standard, auth=base64.b64encode(b"\xff" * 16).decode()), format="json"
    )
    assert response.status_code == 201, response.content
    subscription = PushSubscription.objects.get()
    assert subscription.p256dh == b64url(raw) and subscription.auth == b64url(b"\xff" * 16)


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({"keys": {"p256dh": "x", "auth": "y"}}, "endpoint", "required"),
        ({"endpoint": "https://push.example.net/1"}, "keys", "required"),
        (
            {"endpoint": "https://push.example.net/1", "keys": {"auth": "AAAAAAAAAAAAAAAAAAAAAA"}},
            "keys.p256dh",
            "required",
        ),
        ({"endpoint": "https://push.example.net/1", "keys": {"p256dh": "AAAA"}}, "keys.auth", "required"),
        ({"endpoint": "https://push.example.net/1", "keys": "nope"}, "keys.non_field_errors", "invalid"),
        (body() | {"extra": 1}, "extra", "unknown_field"),
        (body("not a url"), "endpoint", "invalid"),
        (body("ftp://push.example.net/1"), "endpoint", "invalid"),
        (body(p256dh="not base64!"), "keys.p256dh", "invalid"),
        (body(p256dh=b64url(b"\x04" + b"\x01" * 32)), "keys.p256dh", "invalid"),  # 33 bytes
        (body(p256dh=b64url(b"\x04" + b"\x01" * 64)), "keys.p256dh", "invalid"),  # 65 bytes, not on the curve
        (body(auth=b64url(b"short")), "keys.auth", "invalid"),
        (body(auth="****"), "keys.auth", "invalid"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(merchant_a, data, field, code):
    response = client_for(merchant_a.owner).post(URL, data, format="json")
    assert response.status_code == 400, response.content
    assert error_fields(response) == {field: [code]}
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    ("endpoint", "code"),
    [
        ("http://push.example.net/1", "insecure_endpoint"),
        ("https://127.0.0.1/push/1", "local_endpoint"),
        ("https://10.1.2.3/push/1", "local_endpoint"),
        ("https://[::1]/push/1", "local_endpoint"),
        ("https://localhost/push/1", "local_endpoint"),
    ],
)
def test_push_services_are_https_and_public_outside_development(settings, merchant_a, endpoint, code):
    settings.PUSH_ALLOW_HTTP_ENDPOINTS = False
    settings.DEBUG = False
    response = client_for(merchant_a.owner).post(URL, body(endpoint), format="json")
    assert response.status_code == 400
    assert error_fields(response) == {"endpoint": [code]}
    settings.PUSH_ALLOW_HTTP_ENDPOINTS = True  # the tests' own push service on http://127.0.0.1
    assert client_for(merchant_a.owner).post(URL, body(endpoint), format="json").status_code == 201


def test_delete_removes_only_the_caller_s_own(merchant_a, merchant_b):
    endpoint = body()["endpoint"]
    client_for(merchant_a.owner).post(URL, body(endpoint), format="json")

    response = client_for(merchant_b.owner).delete(URL, {"endpoint": endpoint}, format="json")
    assert response.status_code == 404
    assert error_fields(response) == {"endpoint": ["not_found"]}
    assert PushSubscription.objects.filter(user=merchant_a.owner).exists()

    response = client_for(merchant_a.owner).delete(URL, {"endpoint": endpoint}, format="json")
    assert response.status_code == 204 and response.content == b""
    assert not PushSubscription.objects.exists()
    assert client_for(merchant_a.owner).delete(URL, {"endpoint": endpoint}, format="json").status_code == 404
    assert error_fields(client_for(merchant_a.owner).delete(URL, {}, format="json")) == {"endpoint": ["required"]}


def test_anonymous_callers_are_refused(api):
    assert api.post(URL, body(), format="json").status_code == 401
    assert api.delete(URL, {"endpoint": "https://x.example/1"}, format="json").status_code == 401
    assert api.get(KEY_URL).status_code == 401
    assert not PushSubscription.objects.exists()


def test_the_public_key_to_subscribe_with(settings, merchant_a):
    pair = vapid_pair()
    settings.VAPID_PUBLIC_KEY = pair["public_key"]
    settings.VAPID_PRIVATE_KEY = pair["private_key"]
    assert client_for(merchant_a.owner).get(KEY_URL).json() == {"public_key": pair["public_key"], "enabled": True}
    # Derived from the private key when only that is set.
    settings.VAPID_PUBLIC_KEY = ""
    assert vapid_public_key() == pair["public_key"]
    settings.VAPID_PRIVATE_KEY = ""
    assert client_for(merchant_a.owner).get(KEY_URL).json() == {"public_key": "", "enabled": False}


def test_the_service_worker_is_served_from_the_site_root():
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    script = response.content.decode()
    config = json.loads(script.split("\n", 1)[0].removeprefix("self.C2M_SW = ").removesuffix(";"))
    assert config["icon"].endswith("web/icons/icon-192.png")
    for listener in ('addEventListener("push"', 'addEventListener("notificationclick"'):
        assert listener in script
    assert Client().post("/sw.js").status_code == 405


def test_the_factory_phone_pages_offer_to_enable_notifications(factory_x):
    client = Client()
    client.force_login(factory_x.owner)
    page = client.get("/factory/").content.decode()
    assert 'id="push-box"' in page and 'data-worker-url="/sw.js"' in page
    assert f'data-subscribe-url="{URL}"' in page and f'data-key-url="{KEY_URL}"' in page
    assert ">Enable notifications</button>" in page and 'aria-describedby="push-hint"' in page
    assert "web/push.js" in page


def test_vapid_keys_are_made_once_and_kept(tmp_path: Path):
    path = tmp_path / "var" / "vapid.json"
    out = StringIO()
    call_command("vapid_keys", "--file", str(path), stdout=out)
    lines = dict(line.split("=", 1) for line in out.getvalue().split())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    kept = json.loads(path.read_text())
    assert lines == {"VAPID_PUBLIC_KEY": kept["public_key"], "VAPID_PRIVATE_KEY": kept["private_key"]}
    again = StringIO()
    call_command("vapid_keys", "--file", str(path), "--format", "json", stdout=again)
    assert json.loads(again.getvalue()) == kept
    # A usable pair: what the private key signs verifies with the public key browsers get.
    vapid = Vapid.from_string(kept["private_key"])
    headers = vapid.sign({"aud": "https://push.example.net", "sub": "mailto:ops@c2m.example", "exp": 4102444800})
    token = headers["Authorization"].split("t=", 1)[1].split(",", 1)[0]
    assert Vapid.verify(f"vapid t={token},k={kept['public_key']}")
    assert len(unb64url(kept["public_key"])) == 65 and len(unb64url(kept["private_key"])) == 32
