"""Factories API: sign-up, list scoping, verification, profile PATCH and the capacity calendar.

Every object endpoint is also called with the other tenant's token (factory Y on factory X), a
merchant's and none, and the test checks that nothing changed.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db.models import Sum
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.throttling import ScopedRateThrottle

from factories.models import CapacityDay, Factory, FactoryStatus
from marketplace.accounts.models import Role, User
from matching import services as matching
from orders.models import AllocationStatus, Stage
from orders.services import allocation_report_progress
from tests import model_factories as mf
from tests.conftest import client_for
from tests.outbox import run_outbox

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

LIST_URL = "/api/v1/factories/"
ERROR_KEYS = {"code", "message", "errors", "error_codes"}


def detail_url(factory: Factory | int) -> str:
    return f"/api/v1/factories/{getattr(factory, 'pk', factory)}/"


def verify_url(factory: Factory | int) -> str:
    return f"{detail_url(factory)}verify/"


def calendar_url(factory: Factory | int) -> str:
    return f"{detail_url(factory)}calendar/"


def today():
    return timezone.localdate()


def signup_body(**overrides):
    username = mf.unique("mill")
    body = {
        "username": username,
        "password": mf.PASSWORD,
        "email": f"{username}@example.com",
        "name": "Humen Knit Works",
        "region": "dongguan-humen",
        "categories": ["tshirt", "polo"],
        "processes": ["cutting", "sewing"],
        "fabrics": ["knit"],
        "sewing_operators": 12,
        "minutes_per_day": 480,
        "efficiency": "0.60",
        "min_order_qty": 100,
        "max_order_qty": 3000,
    }
    return body | overrides


def snapshot(factory: Factory) -> dict:
    """Everything a PATCH could change, to assert that a refused one changed nothing."""
    factory = Factory.objects.get(pk=factory.pk)
    return {
        "row": Factory.objects.filter(pk=factory.pk).values().get(),
        "categories": sorted(factory.categories.values_list("code", flat=True)),
        "processes": sorted(factory.processes.values_list("code", flat=True)),
        "fabrics": sorted(factory.fabrics.values_list("code", flat=True)),
    }


def calendar_rows(factory: Factory) -> list[tuple]:
    return list(
        CapacityDay.objects.filter(factory=factory)
        .order_by("day")
        .values_list("day", "capacity_minutes", "reserved_minutes", "is_override", "note")
    )


# --- sign-up ----------------------------------------------------------------------------------------


def test_signup_creates_a_pending_factory_with_its_owner(api):
    body = signup_body(price_per_minute="0.650", working_weekdays="654321")

    response = api.post(LIST_URL, body)

    assert response.status_code == 201, response.json()
    data = response.json()
    factory = Factory.objects.select_related("owner").get(pk=data["id"])
    assert factory.status == FactoryStatus.PENDING and factory.verified_at is None
    assert factory.owner.username == body["username"] and factory.owner.role == Role.FACTORY
    assert factory.owner.check_password(mf.PASSWORD)
    assert (factory.sewing_operators, factory.minutes_per_day, factory.efficiency) == (12, 480, Decimal("0.60"))
    assert factory.price_per_minute == Decimal("0.650")
    assert factory.working_weekdays == "123456"  # normalised
    assert data["status"] == "pending"
    assert data["region"] == "dongguan-humen"
    assert sorted(data["categories"]) == ["polo", "tshirt"]
    assert data["processes"] == ["cutting", "sewing"] and data["fabrics"] == ["knit"]
    assert data["daily_minutes"] == 3456  # 12 x 480 x 0.60
    assert data["efficiency"] == "0.60" and data["price_per_minute"] == "0.650"
    assert data["token"] == Token.objects.get(user=factory.owner).key
    assert "password" not in data


def test_signup_defaults_price_and_weekdays(api):
    data = api.post(LIST_URL, signup_body()).json()

    assert data["price_per_minute"] == "0.800"
    assert data["working_weekdays"] == "123456"


def test_signup_ignores_a_stale_token(api):
    api.credentials(HTTP_AUTHORIZATION="Token stale")

    assert api.post(LIST_URL, signup_body()).status_code == 201


def test_signed_up_factory_can_read_its_profile_but_receives_no_work_until_verified(api):
    data = api.post(LIST_URL, signup_body()).json()
    api.credentials(HTTP_AUTHORIZATION=f"Token {data['token']}")

    response = api.get(detail_url(data["id"]))

    assert response.status_code == 200
    assert response.json()["status"] == "pending"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"sewing_operators": 0}, "sewing_operators"),
        ({"sewing_operators": -3}, "sewing_operators"),
        ({"sewing_operators": 5001}, "sewing_operators"),
        ({"sewing_operators": "ten"}, "sewing_operators"),
        ({"sewing_operators": 2.5}, "sewing_operators"),
        ({"sewing_operators": None}, "sewing_operators"),
        ({"minutes_per_day": 0}, "minutes_per_day"),
        ({"minutes_per_day": 1441}, "minutes_per_day"),
        ({"efficiency": "0.04"}, "efficiency"),
        ({"efficiency": "1.01"}, "efficiency"),
        ({"efficiency": "0.555"}, "efficiency"),
        ({"efficiency": "NaN"}, "efficiency"),
        ({"efficiency": "lots"}, "efficiency"),
        ({"min_order_qty": 0}, "min_order_qty"),
        ({"min_order_qty": 500, "max_order_qty": 499}, "min_order_qty"),
        ({"max_order_qty": 100_001}, "max_order_qty"),
        ({"max_order_qty": 10**30}, "max_order_qty"),
        ({"price_per_minute": "-0.5"}, "price_per_minute"),
        ({"price_per_minute": "1000"}, "price_per_minute"),
        ({"working_weekdays": "8"}, "working_weekdays"),
        ({"working_weekdays": "112"}, "working_weekdays"),
        ({"working_weekdays": ""}, "working_weekdays"),
        ({"working_weekdays": "mon-fri"}, "working_weekdays"),
        ({"categories": []}, "categories"),
        ({"categories": ["tshirt", "spacesuit"]}, "categories"),
        ({"categories": "tshirt"}, "categories"),
        ({"categories": [{"code": "tshirt"}]}, "categories"),
        ({"processes": ["teleporting"]}, "processes"),
        ({"fabrics": ["unobtainium"]}, "fabrics"),
        ({"region": "atlantis"}, "region"),
        ({"region": None}, "region"),
        ({"name": ""}, "name"),
        ({"password": "12345"}, "password"),
        ({"email": "nope"}, "email"),
        ({"status": "active"}, "status"),
        ({"jobs_delivered": 999}, "jobs_delivered"),
    ],
)
def test_signup_rejects_bad_input_naming_the_field_and_writes_nothing(api, overrides, field):
    users_before, factories_before = User.objects.count(), Factory.objects.count()

    response = api.post(LIST_URL, signup_body(**overrides))

    assert response.status_code == 400, response.json()
    data = response.json()
    assert set(data) == ERROR_KEYS
    assert field in data["errors"], data
    assert (User.objects.count(), Factory.objects.count()) == (users_before, factories_before)


def test_unknown_codes_are_named_in_the_message(api):
    response = api.post(LIST_URL, signup_body(categories=["tshirt", "spacesuit", "moonboots"]))

    assert response.json()["errors"]["categories"] == ["Unknown code(s): spacesuit, moonboots."]
    assert response.json()["error_codes"]["categories"] == ["unknown_code"]


@pytest.mark.parametrize(
    "missing",
    [
        "username",
        "password",
        "email",
        "name",
        "region",
        "categories",
        "processes",
        "fabrics",
        "sewing_operators",
        "minutes_per_day",
        "efficiency",
        "min_order_qty",
        "max_order_qty",
    ],
)
def test_signup_missing_fields(api, missing):
    body = signup_body()
    del body[missing]

    response = api.post(LIST_URL, body)

    assert response.status_code == 400
    assert response.json()["error_codes"][missing] == ["required"]
    assert not User.objects.filter(username=body.get("username", "-")).exists()


def test_signup_with_a_taken_username_creates_nothing(api, factory_x):
    factories_before = Factory.objects.count()

    response = api.post(LIST_URL, signup_body(username=factory_x.owner.username))

    assert response.status_code == 400
    assert response.json()["error_codes"] == {"username": ["taken"]}
    assert Factory.objects.count() == factories_before


def test_signup_is_throttled_with_the_signup_scope(api, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"token": "1000/min", "signup": "1/min"})
    cache.clear()
    try:
        assert api.post(LIST_URL, signup_body()).status_code == 201
        throttled = api.post(LIST_URL, signup_body())
        listing_is_not_throttled = client_for(mf.make_admin()).get(LIST_URL)
    finally:
        cache.clear()

    assert throttled.status_code == 429 and throttled.json()["code"] == "throttled"
    assert listing_is_not_throttled.status_code == 200


def test_a_failed_signup_leaves_no_user_behind(api):
    body = signup_body(min_order_qty=5000, max_order_qty=10)

    assert api.post(LIST_URL, body).status_code == 400
    assert not User.objects.filter(username=body["username"]).exists()


# --- list ---------------------------------------------------------------------------------------------


def test_admin_lists_every_factory_and_filters(admin_user, factory_x, factory_y):
    pending = mf.make_factory(name="Pending P", active=False, region="ningbo")
    client = client_for(admin_user)

    everyone = client.get(LIST_URL).json()
    by_status = client.get(LIST_URL, {"status": "pending"}).json()
    by_region = client.get(LIST_URL, {"region": "ningbo"}).json()
    active_in_hangzhou = client.get(LIST_URL, {"status": "active", "region": "hangzhou"}).json()

    assert everyone["count"] == 3
    assert [f["id"] for f in everyone["results"]] == [factory_x.pk, factory_y.pk, pending.pk]
    assert [f["id"] for f in by_status["results"]] == [pending.pk]
    assert [f["id"] for f in by_region["results"]] == [pending.pk]
    assert [f["id"] for f in active_in_hangzhou["results"]] == [factory_x.pk, factory_y.pk]


def test_a_factory_lists_only_itself(factory_x, factory_y):
    data = client_for(factory_x.owner).get(LIST_URL).json()
    filtered = client_for(factory_x.owner).get(LIST_URL, {"status": "active", "region": "hangzhou"}).json()

    assert [f["id"] for f in data["results"]] == [factory_x.pk]
    assert [f["id"] for f in filtered["results"]] == [factory_x.pk]


def test_list_is_refused_to_merchants_and_anonymous(api, merchant_a, factory_x):
    merchant = client_for(merchant_a.owner).get(LIST_URL)
    anonymous = api.get(LIST_URL)

    assert merchant.status_code == 403 and set(merchant.json()) == ERROR_KEYS
    assert anonymous.status_code == 401


@pytest.mark.parametrize(("params", "field"), [({"status": "closed"}, "status"), ({"region": "atlantis"}, "region")])
def test_list_filters_are_validated(admin_user, params, field):
    response = client_for(admin_user).get(LIST_URL, params)

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_list_is_paginated(admin_user):
    for _ in range(3):
        mf.make_factory()

    data = client_for(admin_user).get(LIST_URL, {"page_size": 2}).json()
    last = client_for(admin_user).get(LIST_URL, {"page_size": 2, "page": 2}).json()

    assert data["count"] == 3 and len(data["results"]) == 2 and data["next"]
    assert len(last["results"]) == 1 and last["next"] is None


def test_list_query_count_does_not_grow_with_factories(admin_user, django_assert_max_num_queries):
    for _ in range(6):
        mf.make_factory()
    client = client_for(admin_user)

    # token+user, count, page, region/owner joined, 3 prefetches
    with django_assert_max_num_queries(8):
        response = client.get(LIST_URL)
    assert response.json()["count"] == 6


# --- verify -----------------------------------------------------------------------------------------


def test_admin_verifies_a_pending_factory_once(admin_user):
    factory = mf.make_factory(active=False)
    client = client_for(admin_user)

    first = client.post(verify_url(factory))
    second = client.post(verify_url(factory))

    assert first.status_code == 200
    assert first.json()["status"] == "active" and first.json()["verified_at"]
    factory.refresh_from_db()
    assert factory.status == FactoryStatus.ACTIVE and factory.verified_at is not None
    assert second.status_code == 409
    assert second.json()["code"] == "illegal_transition"


def test_only_admins_verify(api, merchant_a):
    factory = mf.make_factory(active=False)

    assert client_for(factory.owner).post(verify_url(factory)).status_code == 403
    assert client_for(merchant_a.owner).post(verify_url(factory)).status_code == 403
    assert api.post(verify_url(factory)).status_code == 401
    factory.refresh_from_db()
    assert factory.status == FactoryStatus.PENDING


@pytest.mark.parametrize("factory_id", [999_999, 2**63, 10**30])
def test_verify_unknown_factory_is_404(admin_user, factory_id):
    response = client_for(admin_user).post(verify_url(factory_id))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- detail and PATCH ------------------------------------------------------------------------------


def test_factory_and_admin_read_the_detail(factory_x, admin_user):
    own = client_for(factory_x.owner).get(detail_url(factory_x))
    admin = client_for(admin_user).get(detail_url(factory_x))

    assert own.status_code == admin.status_code == 200
    assert own.json() == admin.json()
    assert own.json()["id"] == factory_x.pk and own.json()["username"] == factory_x.owner.username
    assert own.json()["track_record"]["jobs_delivered"] == 0


def test_other_tenants_cannot_read_or_change_a_factory(api, factory_x, factory_y, merchant_a):
    before = snapshot(factory_x)
    change = {"name": "Hijacked", "status": "paused", "sewing_operators": 1}

    for client, expected in [
        (client_for(factory_y.owner), 404),
        (client_for(merchant_a.owner), 404),
        (api, 401),
    ]:
        assert client.get(detail_url(factory_x)).status_code == expected
        response = client.patch(detail_url(factory_x), change)
        assert response.status_code == expected
        assert set(response.json()) == ERROR_KEYS

    assert snapshot(factory_x) == before


def test_other_tenant_and_missing_factory_answer_the_same(factory_x, factory_y):
    client = client_for(factory_y.owner)

    assert client.get(detail_url(factory_x)).json() == client.get(detail_url(10**9)).json()


def test_factory_patches_profile_and_capabilities(factory_x):
    response = client_for(factory_x.owner).patch(
        detail_url(factory_x),
        {
            "name": "Factory X Knitwear",
            "region": "tongxiang-puyuan",
            "categories": ["sweater"],
            "fabrics": ["yarn"],
            "sewing_operators": 20,
            "efficiency": "0.70",
            "max_order_qty": 800,
            "price_per_minute": "1.200",
        },
    )

    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["name"] == "Factory X Knitwear" and data["region"] == "tongxiang-puyuan"
    assert data["categories"] == ["sweater"] and data["fabrics"] == ["yarn"]
    assert data["processes"] == ["cutting", "finishing", "sewing"]  # untouched
    assert data["daily_minutes"] == 6720  # 20 x 480 x 0.70
    factory_x.refresh_from_db()
    assert (factory_x.sewing_operators, factory_x.max_order_qty) == (20, 800)
    assert factory_x.price_per_minute == Decimal("1.200")


def test_admin_can_patch_any_factory(admin_user, factory_x):
    response = client_for(admin_user).patch(detail_url(factory_x), {"minutes_per_day": 600})

    assert response.status_code == 200
    factory_x.refresh_from_db()
    assert factory_x.minutes_per_day == 600


def test_capacity_change_recomputes_standard_days_ahead(factory_x):
    start = today() + timedelta(days=1)
    client = client_for(factory_x.owner)
    client.put(calendar_url(factory_x), {"days": [{"date": str(start), "capacity_minutes": 100}]})
    CapacityDay.objects.create(factory=factory_x, day=start + timedelta(days=1), capacity_minutes=2400)

    client.patch(detail_url(factory_x), {"sewing_operators": 5})
    run_outbox()  # matching recomputes the standard days after the change commits

    rows = dict(CapacityDay.objects.filter(factory=factory_x).values_list("day", "capacity_minutes"))
    assert rows == {start: 100, start + timedelta(days=1): 1200}  # override kept, standard day follows


def test_pause_and_resume(factory_x):
    client = client_for(factory_x.owner)

    paused = client.patch(detail_url(factory_x), {"status": "paused"})
    resumed = client.patch(detail_url(factory_x), {"status": "active"})

    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert resumed.status_code == 200 and resumed.json()["status"] == "active"


def test_pausing_withdraws_open_offers_and_releases_their_minutes(factory_x, merchant_a):
    order = mf.make_order(merchant_a)
    matching.order_match(order_id=order.pk)
    offer = order.allocations.get(factory=factory_x)
    assert CapacityDay.objects.filter(factory=factory_x).aggregate(m=Sum("reserved_minutes"))["m"] == 2000

    response = client_for(factory_x.owner).patch(detail_url(factory_x), {"status": "paused"})
    run_outbox()  # matching re-routes after the pause commits

    assert response.status_code == 200
    offer.refresh_from_db()
    assert offer.status == AllocationStatus.WITHDRAWN
    assert CapacityDay.objects.filter(factory=factory_x).aggregate(m=Sum("reserved_minutes"))["m"] == 0


def test_a_factory_cannot_verify_itself_through_patch():
    factory = mf.make_factory(active=False)

    response = client_for(factory.owner).patch(detail_url(factory), {"status": "active"})

    assert response.status_code == 409
    assert response.json()["error_codes"] == {"status": ["illegal_transition"]}
    factory.refresh_from_db()
    assert factory.status == FactoryStatus.PENDING and factory.verified_at is None


def test_patch_refuses_illegal_status_moves_and_changes_nothing_else(factory_x):
    before = snapshot(factory_x)

    response = client_for(factory_x.owner).patch(detail_url(factory_x), {"status": "pending", "name": "Renamed"})

    assert response.status_code == 409
    assert snapshot(factory_x) == before


def test_patch_checks_min_against_the_stored_max(factory_x):
    before = snapshot(factory_x)

    response = client_for(factory_x.owner).patch(detail_url(factory_x), {"min_order_qty": 6000})

    assert response.status_code == 400
    assert response.json()["error_codes"] == {"min_order_qty": ["min_above_max"]}
    assert snapshot(factory_x) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sewing_operators": 0}, "sewing_operators"),
        ({"minutes_per_day": 2000}, "minutes_per_day"),
        ({"efficiency": 0}, "efficiency"),
        ({"max_order_qty": -1}, "max_order_qty"),
        ({"categories": []}, "categories"),
        ({"categories": ["tshirt", "bogus"]}, "categories"),
        ({"region": "nowhere"}, "region"),
        ({"status": "closed"}, "status"),
        ({"working_weekdays": "0"}, "working_weekdays"),
        ({"jobs_delivered": 1000}, "jobs_delivered"),
        ({"owner": 1}, "owner"),
        ({"name": "ok", "sewing_operators": "many"}, "sewing_operators"),
    ],
)
def test_patch_rejects_bad_input_and_changes_nothing(factory_x, body, field):
    before = snapshot(factory_x)

    response = client_for(factory_x.owner).patch(detail_url(factory_x), body)

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert snapshot(factory_x) == before


# --- calendar -------------------------------------------------------------------------------------------


def test_calendar_defaults_to_four_weeks_of_standard_days(factory_x):
    response = client_for(factory_x.owner).get(calendar_url(factory_x))

    assert response.status_code == 200
    data = response.json()
    assert data["factory_id"] == factory_x.pk
    assert data["from"] == str(today()) and data["to"] == str(today() + timedelta(days=27))
    assert len(data["days"]) == 28
    assert data["days"][0] == {
        "date": str(today()),
        "capacity_minutes": 2400,
        "reserved_minutes": 0,
        "free_minutes": 2400,
        "is_override": False,
        "note": "",
    }
    assert CapacityDay.objects.filter(factory=factory_x).count() == 0  # reading materialises nothing


def test_calendar_follows_working_weekdays():
    factory = mf.make_factory(weekdays="12345")
    monday = today() + timedelta(days=7 - today().weekday())

    days = (
        client_for(factory.owner)
        .get(calendar_url(factory), {"from": str(monday), "to": str(monday + timedelta(days=6))})
        .json()["days"]
    )

    assert [d["capacity_minutes"] for d in days] == [2400] * 5 + [0, 0]


def test_calendar_shows_bookings_and_overrides(factory_x, merchant_a):
    order = mf.make_order(merchant_a)
    matching.order_match(order_id=order.pk)
    booked = dict(
        CapacityDay.objects.filter(factory=factory_x, reserved_minutes__gt=0).values_list("day", "reserved_minutes")
    )
    holiday = max(booked) + timedelta(days=3)
    client = client_for(factory_x.owner)
    client.put(calendar_url(factory_x), {"days": [{"date": str(holiday), "capacity_minutes": 0, "note": "Holiday"}]})

    days = client.get(calendar_url(factory_x), {"from": str(today()), "to": str(holiday)}).json()["days"]

    by_date = {d["date"]: d for d in days}
    for day, minutes in booked.items():
        assert by_date[str(day)]["reserved_minutes"] == minutes
        assert by_date[str(day)]["free_minutes"] == 2400 - minutes
    assert by_date[str(holiday)] == {
        "date": str(holiday),
        "capacity_minutes": 0,
        "reserved_minutes": 0,
        "free_minutes": 0,
        "is_override": True,
        "note": "Holiday",
    }
    assert sum(d["reserved_minutes"] for d in days) == 2000


def test_calendar_range_rules(factory_x):
    client = client_for(factory_x.owner)
    start = today()

    only_from = client.get(calendar_url(factory_x), {"from": str(start + timedelta(days=10))}).json()
    longest = client.get(calendar_url(factory_x), {"from": str(start), "to": str(start + timedelta(days=365))})
    too_long = client.get(calendar_url(factory_x), {"from": str(start), "to": str(start + timedelta(days=366))})
    backwards = client.get(calendar_url(factory_x), {"from": str(start + timedelta(days=1)), "to": str(start)})
    bad_date = client.get(calendar_url(factory_x), {"from": "2024-13-01"})
    year_9999 = client.get(calendar_url(factory_x), {"from": "9999-12-31"})
    year_1 = client.get(calendar_url(factory_x), {"to": "0001-01-02"})

    assert len(only_from["days"]) == 28 and only_from["from"] == str(start + timedelta(days=10))
    assert longest.status_code == 200 and len(longest.json()["days"]) == 366
    assert too_long.status_code == 400 and "to" in too_long.json()["errors"]
    assert backwards.status_code == 400 and "from" in backwards.json()["errors"]
    assert bad_date.status_code == 400 and "from" in bad_date.json()["errors"]
    assert year_9999.status_code == 400 and year_9999.json()["error_codes"] == {"from": ["out_of_range"]}
    assert year_1.status_code == 400 and "to" in year_1.json()["errors"]


def test_calendar_only_to_given_answers_the_four_weeks_before_it(factory_x):
    end = today() + timedelta(days=40)

    data = client_for(factory_x.owner).get(calendar_url(factory_x), {"to": str(end)}).json()

    assert (data["from"], data["to"], len(data["days"])) == (str(end - timedelta(days=27)), str(end), 28)


def test_calendar_put_overrides_days_and_answers_the_range(factory_x):
    d1, d3 = today() + timedelta(days=1), today() + timedelta(days=3)

    response = client_for(factory_x.owner).put(
        calendar_url(factory_x),
        {
            "days": [
                {"date": str(d3), "capacity_minutes": 3600, "note": "Overtime"},
                {"date": str(d1), "capacity_minutes": 0, "note": "Holiday"},
            ]
        },
    )

    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["from"], data["to"]) == (str(d1), str(d3))
    assert [(d["capacity_minutes"], d["is_override"]) for d in data["days"]] == [(0, True), (2400, False), (3600, True)]
    assert calendar_rows(factory_x) == [(d1, 0, 0, True, "Holiday"), (d3, 3600, 0, True, "Overtime")]


def test_admin_can_override_a_factory_calendar(admin_user, factory_x):
    day = today() + timedelta(days=2)

    response = client_for(admin_user).put(
        calendar_url(factory_x), {"days": [{"date": str(day), "capacity_minutes": 10}]}
    )

    assert response.status_code == 200
    assert calendar_rows(factory_x) == [(day, 10, 0, True, "")]


def test_calendar_put_with_a_past_date_changes_nothing(factory_x):
    response = client_for(factory_x.owner).put(
        calendar_url(factory_x),
        {
            "days": [
                {"date": str(today() + timedelta(days=2)), "capacity_minutes": 0},
                {"date": str(today() - timedelta(days=1)), "capacity_minutes": 0},
            ]
        },
    )

    assert response.status_code == 400
    assert response.json()["error_codes"] == {"days": ["past_date"]}
    assert calendar_rows(factory_x) == []


def test_lowering_a_day_below_an_offer_reroutes_it(factory_x, merchant_a):
    order = mf.make_order(merchant_a)
    matching.order_match(order_id=order.pk)
    offer = order.allocations.get(factory=factory_x)
    day = CapacityDay.objects.filter(factory=factory_x, reserved_minutes__gt=0).earliest("day").day

    response = client_for(factory_x.owner).put(
        calendar_url(factory_x), {"days": [{"date": str(day), "capacity_minutes": 0}]}
    )

    assert response.status_code == 200
    assert response.json()["days"] == [
        {
            "date": str(day),
            "capacity_minutes": 0,
            "reserved_minutes": 0,
            "free_minutes": 0,
            "is_override": True,
            "note": "",
        }
    ]
    offer.refresh_from_db()
    assert offer.status == AllocationStatus.WITHDRAWN


def test_capacity_below_work_in_production_is_409_and_no_day_changes(factory_x, merchant_a):
    order = mf.make_order(merchant_a)
    matching.order_match(order_id=order.pk)
    allocation = order.allocations.get(factory=factory_x)
    matching.offer_accept(allocation_id=allocation.pk, factory=factory_x)
    allocation_report_progress(allocation_id=allocation.pk, factory=factory_x, stage=Stage.CUT, quantity=10)
    booked_day = CapacityDay.objects.filter(factory=factory_x, reserved_minutes__gt=0).earliest("day").day
    free_day = booked_day - timedelta(days=1) if booked_day > today() else booked_day + timedelta(days=20)
    before = calendar_rows(factory_x)

    response = client_for(factory_x.owner).put(
        calendar_url(factory_x),
        {"days": [{"date": str(free_day), "capacity_minutes": 50}, {"date": str(booked_day), "capacity_minutes": 0}]},
    )

    assert response.status_code == 409
    assert response.json()["error_codes"] == {"capacity_minutes": ["below_committed"]}
    assert calendar_rows(factory_x) == before
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.IN_PRODUCTION


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "days"),
        ({"days": []}, "days"),
        ({"days": "tomorrow"}, "days"),
        ({"days": [{"date": "+1", "capacity_minutes": 0}]}, "days"),
        ({"days": [{"date": "__D__", "capacity_minutes": -1}]}, "days"),
        ({"days": [{"date": "__D__", "capacity_minutes": 5000 * 1440 + 1}]}, "days"),
        ({"days": [{"date": "__D__", "capacity_minutes": "lots"}]}, "days"),
        ({"days": [{"date": "__D__"}]}, "days"),
        ({"days": [{"date": "__D__", "capacity_minutes": 1, "note": "n" * 201}]}, "days"),
        ({"days": [{"date": "__D__", "capacity_minutes": 1, "reserved_minutes": 0}]}, "days"),
        ({"days": [{"date": "__D__", "capacity_minutes": 1}, {"date": "__D__", "capacity_minutes": 2}]}, "days"),
        ({"days": [{"date": "__D__", "capacity_minutes": 1}], "extra": 1}, "extra"),
        ({"days": [{"date": "__FAR__", "capacity_minutes": 1}]}, "days"),
    ],
)
def test_calendar_put_rejects_bad_input(factory_x, body, field):
    day = str(today() + timedelta(days=1))
    for entry in body.get("days", []) if isinstance(body.get("days"), list) else []:
        if entry.get("date") == "__D__":
            entry["date"] = day
        elif entry.get("date") == "__FAR__":
            entry["date"] = str(today() + timedelta(days=366))

    response = client_for(factory_x.owner).put(calendar_url(factory_x), body)

    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert calendar_rows(factory_x) == []


def test_other_tenants_cannot_read_or_change_a_calendar(api, factory_x, factory_y, merchant_a):
    day = today() + timedelta(days=1)
    client_for(factory_x.owner).put(calendar_url(factory_x), {"days": [{"date": str(day), "capacity_minutes": 1000}]})
    before = calendar_rows(factory_x)
    change = {"days": [{"date": str(day), "capacity_minutes": 0}]}

    for client, expected in [
        (client_for(factory_y.owner), 404),
        (client_for(merchant_a.owner), 404),
        (api, 401),
    ]:
        assert client.get(calendar_url(factory_x)).status_code == expected
        assert client.put(calendar_url(factory_x), change).status_code == expected

    assert calendar_rows(factory_x) == before
    assert calendar_rows(factory_y) == []
