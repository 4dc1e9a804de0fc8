"""The public catalog, the OpenAPI schema and docs, /healthz, and the Django admin for accounts and factories."""

from __future__ import annotations

import re

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from factories import catalog_data
from factories.models import CapacityDay, Factory, FactoryStatus
from marketplace.accounts.models import Role, User
from tests import model_factories as mf
from tests.conftest import client_for
from tests.outbox import run_outbox

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

MY_PATHS = [
    "/api/v1/auth/token/",
    "/api/v1/auth/logout/",
    "/api/v1/auth/me/",
    "/api/v1/merchants/",
    "/api/v1/factories/",
    "/api/v1/factories/{factory_id}/",
    "/api/v1/factories/{factory_id}/verify/",
    "/api/v1/factories/{factory_id}/calendar/",
    "/api/v1/catalog/",
]


# --- catalog ---------------------------------------------------------------------------------------


def test_catalog_is_public_and_lists_every_code(api):
    response = api.get("/api/v1/catalog/")

    assert response.status_code == 200
    data = response.json()
    assert [c["code"] for c in data["categories"]] == sorted(code for code, *_ in catalog_data.CATEGORIES)
    assert [p["code"] for p in data["processes"]] == sorted(code for code, *_ in catalog_data.PROCESSES)
    assert [f["code"] for f in data["fabrics"]] == sorted(code for code, *_ in catalog_data.FABRICS)
    assert [r["code"] for r in data["regions"]] == sorted(code for code, *_ in catalog_data.REGIONS)
    assert {"code": "tshirt", "name": "T-shirt", "default_sam": "10.00"} in data["categories"]
    assert {"code": "washing", "name": "Garment washing", "added_minutes": "3.00", "added_days": 2} in data["processes"]
    assert {"code": "denim", "name": "Denim", "lead_days": 3} in data["fabrics"]
    assert {"code": "dongguan-humen", "name": "Humen, Dongguan", "province": "Guangdong"} in data["regions"]


def test_catalog_answers_signed_in_users_too(merchant_a, django_assert_max_num_queries):
    client = client_for(merchant_a.owner)

    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/catalog/")

    assert response.status_code == 200


def test_catalog_is_read_only(api):
    assert api.post("/api/v1/catalog/", {"categories": []}).status_code == 405


# --- schema and docs -----------------------------------------------------------------------------------


def test_schema_endpoint_includes_every_accounts_and_factories_path(api):
    response = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in MY_PATHS:
        assert path in paths, path
    assert set(paths["/api/v1/factories/{factory_id}/calendar/"]) >= {"get", "put"}
    assert set(paths["/api/v1/factories/{factory_id}/"]) >= {"get", "patch"}


def test_schema_for_accounts_and_factories_is_valid_and_generated_without_warnings():
    GENERATOR_STATS.reset()
    GENERATOR_STATS.enable_trace_lineno()
    try:
        schema = SchemaGenerator().get_schema(request=None, public=True)
        messages = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    finally:
        GENERATOR_STATS.reset()

    validate_schema(schema)
    mine = [m for m in messages if re.search(r"(factories|accounts)/(apis|serializers)\.py", m)]
    assert mine == []
    calendar = schema["paths"]["/api/v1/factories/{factory_id}/calendar/"]["get"]
    assert {p["name"] for p in calendar["parameters"]} == {"factory_id", "from", "to"}
    listing = schema["paths"]["/api/v1/factories/"]["get"]["responses"]["200"]
    assert listing["content"]["application/json"]["schema"]["$ref"].endswith("PaginatedFactoryOutputList")


def test_docs_page_renders(api):
    response = api.get("/api/v1/docs/")

    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


# --- health --------------------------------------------------------------------------------------------


def test_healthz_reports_database_and_broker_ok(api):
    response = api.get("/healthz")

    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "ok"
    assert data["checks"]["database"]["ok"] is True and data["checks"]["database"]["vendor"] == "postgresql"
    assert data["checks"]["broker"]["ok"] is True and data["checks"]["broker"]["transport"] == "redis"


# --- Django admin --------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize(
    "model",
    [
        "accounts/user",
        "accounts/merchant",
        "factories/region",
        "factories/category",
        "factories/process",
        "factories/fabric",
        "factories/factory",
        "factories/capacityday",
    ],
)
def test_admin_changelists_render(admin_client, merchant_a, factory_x, model):
    CapacityDay.objects.create(factory=factory_x, day=mf.due_in(1), capacity_minutes=2400)

    assert admin_client.get(f"/admin/{model}/").status_code == 200
    assert admin_client.get(f"/admin/{model}/", {"q": "x"}).status_code == 200


