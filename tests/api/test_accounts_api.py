"""Accounts API: token login/logout, who-am-I, merchant sign-up, throttling and the error shape."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.throttling import ScopedRateThrottle

from marketplace.accounts.models import Merchant, Role, User
from tests import model_factories as mf
from tests.conftest import client_for

pytestmark = [
    pytest.mark.django_db,
    # WhiteNoise warns when STATIC_ROOT has not been collected, which a test run never does.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

TOKEN_URL = "/api/v1/auth/token/"
LOGOUT_URL = "/api/v1/auth/logout/"
ME_URL = "/api/v1/auth/me/"
MERCHANTS_URL = "/api/v1/merchants/"
ERROR_KEYS = {"code", "message", "errors", "error_codes"}


def merchant_body(**overrides):
    username = mf.unique("shop")
    body = {"username": username, "password": mf.PASSWORD, "email": f"{username}@example.com", "name": "Shop"}
    return body | overrides


# --- token ----------------------------------------------------------------------------------


def test_token_for_valid_credentials_authenticates_later_requests(api, merchant_a):
    response = api.post(TOKEN_URL, {"username": merchant_a.owner.username, "password": mf.PASSWORD})

    assert response.status_code == 200
    token = response.json()["token"]
    assert token == Token.objects.get(user=merchant_a.owner).key
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get(ME_URL).json()["username"] == merchant_a.owner.username


@pytest.mark.parametrize(
    "body",
    [
        {"username": "nobody", "password": mf.PASSWORD},
        {"username": "__MERCHANT__", "password": "wrong-password"},
    ],
)
def test_wrong_credentials_answer_400_without_saying_which(api, merchant_a, body):
    if body["username"] == "__MERCHANT__":
        body = body | {"username": merchant_a.owner.username}

    response = api.post(TOKEN_URL, body)

    assert response.status_code == 400
    data = response.json()
    assert set(data) == ERROR_KEYS
    assert data["code"] == "invalid_credentials"
    assert data["errors"] == {"non_field_errors": ["Unable to log in with these credentials."]}
    assert not Token.objects.filter(user=merchant_a.owner).exists()


def test_disabled_account_cannot_get_a_token(api, merchant_a):
    User.objects.filter(pk=merchant_a.owner.pk).update(is_active=False)

    response = api.post(TOKEN_URL, {"username": merchant_a.owner.username, "password": mf.PASSWORD})

    assert response.status_code == 400


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": "x"}, "username"),
        ({"username": "someone"}, "password"),
        ({"username": ["a"], "password": "x"}, "username"),
        ({"username": "a", "password": "x", "remember": True}, "remember"),
    ],
)
def test_token_input_errors_name_the_field(api, body, field):
    response = api.post(TOKEN_URL, body)

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["errors"]


def test_non_object_body_is_a_400_not_a_500(api):
    response = api.post(TOKEN_URL, ["username", "password"])

    assert response.status_code == 400
    assert "non_field_errors" in response.json()["errors"]


def test_malformed_json_is_a_400(api):
    response = api.post(TOKEN_URL, data="{not json", content_type="application/json")

    assert response.status_code == 400
    assert set(response.json()) == ERROR_KEYS


def test_token_endpoint_is_throttled_with_the_token_scope(api, merchant_a, monkeypatch):
    # SimpleRateThrottle binds the rates dict at import; the test settings make it unlimited.
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"token": "2/min", "signup": "1000/min"})
    cache.clear()
    body = {"username": merchant_a.owner.username, "password": "wrong"}
    try:
        assert api.post(TOKEN_URL, body).status_code == 400
        assert api.post(TOKEN_URL, body).status_code == 400
        response = api.post(TOKEN_URL, body)
    finally:
        cache.clear()

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert set(response.json()) == ERROR_KEYS


# --- logout and me ----------------------------------------------------------------------------


def test_logout_revokes_only_the_callers_token(merchant_a, merchant_b):
    client_a, client_b = client_for(merchant_a.owner), client_for(merchant_b.owner)

    assert client_a.post(LOGOUT_URL).status_code == 204

    assert not Token.objects.filter(user=merchant_a.owner).exists()
    assert client_a.get(ME_URL).status_code == 401
    assert client_b.get(ME_URL).status_code == 200


def test_logout_needs_authentication(api):
    response = api.post(LOGOUT_URL)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_me_for_a_merchant(merchant_a):
    response = client_for(merchant_a.owner).get(ME_URL)

    assert response.status_code == 200
    assert response.json() == {
        "id": merchant_a.owner.pk,
        "username": merchant_a.owner.username,
        "email": merchant_a.owner.email,
        "role": "merchant",
        "merchant_id": merchant_a.pk,
        "factory_id": None,
    }


def test_me_for_a_factory_and_an_admin(factory_x, admin_user):
    factory_me = client_for(factory_x.owner).get(ME_URL).json()
    admin_me = client_for(admin_user).get(ME_URL).json()

    assert (factory_me["role"], factory_me["factory_id"], factory_me["merchant_id"]) == ("factory", factory_x.pk, None)
    assert (admin_me["role"], admin_me["factory_id"], admin_me["merchant_id"]) == ("admin", None, None)


def test_me_anonymous_is_401(api):
    assert api.get(ME_URL).status_code == 401


# --- merchant sign-up ---------------------------------------------------------------------------


def test_merchant_signup_creates_the_account_and_answers_a_token(api):
    body = merchant_body(name="Livestream Lily", region="hangzhou")

    response = api.post(MERCHANTS_URL, body)

    assert response.status_code == 201, response.json()
    data = response.json()
    merchant = Merchant.objects.select_related("owner").get(pk=data["id"])
    assert merchant.name == "Livestream Lily"
    assert merchant.region_id == "hangzhou"
    assert merchant.owner.role == Role.MERCHANT
    assert merchant.owner.check_password(mf.PASSWORD)
    assert data["region"] == "hangzhou"
    assert data["owner"] == {
        "id": merchant.owner.pk,
        "username": body["username"],
        "email": body["email"],
        "role": "merchant",
    }
    assert "password" not in data and "password" not in data["owner"]
    assert data["token"] == Token.objects.get(user=merchant.owner).key


def test_merchant_signup_without_region(api):
    response = api.post(MERCHANTS_URL, merchant_body())

    assert response.status_code == 201
    assert response.json()["region"] is None


def test_merchant_signup_ignores_a_stale_token(api):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert api.post(MERCHANTS_URL, merchant_body()).status_code == 201


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"password": "123"}, "password", "weak_password"),
        ({"password": "password"}, "password", "weak_password"),
        ({"region": "atlantis"}, "region", "does_not_exist"),
        ({"email": "not-an-email"}, "email", "invalid"),
        ({"username": "bad name!"}, "username", "invalid"),
        ({"username": "x" * 151}, "username", "max_length"),
        ({"name": ""}, "name", "blank"),
        ({"name": "n" * 201}, "name", "max_length"),
        ({"name": None}, "name", "null"),
        ({"role": "admin"}, "role", "unknown_field"),
    ],
)
def test_merchant_signup_rejects_bad_input_and_writes_nothing(api, overrides, field, code):
    users_before, merchants_before = User.objects.count(), Merchant.objects.count()

    response = api.post(MERCHANTS_URL, merchant_body(**overrides))

    assert response.status_code == 400, response.json()
    data = response.json()
    assert set(data) == ERROR_KEYS
    assert code in data["error_codes"][field]
    assert User.objects.count() == users_before
    assert Merchant.objects.count() == merchants_before


@pytest.mark.parametrize("missing", ["username", "password", "email", "name"])
def test_merchant_signup_missing_fields(api, missing):
    body = merchant_body()
    del body[missing]

    response = api.post(MERCHANTS_URL, body)

    assert response.status_code == 400
    assert response.json()["error_codes"][missing] == ["required"]


def test_merchant_signup_taken_username_case_insensitive(api, merchant_a):
    users_before = User.objects.count()

    response = api.post(MERCHANTS_URL, merchant_body(username=merchant_a.owner.username.upper()))

    assert response.status_code == 400
    assert response.json()["error_codes"] == {"username": ["taken"]}
    assert User.objects.count() == users_before


def test_merchant_signup_cannot_create_an_admin_or_factory(api):
    response = api.post(MERCHANTS_URL, merchant_body())

    user = User.objects.get(pk=response.json()["owner"]["id"])
    assert (user.role, user.is_staff, user.is_superuser) == (Role.MERCHANT, False, False)


def test_merchant_signup_is_throttled_with_the_signup_scope(api, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"token": "1000/min", "signup": "1/min"})
    cache.clear()
    try:
        assert api.post(MERCHANTS_URL, merchant_body()).status_code == 201
        response = api.post(MERCHANTS_URL, merchant_body())
    finally:
        cache.clear()

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
