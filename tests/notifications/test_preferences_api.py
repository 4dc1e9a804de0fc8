"""GET/PUT /api/v1/notification-preferences/: the caller's own channels, muted kinds, quiet hours, language."""

from __future__ import annotations

from datetime import time

import pytest

from marketplace.accounts.models import User
from notifications import catalogue
from notifications.models import NotificationPreference
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/notification-preferences/"


def test_the_defaults_and_the_kinds_of_my_audience(merchant_a, factory_x, admin_user):
    body = client_for(merchant_a.owner).get(URL).json()
    assert body | {"kinds": []} == {
        "email_enabled": True,
        "push_enabled": True,
        "muted_kinds": [],
        "quiet_hours_start": None,
        "quiet_hours_end": None,
        "language": "en",
        "kinds": [],
    }
    merchant_kinds = [k.key for k in catalogue.KINDS.values() if k.is_for(catalogue.MERCHANT)]
    assert [k["kind"] for k in body["kinds"]] == merchant_kinds
    confirmed = next(k for k in body["kinds"] if k["kind"] == "order.confirmed")
    assert confirmed == {
        "kind": "order.confirmed",
        "label": "Order confirmed",
        "channels": ["email", "push"],
        "always_push": False,
        "muted": False,
    }
    factory_kinds = {k["kind"] for k in client_for(factory_x.owner).get(URL).json()["kinds"]}
    assert "offer.received" in factory_kinds and "order.confirmed" not in factory_kinds
    admin_kinds = {k["kind"] for k in client_for(admin_user).get(URL).json()["kinds"]}
    assert admin_kinds == {k.key for k in catalogue.KINDS.values() if k.audience == catalogue.ADMIN}
    assert not NotificationPreference.objects.exists()  # reading creates nothing


def test_put_changes_what_is_sent_and_leaves_the_rest(merchant_a, merchant_b):
    client = client_for(merchant_a.owner)
    response = client.put(
        URL,
        {
            "email_enabled": False,
            "muted_kinds": ["order.shipped", "order.cancelled", "order.shipped"],
            "quiet_hours_start": "22:00",
            "quiet_hours_end": "07:30",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["email_enabled"] is False and body["push_enabled"] is True
    assert body["muted_kinds"] == ["order.cancelled", "order.shipped"]
    assert (body["quiet_hours_start"], body["quiet_hours_end"]) == ("22:00:00", "07:30:00")
    assert next(k for k in body["kinds"] if k["kind"] == "order.shipped")["muted"] is True
    saved = NotificationPreference.objects.get(user=merchant_a.owner)
    assert (saved.quiet_hours_start, saved.quiet_hours_end) == (time(22, 0), time(7, 30))

    # A partial update keeps the rest; clearing the quiet hours takes both.
    body = client.put(URL, {"push_enabled": False}, format="json").json()
    assert body["email_enabled"] is False and body["push_enabled"] is False
    assert body["muted_kinds"] == ["order.cancelled", "order.shipped"]
    body = client.put(URL, {"quiet_hours_start": None, "quiet_hours_end": None}, format="json").json()
    assert body["quiet_hours_start"] is None and body["quiet_hours_end"] is None
    # Another merchant's preferences are untouched.
    assert client_for(merchant_b.owner).get(URL).json()["email_enabled"] is True


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"quiet_hours_start": "22:00"}, "quiet_hours_end"),
        ({"quiet_hours_end": "07:00"}, "quiet_hours_start"),
        ({"quiet_hours_start": "25:00", "quiet_hours_end": "07:00"}, "quiet_hours_start"),
        ({"quiet_hours_start": "22:00", "quiet_hours_end": "soon"}, "quiet_hours_end"),
        ({"muted_kinds": ["order.confirmed", "no.such.kind"]}, "muted_kinds"),
        ({"muted_kinds": ["offer.received"]}, "muted_kinds"),  # a factory's kind, not a merchant's
        ({"language": "fr"}, "language"),
        ({"email_enabled": "maybe"}, "email_enabled"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(merchant_a, payload, field):
    client = client_for(merchant_a.owner)
    response = client.put(URL, payload, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body["errors"]) == [field], body
    assert client.get(URL).json()["quiet_hours_start"] is None
    assert not NotificationPreference.objects.filter(user=merchant_a.owner).exclude(muted_kinds=[]).exists()


def test_an_unknown_field_is_refused(merchant_a):
    response = client_for(merchant_a.owner).put(URL, {"sms_enabled": True}, format="json")
    assert response.status_code == 400


def test_a_language_change_persists_on_the_user(merchant_a):
    client = client_for(merchant_a.owner)
    body = client.put(URL, {"language": "zh-hans"}, format="json").json()
    assert body["language"] == "zh-hans"
    assert User.objects.get(pk=merchant_a.owner.pk).language == "zh-hans"
    assert client.get(URL).json()["language"] == "zh-hans"


def test_anonymous_callers_are_refused(api):
    assert api.get(URL).status_code == 401
    assert api.put(URL, {"email_enabled": False}, format="json").status_code == 401


@pytest.mark.parametrize(("accept", "language"), [("zh-CN,zh;q=0.9", "zh-hans"), ("en", "en"), ("", "en")])
def test_a_merchant_signing_up_over_the_api_is_written_to_in_the_request_s_language(api, accept, language):
    body = {"username": "api-shop", "password": "Sturdy-Passw0rd!", "email": "s@example.com", "name": "Shop"}
    response = api.post("/api/v1/merchants/", body, format="json", HTTP_ACCEPT_LANGUAGE=accept)
    assert response.status_code == 201, response.content
    assert User.objects.get(username="api-shop").language == language