def test_factory_admin_filters_and_searches(admin_client, factory_x, factory_y):
    pending = mf.make_factory(name="Pending Mill", active=False, region="ningbo")

    by_status = admin_client.get("/admin/factories/factory/", {"status__exact": "pending"})
    by_region = admin_client.get("/admin/factories/factory/", {"region__code__exact": "ningbo"})
    by_username = admin_client.get("/admin/factories/factory/", {"q": pending.owner.username})

    for response in (by_status, by_region, by_username):
        assert response.status_code == 200
        assert list(response.context["cl"].queryset) == [pending]


def test_capacity_day_admin_filters_by_factory_and_is_read_only(admin_client, factory_x, factory_y):
    row = CapacityDay.objects.create(factory=factory_x, day=mf.due_in(1), capacity_minutes=2400)
    CapacityDay.objects.create(factory=factory_y, day=mf.due_in(1), capacity_minutes=2400)

    listing = admin_client.get("/admin/factories/capacityday/", {"factory__id__exact": factory_x.pk})
    change = admin_client.post(f"/admin/factories/capacityday/{row.pk}/change/", {"capacity_minutes": 1})

    assert list(listing.context["cl"].queryset) == [row]
    assert listing.context["cl"].date_hierarchy == "day"
    assert change.status_code == 403
    row.refresh_from_db()
    assert row.capacity_minutes == 2400


def test_admin_action_verifies_pending_factories_and_skips_the_rest(admin_client, factory_x):
    first, second = mf.make_factory(active=False), mf.make_factory(active=False)

    response = admin_client.post(
        "/admin/factories/factory/",
        {"action": "verify_selected", "_selected_action": [first.pk, second.pk, factory_x.pk]},
        follow=True,
    )

    assert response.status_code == 200
    statuses = dict(Factory.objects.values_list("pk", "status"))
    assert statuses == {first.pk: "active", second.pk: "active", factory_x.pk: "active"}
    assert Factory.objects.get(pk=first.pk).verified_at is not None
    messages = [str(m) for m in response.context["messages"]]
    assert "Verified 2 factories." in messages
    assert f"Skipped (not pending): {factory_x.name}." in messages


def test_factory_admin_edits_go_through_factory_update(admin_client, factory_x):
    tomorrow = mf.due_in(1)
    CapacityDay.objects.create(factory=factory_x, day=tomorrow, capacity_minutes=2400)
    form = {
        "name": "X renamed",
        "region": "hangzhou",
        "categories": ["tshirt"],
        "processes": ["sewing"],
        "fabrics": ["knit"],
        "min_order_qty": 50,
        "max_order_qty": 5000,
        "sewing_operators": 20,
        "minutes_per_day": 480,
        "efficiency": "0.50",
        "working_weekdays": "1234567",
        "price_per_minute": "0.800",
    }

    response = admin_client.post(f"/admin/factories/factory/{factory_x.pk}/change/", form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    factory_x.refresh_from_db()
    assert (factory_x.name, factory_x.sewing_operators, factory_x.status) == ("X renamed", 20, FactoryStatus.ACTIVE)
    assert list(factory_x.categories.values_list("code", flat=True)) == ["tshirt"]
    # The standard day ahead follows the new line size: `factory_update` records the change, and
    # matching recomputes the day once it has committed.
    run_outbox()
    assert CapacityDay.objects.get(factory=factory_x, day=tomorrow).capacity_minutes == 4800


def test_factory_admin_refuses_min_above_max(admin_client, factory_x):
    form = {
        "name": factory_x.name,
        "region": "hangzhou",
        "categories": ["tshirt"],
        "processes": ["sewing"],
        "fabrics": ["knit"],
        "min_order_qty": 900,
        "max_order_qty": 100,
        "sewing_operators": 10,
        "minutes_per_day": 480,
        "efficiency": "0.50",
        "working_weekdays": "1234567",
        "price_per_minute": "0.800",
    }

    response = admin_client.post(f"/admin/factories/factory/{factory_x.pk}/change/", form)

    assert response.status_code == 200
    assert "min_order_qty" in response.context["adminform"].form.errors
    factory_x.refresh_from_db()
    assert factory_x.min_order_qty == 50


def test_factories_cannot_be_added_in_the_admin(admin_client):
    assert admin_client.get("/admin/factories/factory/add/").status_code == 403


def test_user_admin_shows_and_sets_the_role(admin_client, merchant_a):
    change_page = admin_client.get(f"/admin/accounts/user/{merchant_a.owner.pk}/change/")
    add = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "ops-anna",
            "email": "anna@example.com",
            "role": "admin",
            "password1": mf.PASSWORD,
            "password2": mf.PASSWORD,
            "usable_password": "true",
        },
    )
    by_role = admin_client.get("/admin/accounts/user/", {"role__exact": "factory"})

    assert change_page.status_code == 200 and b'name="role"' in change_page.content
    assert add.status_code == 302, add.context["adminform"].form.errors
    assert User.objects.get(username="ops-anna").role == Role.ADMIN
    assert by_role.status_code == 200
    assert all(u.role == Role.FACTORY for u in by_role.context["cl"].queryset)
