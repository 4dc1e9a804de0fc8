"""The permission matrix: every REST operation under /api/v1/ x every kind of caller (issue 4).

One table, one row per operation of the OpenAPI schema (plus a few variant rows that aim one tenant's
id at another tenant's path), one column per persona: anonymous, merchants A and B, factories X and Y,
a platform admin, and a floor device key of X and of Y. For each cell the class of answer is asserted:

* ``OK``: the owner or an admin is let through: a 2xx answer (the world is built so that the request
  is valid and the object is in a state that allows it);
* ``401``: no credentials this endpoint accepts (anonymous; a device key outside the floor endpoints;
  a user token on the device-only ingest endpoint);
* ``403``: a wrong role on a role-gated endpoint (a factory posting an order, a merchant reading offers);
* ``404``: another tenant's object, indistinguishable from a missing one;
* ``REJECTED``: the floor ingest took the batch from another factory's device but refused every event
  (each event names an allocation that is not the device's factory's): a 207 that writes nothing.

Never a 500. A refused cell (anything but OK) must change nothing: every row of every table of the
project's apps (orders, allocations, capacity days, reservations, factories, device keys, floor events,
tokens...) is snapshotted before and after and compared. An outsider (anonymous, merchant B, factory Y,
Y's device) that *is* let through, for example to write its own lines, must not change a row that
belongs to merchant A or factory X, and its answer must not carry any of their names.

The world is built once for the module inside a transaction that is rolled back at the end; each cell
runs in a savepoint of it (pytest-django's per-test atomic), so the cells cannot see each other's writes.
``test_every_schema_operation_has_a_row`` fails when an operation is added without a row here.

The variant rows "X declined, Z makes it" found a leak (fixed in `floor.selectors.allocation_get` and
`floor.services.materials`): a factory's declined offer still opened the order's floor, so it could rewrite
the bulletin and the material requirements of an order another factory makes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models, transaction
from django.test import override_settings
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from attachments.services import attachment_upload
from contracts.services import purchase_order_issue
from factories.models import Factory
from floor import services as floor_services
from floor.models import DeviceKey
from marketplace.accounts.models import Merchant, User
from matching import services as matching_services
from matching.services import DayChange, calendar_update, order_cancel
from matching.tasks import match_order
from notifications.services import notify, push_subscription_save
from orders import services as order_services
from orders.models import Allocation, AllocationStatus, Order, OrderStatus, Stage
from tests import model_factories as mf
from tests.attachments.helpers import image_bytes, pdf_bytes
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import webhook_endpoint_create

pytestmark = pytest.mark.django_db

API = "/api/v1"

# --- personas and expectations -------------------------------------------------------------------

PERSONAS = ("anonymous", "merchant_a", "merchant_b", "factory_x", "factory_y", "admin", "device_x", "device_y")
# Callers who own nothing of merchant A's or factory X's: whatever they may do, A's and X's rows stay
# as they were and A's and X's names never appear in what they are told.
OUTSIDERS = frozenset({"anonymous", "merchant_b", "factory_y", "device_y"})

OK = "2xx"
REJECTED = "207-all-rejected"
Expect = int | str


def cells(
    *,
    merchant_a: Expect,
    merchant_b: Expect,
    factory_x: Expect,
    factory_y: Expect,
    admin: Expect,
    anonymous: Expect = 401,
    device_x: Expect = 401,
    device_y: Expect = 401,
) -> dict[str, Expect]:
    """One row's answers. Anonymous callers and device keys default to 401: a device key is accepted
    only by the floor endpoints that say so; everything else must be spelled out per row."""
    return {
        "anonymous": anonymous,
        "merchant_a": merchant_a,
        "merchant_b": merchant_b,
        "factory_x": factory_x,
        "factory_y": factory_y,
        "admin": admin,
        "device_x": device_x,
        "device_y": device_y,
    }


def public() -> dict[str, Expect]:
    """Sign-ups, token, catalog, schema, docs: anyone, with or without credentials."""
    return cells(
        anonymous=OK, merchant_a=OK, merchant_b=OK, factory_x=OK, factory_y=OK, admin=OK, device_x=OK, device_y=OK
    )


def any_account() -> dict[str, Expect]:
    """Any signed-in account acting on itself."""
    return cells(merchant_a=OK, merchant_b=OK, factory_x=OK, factory_y=OK, admin=OK)


def factory_x_object() -> dict[str, Expect]:
    """/factories/{X}/...: factory X and admins; anyone else's factory lookup finds nothing (404)."""
    return cells(merchant_a=404, merchant_b=404, factory_x=OK, factory_y=404, admin=OK)


def merchant_a_order(*, admin: Expect, factories: Expect) -> dict[str, Expect]:
    """/orders/{A's order}/...: merchant A; merchant B finds nothing; factories and admins per row."""
    return cells(merchant_a=OK, merchant_b=404, factory_x=factories, factory_y=factories, admin=admin)


def factory_x_allocation() -> dict[str, Expect]:
    """/allocations/{X's}/..., /offers/{X's}/...: factory X; Y finds nothing; merchants and admins are
    the wrong role (403)."""
    return cells(merchant_a=403, merchant_b=403, factory_x=OK, factory_y=404, admin=403)


def share_parties() -> dict[str, Expect]:
    """/allocations/{X's share of A's order}/purchase-order...: both parties and admins; B and Y find nothing."""
    return cells(merchant_a=OK, merchant_b=404, factory_x=OK, factory_y=404, admin=OK)


def nobody() -> dict[str, Expect]:
    """Nothing there for anyone (e.g. the purchase order of a share not yet confirmed)."""
    return cells(merchant_a=404, merchant_b=404, factory_x=404, factory_y=404, admin=404)


def merchant_a_allocation() -> dict[str, Expect]:
    """/allocations/{X's share of A's order}/counter|sample/...: merchant A answers; merchant B finds nothing;
    factories and admins are the wrong role (403)."""
    return cells(merchant_a=OK, merchant_b=404, factory_x=403, factory_y=403, admin=403)


def deal_parties() -> dict[str, Expect]:
    """Reads of a share's deal (counter, sample): its order's merchant, its factory and admins; others 404."""
    return cells(merchant_a=OK, merchant_b=404, factory_x=OK, factory_y=404, admin=OK)


def floor_collection() -> dict[str, Expect]:
    """/floor/... of "my factory": each factory its own, an admin the one named by ?factory=, merchants 403."""
    return cells(merchant_a=403, merchant_b=403, factory_x=OK, factory_y=OK, admin=OK)


def floor_x_allocation() -> dict[str, Expect]:
    """/floor/allocations/{X's}/...: factory X and admins (?factory=X); Y finds nothing; merchants 403."""
    return cells(merchant_a=403, merchant_b=403, factory_x=OK, factory_y=404, admin=OK)


def floor_declined_allocation() -> dict[str, Expect]:
    """/floor/allocations/{X's declined share}/...: the order is made by another factory now, so its floor
    (bulletin, materials, progress) is nobody's business at X, nor an admin's acting for X."""
    return cells(merchant_a=403, merchant_b=403, factory_x=404, factory_y=404, admin=404)


# --- the world -----------------------------------------------------------------------------------


@dataclass
class World:
    """Ids of what the cells aim at; every row is rolled back at the end of the module."""

    mark: str  # in every name of merchant A's and factory X's: must never reach an outsider
    headers: dict[str, dict[str, str]]
    usernames: dict[str, str]
    merchant_a: int
    factory_x: int
    factory_y: int
    factory_pending: int
    order_offered: int
    order_confirmed: int
    order_production: int
    order_shipped: int
    order_delivered: int
    order_unmatched: int
    allocation_offered: int
    allocation_confirmed: int
    allocation_production: int
    allocation_declined: int
    key_x: int
    key_y: int
    risk: int
    operation: int
    operation_code: str
    bulletin: list[dict[str, str]]  # the production order's operations, as a bulletin PUT sends them
    today: date
    notification_a: int = 0  # one of merchant A's inbox
    webhook_endpoint: int = 0  # merchant A's webhook endpoint
    webhook_delivery: int = 0  # its delivery of the notification above
    push_endpoint_a: str = ""  # merchant A's phone, subscribed to Web Push
    attachment: int = 0  # merchant A's tech pack on the production order, shared with its factories
    allocation_countered: int = 0  # X's offer with a counter waiting for merchant A
    allocation_sampling: int = 0  # X's share making its sample
    allocation_sample_shipped: int = 0  # X's share whose sample waits for merchant A's judgement
    owned: dict[str, set[Any]] = field(default_factory=dict)


# A browser's push subscription keys (a P-256 point and a 16-byte secret, base64url).
PUSH_P256DH = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM"
PUSH_AUTH = "tBHItJI5svbpez7KI4CCXg"


def _offer_of(order: Order, factory: Factory) -> Allocation:
    match_order(order.pk, "test")
    offer = order.allocations.get(status=AllocationStatus.OFFERED)
    assert offer.factory_id == factory.pk, offer.factory
    return offer


def build_world() -> World:
    mark = f"zq{uuid.uuid4().hex[:10]}"
    today = timezone.localdate()
    shop_a = mf.make_merchant(name=f"Shop A {mark}")
    shop_b = mf.make_merchant(name="Shop B")
    # Only X can make t-shirts in knit, so every order of A's goes to X; Y makes denim jeans.
    x = mf.make_factory(name=f"Factory X {mark}")
    y = mf.make_factory(name="Factory Y", categories=("jeans",), fabrics=("denim",))
    pending = mf.make_factory(name="Factory P", active=False)
    # A third party: makes dresses, dearer than X, so it gets the dress order X declines.
    z = mf.make_factory(name="Factory Z", categories=("dress",), price_per_minute="2.000")
    admin = mf.make_admin()

    def a_order(**kwargs: Any) -> Order:
        order = mf.make_order(shop_a, **kwargs)
        Order.objects.filter(pk=order.pk).update(title=f"A order {order.pk} {mark}")
        return order

    offered = a_order()
    allocation_offered = _offer_of(offered, x)

    confirmed = a_order()
    allocation_confirmed = _offer_of(confirmed, x)
    matching_services.offer_accept(allocation_id=allocation_confirmed.pk, factory=x)
    # Its purchase order, as the outbox's handler would issue it after the commit.
    purchase_order_issue(allocation=Allocation.objects.get(pk=allocation_confirmed.pk))

    production = a_order()
    allocation_production = _offer_of(production, x)
    matching_services.offer_accept(allocation_id=allocation_production.pk, factory=x)
    order_services.allocation_report_progress(
        allocation_id=allocation_production.pk, factory=x, stage=Stage.CUT, quantity=20
    )

    shipped = a_order()
    allocation_shipped = _offer_of(shipped, x)
    matching_services.offer_accept(allocation_id=allocation_shipped.pk, factory=x)
    order_services.allocation_ship(allocation_id=allocation_shipped.pk, factory=x, carrier="SF", tracking="SF1")

    delivered = a_order()
    allocation_delivered = _offer_of(delivered, x)
    matching_services.offer_accept(allocation_id=allocation_delivered.pk, factory=x)
    order_services.allocation_ship(allocation_id=allocation_delivered.pk, factory=x, carrier="SF", tracking="SF2")
    order_services.order_receive(order_id=delivered.pk)

    # X declined this one; Z makes it. X's declined share must not open the order's floor to X.
    declined = a_order(category="dress", fabric="woven")
    allocation_declined = _offer_of(declined, x)
    matching_services.offer_decline(allocation_id=allocation_declined.pk, factory=x, reason="line full")
    matching_services.offer_accept(allocation_id=_offer_of(declined, z).pk, factory=z)

    # The deal: a counter waiting for A; a sample being made; a sample shipped to A.
    allocation_countered = _offer_of(a_order(), x)
    matching_services.counter_make(
        allocation_id=allocation_countered.pk, factory=x, terms=matching_services.CounterTerms(unit_price=Decimal("27"))
    )
    sampled = [a_order() for _ in range(2)]
    Order.objects.filter(pk__in=[o.pk for o in sampled]).update(sample_required=True)
    allocation_sampling, allocation_sample_shipped = (_offer_of(o, x) for o in sampled)
    for allocation in (allocation_sampling, allocation_sample_shipped):
        matching_services.offer_accept(allocation_id=allocation.pk, factory=x)
    matching_services.sample_ship(allocation_id=allocation_sample_shipped.pk, factory=x, carrier="SF", tracking="S1")

    unmatched = a_order(category="polo")  # nobody makes polos
    match_order(unmatched.pk, "test")
    mf.make_order(shop_b)  # B's own order, never shown to A

    # Calendar: X has a holiday; the floor: lines, workers, material, a scan and a deadline risk.
    calendar_update(factory=x, changes=[DayChange(day=today + timedelta(days=25), capacity_minutes=0, note=mark)])
    floor_services.line_upsert(factory=x, code="XL1", name=f"X line {mark}")
    floor_services.workers_upsert(
        factory=x, workers=[floor_services.WorkerInput(badge="XB1", name=f"X worker {mark}", line="XL1")]
    )
    floor_services.line_upsert(factory=y, code="YL1", name="Y line")
    floor_services.workers_upsert(
        factory=y, workers=[floor_services.WorkerInput(badge="YB1", name="Y worker", line="YL1")]
    )
    floor_services.material_requirement_set(
        factory=x, allocation_id=allocation_production.pk, code="jersey", name="Jersey", per_piece=Decimal("1")
    )
    floor_services.material_receipt_record(
        factory=x, allocation_id=allocation_production.pk, code="jersey", quantity=Decimal("1000")
    )
    operations = list(floor_services.bulletin_for_order(production).operations.order_by("sequence"))
    at = (timezone.now() - timedelta(minutes=10)).isoformat()
    result = floor_services.floor_events_ingest(
        factory=x,
        events=[
            {"event_id": f"world-{op.pk}", "allocation": allocation_production.pk, "operation": op.code,
             "worker": "XB1", "line": "XL1", "quantity": 10, "at": at}
            for op in operations
        ],
    )  # fmt: skip
    assert result.rejected == 0, result.errors
    # Ten pieces a day against 190 to go and a ship-by date of tomorrow: late by its run rate.
    Allocation.objects.filter(pk=allocation_production.pk).update(ship_by=today + timedelta(days=1))
    (risk,) = floor_services.deadline_risks_assess(factory=x)

    # Registered before the notification below, which therefore makes a delivery to it.
    webhook_a = webhook_endpoint_create(merchant=shop_a, url=f"https://93.184.215.14/{mark}")
    (notification_a,) = notify(
        kind="order.confirmed",
        recipients=[shop_a.owner],
        key=f"matrix:{mark}",
        data={"order_id": confirmed.pk, "title": f"A order {mark}", "factories": x.name},
        url=f"/orders/{confirmed.pk}/",
        subject=("order", confirmed.pk),
    )
    push_a, _ = push_subscription_save(
        user=shop_a.owner, endpoint=f"https://push.example.net/a-{mark}", p256dh=PUSH_P256DH, auth=PUSH_AUTH
    )
    key_x = floor_services.device_key_issue(factory=x, actor=x.owner, name=f"X gateway {mark}")
    key_y = floor_services.device_key_issue(factory=y, actor=y.owner, name="Y gateway")

    users = {"merchant_a": shop_a.owner, "merchant_b": shop_b.owner, "factory_x": x.owner, "factory_y": y.owner}
    users["admin"] = admin
    headers = {persona: mf.auth_header(user) for persona, user in users.items()}
    headers["anonymous"] = {}
    headers["device_x"] = {"HTTP_AUTHORIZATION": f"Device {key_x.secret}"}
    headers["device_y"] = {"HTTP_AUTHORIZATION": f"Device {key_y.secret}"}

    world = World(
        mark=mark,
        headers=headers,
        usernames={persona: user.username for persona, user in users.items()},
        merchant_a=shop_a.pk,
        factory_x=x.pk,
        factory_y=y.pk,
        factory_pending=pending.pk,
        order_offered=offered.pk,
        order_confirmed=confirmed.pk,
        order_production=production.pk,
        order_shipped=shipped.pk,
        order_delivered=delivered.pk,
        order_unmatched=unmatched.pk,
        allocation_offered=allocation_offered.pk,
        allocation_confirmed=allocation_confirmed.pk,
        allocation_production=allocation_production.pk,
        allocation_declined=allocation_declined.pk,
        key_x=key_x.device_key.pk,
        key_y=key_y.device_key.pk,
        risk=risk.pk,
        operation=operations[0].pk,
        operation_code=operations[0].code,
        bulletin=[
            {"code": op.code, "name": op.name, "machine": op.machine, "stage": op.stage, "sam": str(op.sam)}
            for op in operations
        ],
        today=today,
        notification_a=notification_a.pk,
        webhook_endpoint=webhook_a.pk,
        webhook_delivery=WebhookDelivery.objects.get(endpoint=webhook_a).pk,
        push_endpoint_a=push_a.endpoint,
        allocation_countered=allocation_countered.pk,
        allocation_sampling=allocation_sampling.pk,
        allocation_sample_shipped=allocation_sample_shipped.pk,
    )
    world.attachment = attachment_upload(
        order_id=production.pk, uploaded_by=shop_a.owner, data=pdf_bytes(), name=f"tech pack {mark}.pdf"
    ).pk
    world.owned = _owned_ids(world, users=[shop_a.owner, x.owner])
    _check_world(world)
    return world


def _owned_ids(world: World, *, users: list[User]) -> dict[str, set[Any]]:
    """Merchant A's and factory X's rows, by the foreign-key column that points at them."""
    orders = set(Order.objects.filter(merchant_id=world.merchant_a).values_list("pk", flat=True))
    allocations = set(
        Allocation.objects.filter(models.Q(order_id__in=orders) | models.Q(factory_id=world.factory_x)).values_list(
            "pk", flat=True
        )
    )
    return {
        "factory_id": {world.factory_x},
        "merchant_id": {world.merchant_a},
        "order_id": orders,
        "allocation_id": allocations,
        "user_id": {u.pk for u in users},
        "owner_id": {u.pk for u in users},
        "recipient_id": {u.pk for u in users},
        "endpoint_id": set(WebhookEndpoint.objects.filter(merchant_id=world.merchant_a).values_list("pk", flat=True)),
        "delivery_id": set(
            WebhookDelivery.objects.filter(endpoint__merchant_id=world.merchant_a).values_list("pk", flat=True)
        ),
    }


def _check_world(world: World) -> None:
    """The states the rows rely on; a change in the services that breaks them fails here, not in 400 cells."""
    statuses = dict(Order.objects.filter(merchant_id=world.merchant_a).values_list("pk", "status"))
    assert statuses[world.order_offered] == OrderStatus.MATCHING
    assert statuses[world.order_confirmed] == OrderStatus.CONFIRMED
    assert statuses[world.order_production] == OrderStatus.IN_PRODUCTION
    assert statuses[world.order_shipped] == OrderStatus.SHIPPED
    assert statuses[world.order_delivered] == OrderStatus.DELIVERED
    assert statuses[world.order_unmatched] == OrderStatus.UNMATCHED
    assert Allocation.objects.get(pk=world.allocation_production).status == AllocationStatus.IN_PRODUCTION
    assert Allocation.objects.get(pk=world.allocation_declined).status == AllocationStatus.DECLINED
    assert Factory.objects.get(pk=world.factory_pending).status == "pending"
    assert Allocation.objects.get(pk=world.allocation_countered).status == AllocationStatus.OFFERED
    assert Allocation.objects.get(pk=world.allocation_sample_shipped).status == AllocationStatus.SAMPLING


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[World]:
    """Built once, inside a transaction rolled back when the module is done; every test runs in a
    savepoint of it, so the cells cannot see each other's writes. Uploaded files go to a directory of the run."""
    files = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path_factory.mktemp("files"))},
    }
    with django_db_blocker.unblock(), override_settings(STORAGES=settings.STORAGES | {"attachments": files}):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# --- snapshots -----------------------------------------------------------------------------------

SNAPSHOT_APPS = (
    "accounts", "authtoken", "factories", "orders", "matching", "floor", "contracts", "notifications", "webhooks",
    "attachments", "messaging",
)  # fmt: skip
# Touched by merely authenticating, not by the operation.
VOLATILE = {DeviceKey: {"last_used_at"}, User: {"last_login"}}


def _snapshot_models() -> list[type[models.Model]]:
    found: list[type[models.Model]] = []
    for label in SNAPSHOT_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            found.append(model)
    return found


def snapshot(owned: dict[str, set[Any]] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every row of the project's tables; with `owned`, only the rows that are merchant A's or factory X's
    (the row itself, or a row that points at one of theirs)."""
    tables = {}
    for model in _snapshot_models():
        skip = VOLATILE.get(model, set())
        names = [f.attname for f in model._meta.concrete_fields if f.attname not in skip]
        rows = list(model._default_manager.order_by("pk").values(*names))
        if owned is not None:
            rows = [row for row in rows if _is_owned(model, row, owned)]
        tables[model._meta.label] = rows
    return tables


_OWN_PK = {Order: "order_id", Allocation: "allocation_id", Factory: "factory_id", Merchant: "merchant_id"}


def _is_owned(model: type[models.Model], row: dict[str, Any], owned: dict[str, set[Any]]) -> bool:
    own = _OWN_PK.get(model)
    if own is not None and row[model._meta.pk.attname] in owned[own]:
        return True
    if model is User and row["id"] in owned["user_id"]:
        return True
    return any(row.get(column) in ids for column, ids in owned.items())


def diff(before: dict[str, list[dict[str, Any]]], after: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Per table that changed: the rows gone and the rows new (a changed row is one of each)."""
    changed = {}
    for table, rows in before.items():
        if rows != after[table]:
            old = {repr(sorted(r.items())): r for r in rows}
            new = {repr(sorted(r.items())): r for r in after[table]}
            changed[table] = {
                "gone": [r for k, r in old.items() if k not in new],
                "new": [r for k, r in new.items() if k not in old],
            }
    return changed


# --- the table -----------------------------------------------------------------------------------

Body = Callable[[World], Any] | None


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # exactly as in the schema
    expect: dict[str, Expect]
    args: dict[str, str] = field(default_factory=dict)  # path parameter -> World attribute
    query: str = ""
    body: Body = None
    content_type: str | None = None
    variant: str = ""  # names a row that aims at another object than the operation's main row

    @property
    def operation(self) -> tuple[str, str]:
        return self.method, self.path

    def label(self) -> str:
        short = self.path.removeprefix(API)
        return f"{self.method} {short}" + (f" [{self.variant}]" if self.variant else "")


def _csv(world: World) -> str:
    return (
        "event_id,allocation,operation,worker,line,quantity,at\n"
        f"matrix-csv-1,{world.allocation_production},{world.operation_code},XB1,XL1,1,"
        f"{(timezone.now() - timedelta(minutes=1)).isoformat()}\n"
    )


def _events(world: World) -> dict[str, Any]:
    at = (timezone.now() - timedelta(minutes=1)).isoformat()
    event = {"event_id": "matrix-1", "allocation": world.allocation_production, "operation": world.operation_code}
    return {"events": [event | {"worker": "XB1", "line": "XL1", "quantity": 1, "at": at}]}


def _order_body(world: World) -> dict[str, Any]:
    return {
        "title": "Matrix tee", "category": "tshirt", "processes": ["cutting", "sewing"], "fabric": "knit",
        "quantity": 100, "sizes": {"M": 100}, "due_date": (world.today + timedelta(days=20)).isoformat(),
        "target_unit_price": "25.00", "sam_override": "10.00", "material_lead_days": 1,
    }  # fmt: skip


def _factory_signup(world: World) -> dict[str, Any]:
    return {
        "username": "matrixmill", "password": mf.PASSWORD, "email": "matrixmill@example.com", "name": "Matrix Mill",
        "region": "hangzhou", "categories": ["tshirt"], "processes": ["sewing"], "fabrics": ["knit"],
        "sewing_operators": 5, "minutes_per_day": 480, "efficiency": "0.50", "min_order_qty": 50,
        "max_order_qty": 500,
    }  # fmt: skip


X = {"factory_id": "factory_x"}
W = {"endpoint_id": "webhook_endpoint"}


def _upload(world: World) -> bytes:
    return encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("matrix.png", image_bytes("PNG")), "kind": "image"})


def merchant_a_webhook() -> dict[str, Expect]:
    """/webhooks/{A's}/...: merchant A; merchant B finds nothing; factories and admins are the wrong role."""
    return cells(merchant_a=OK, merchant_b=404, factory_x=403, factory_y=403, admin=403)


ROWS: list[Row] = [
    # notifications: every account its own inbox and preferences; another's notification is not found
    Row("GET", f"{API}/notifications/", any_account()),
    Row("POST", f"{API}/notifications/read-all/", any_account()),
    Row("POST", f"{API}/notifications/{{notification_id}}/read/",
        cells(merchant_a=OK, merchant_b=404, factory_x=404, factory_y=404, admin=404),
        {"notification_id": "notification_a"}),
    Row("GET", f"{API}/notification-preferences/", any_account()),
    Row("PUT", f"{API}/notification-preferences/", any_account(), body=lambda w: {"email_enabled": False}),
    # Web Push: each account saves and removes its own phones; another's endpoint is not found
    Row("POST", f"{API}/push-subscriptions/", any_account(),
        body=lambda w: {"endpoint": "https://push.example.net/matrix-new", "expirationTime": None,
                        "keys": {"p256dh": PUSH_P256DH, "auth": PUSH_AUTH}}),
    Row("DELETE", f"{API}/push-subscriptions/",
        cells(merchant_a=OK, merchant_b=404, factory_x=404, factory_y=404, admin=404),
        body=lambda w: {"endpoint": w.push_endpoint_a}),
    Row("GET", f"{API}/push-subscriptions/public-key/", any_account()),
    # webhooks: merchants only, each its own endpoints; another merchant's endpoint or delivery is not found
    Row("GET", f"{API}/webhooks/", cells(merchant_a=OK, merchant_b=OK, factory_x=403, factory_y=403, admin=403)),
    Row("POST", f"{API}/webhooks/", cells(merchant_a=OK, merchant_b=OK, factory_x=403, factory_y=403, admin=403),
        body=lambda w: {"url": "https://93.184.215.14/matrix", "events": ["order.shipped"]}),
    Row("GET", f"{API}/webhooks/{{endpoint_id}}/", merchant_a_webhook(), W),
    Row("PATCH", f"{API}/webhooks/{{endpoint_id}}/", merchant_a_webhook(), W, body=lambda w: {"is_active": False}),
    Row("DELETE", f"{API}/webhooks/{{endpoint_id}}/", merchant_a_webhook(), W),
    Row("POST", f"{API}/webhooks/{{endpoint_id}}/rotate-secret/", merchant_a_webhook(), W),
    Row("GET", f"{API}/webhooks/{{endpoint_id}}/deliveries/", merchant_a_webhook(), W),
    Row("POST", f"{API}/webhooks/{{endpoint_id}}/deliveries/{{delivery_id}}/redeliver/", merchant_a_webhook(),
        W | {"delivery_id": "webhook_delivery"}),
    # accounts
    Row("POST", f"{API}/auth/token/", public(),
        body=lambda w: {"username": w.usernames["merchant_b"], "password": mf.PASSWORD}),
    Row("POST", f"{API}/auth/logout/", any_account()),
    Row("GET", f"{API}/auth/me/", any_account()),
    Row("POST", f"{API}/merchants/", public(),
        body=lambda w: {"username": "matrixshop", "password": mf.PASSWORD, "email": "m@example.com", "name": "M"}),
    Row("GET", f"{API}/catalog/", public()),
    # factories
    Row("GET", f"{API}/factories/", cells(merchant_a=403, merchant_b=403, factory_x=OK, factory_y=OK, admin=OK)),
    Row("POST", f"{API}/factories/", public(), body=_factory_signup),
    Row("GET", f"{API}/factories/{{factory_id}}/", factory_x_object(), X),
    Row("PATCH", f"{API}/factories/{{factory_id}}/", factory_x_object(), X, body=lambda w: {"sewing_operators": 11}),
    Row("POST", f"{API}/factories/{{factory_id}}/verify/",
        cells(merchant_a=403, merchant_b=403, factory_x=403, factory_y=403, admin=OK),
        {"factory_id": "factory_pending"}),
    Row("GET", f"{API}/factories/{{factory_id}}/calendar/", factory_x_object(), X),
    Row("PUT", f"{API}/factories/{{factory_id}}/calendar/", factory_x_object(), X,
        body=lambda w: {"days": [{"date": (w.today + timedelta(days=20)).isoformat(), "capacity_minutes": 3000}]}),
    Row("GET", f"{API}/factories/{{factory_id}}/device-keys/", factory_x_object(), X),
    Row("POST", f"{API}/factories/{{factory_id}}/device-keys/", factory_x_object(), X, body=lambda w: {"name": "new"}),
    Row("DELETE", f"{API}/factories/{{factory_id}}/device-keys/{{key_id}}/", factory_x_object(),
        {"factory_id": "factory_x", "key_id": "key_x"}),
    Row("DELETE", f"{API}/factories/{{factory_id}}/device-keys/{{key_id}}/",
        cells(merchant_a=404, merchant_b=404, factory_x=404, factory_y=OK, admin=OK),
        {"factory_id": "factory_y", "key_id": "key_y"}, variant="Y's key"),
    Row("DELETE", f"{API}/factories/{{factory_id}}/device-keys/{{key_id}}/",
        cells(merchant_a=404, merchant_b=404, factory_x=404, factory_y=404, admin=404),
        {"factory_id": "factory_y", "key_id": "key_x"}, variant="X's key under Y"),
    Row("GET", f"{API}/factories/{{factory_id}}/live-capacity/", factory_x_object(), X),
    Row("POST", f"{API}/factories/{{factory_id}}/live-capacity/", factory_x_object(), X),
    # orders (the merchant's side)
    Row("GET", f"{API}/orders/", cells(merchant_a=OK, merchant_b=OK, factory_x=403, factory_y=403, admin=OK)),
    Row("POST", f"{API}/orders/", cells(merchant_a=OK, merchant_b=OK, factory_x=403, factory_y=403, admin=403),
        body=_order_body),
    # A dry run: merchants only; it writes nothing, whoever calls it.
    Row("POST", f"{API}/orders/feasibility/", cells(merchant_a=OK, merchant_b=OK, factory_x=403, factory_y=403,
        admin=403), body=_order_body),
    Row("GET", f"{API}/orders/{{order_id}}/", merchant_a_order(admin=OK, factories=404),
        {"order_id": "order_production"}),
    Row("POST", f"{API}/orders/{{order_id}}/cancel/", merchant_a_order(admin=OK, factories=403),
        {"order_id": "order_confirmed"}, body=lambda w: {"reason": "matrix"}),
    Row("POST", f"{API}/orders/{{order_id}}/receive/", merchant_a_order(admin=403, factories=403),
        {"order_id": "order_shipped"}),
    Row("POST", f"{API}/orders/{{order_id}}/repeat/", merchant_a_order(admin=403, factories=403),
        {"order_id": "order_delivered"},
        body=lambda w: {"quantity": 100, "due_date": (w.today + timedelta(days=20)).isoformat()}),
    Row("POST", f"{API}/orders/{{order_id}}/rematch/", merchant_a_order(admin=OK, factories=403),
        {"order_id": "order_unmatched"}),
    Row("GET", f"{API}/orders/{{order_id}}/explanation/", merchant_a_order(admin=OK, factories=404),
        {"order_id": "order_offered"}),
    # allocations and offers (the factory's side)
    Row("GET", f"{API}/allocations/", cells(merchant_a=403, merchant_b=403, factory_x=OK, factory_y=OK, admin=403)),
    Row("POST", f"{API}/allocations/{{allocation_id}}/progress/", factory_x_allocation(),
        {"allocation_id": "allocation_production"}, body=lambda w: {"stage": "cut", "quantity": 5}),
    Row("POST", f"{API}/allocations/{{allocation_id}}/ship/", factory_x_allocation(),
        {"allocation_id": "allocation_confirmed"}, body=lambda w: {"carrier": "SF", "tracking": "M1"}),
    # a confirmed share's purchase order: both parties and admins; an offer has none yet (404 for all)
    Row("GET", f"{API}/allocations/{{allocation_id}}/purchase-order/", share_parties(),
        {"allocation_id": "allocation_confirmed"}),
    Row("GET", f"{API}/allocations/{{allocation_id}}/purchase-order.pdf", share_parties(),
        {"allocation_id": "allocation_confirmed"}),
    Row("GET", f"{API}/allocations/{{allocation_id}}/purchase-order/", nobody(),
        {"allocation_id": "allocation_offered"}, variant="not issued yet"),
    Row("GET", f"{API}/allocations/{{allocation_id}}/purchase-order.pdf", nobody(),
        {"allocation_id": "allocation_offered"}, variant="not issued yet"),
    Row("GET", f"{API}/offers/", cells(merchant_a=403, merchant_b=403, factory_x=OK, factory_y=OK, admin=403)),
    Row("GET", f"{API}/offers/{{allocation_id}}/", factory_x_allocation(), {"allocation_id": "allocation_offered"}),
    Row("POST", f"{API}/offers/{{allocation_id}}/accept/", factory_x_allocation(),
        {"allocation_id": "allocation_offered"}),
    Row("POST", f"{API}/offers/{{allocation_id}}/decline/", factory_x_allocation(),
        {"allocation_id": "allocation_offered"}, body=lambda w: {"reason": "line full"}),
    # the deal: the factory counters and ships samples; the order's merchant answers; both parties read
    Row("POST", f"{API}/offers/{{allocation_id}}/counter/", factory_x_allocation(),
        {"allocation_id": "allocation_offered"}, body=lambda w: {"unit_price": "26.50", "note": "matrix"}),
    Row("GET", f"{API}/allocations/{{allocation_id}}/counter/", deal_parties(),
        {"allocation_id": "allocation_countered"}),
    Row("POST", f"{API}/allocations/{{allocation_id}}/counter/accept/", merchant_a_allocation(),
        {"allocation_id": "allocation_countered"}),
    Row("POST", f"{API}/allocations/{{allocation_id}}/counter/reject/", merchant_a_allocation(),
        {"allocation_id": "allocation_countered"}, body=lambda w: {"reason": "matrix"}),
    Row("GET", f"{API}/merchant/counter-rule/",
        cells(merchant_a=OK, merchant_b=OK, factory_x=403, factory_y=403, admin=403)),
    Row("PUT", f"{API}/merchant/counter-rule/",
        cells(merchant_a=OK, merchant_b=OK, factory_x=403, factory_y=403, admin=403),
        body=lambda w: {"counter_auto_accept_pct": "5.00"}),
    Row("GET", f"{API}/allocations/{{allocation_id}}/sample/", deal_parties(),
        {"allocation_id": "allocation_sample_shipped"}),
    Row("POST", f"{API}/allocations/{{allocation_id}}/sample/ship/", factory_x_allocation(),
        {"allocation_id": "allocation_sampling"}, body=lambda w: {"carrier": "SF", "tracking": "M2"}),
    Row("POST", f"{API}/allocations/{{allocation_id}}/sample/approve/", merchant_a_allocation(),
        {"allocation_id": "allocation_sample_shipped"}),
    Row("POST", f"{API}/allocations/{{allocation_id}}/sample/request-changes/", merchant_a_allocation(),
        {"allocation_id": "allocation_sample_shipped"}, body=lambda w: {"comment": "matrix"}),
    Row("POST", f"{API}/allocations/{{allocation_id}}/sample/reject/", merchant_a_allocation(),
        {"allocation_id": "allocation_sample_shipped"}, body=lambda w: {"reason": "matrix"}),
    # the floor. Factory users ignore ?factory= (they always act for their own factory); admins need it.
    Row("POST", f"{API}/floor/events/",
        # Device keys only: a user's token is not a credential here, so it is a 401 like none at all.
        cells(merchant_a=401, merchant_b=401, factory_x=401, factory_y=401, admin=401, device_x=OK, device_y=REJECTED),
        body=_events),
    Row("POST", f"{API}/floor/events/csv/",
        cells(merchant_a=403, merchant_b=403, factory_x=OK, factory_y=REJECTED, admin=OK, device_x=OK,
              device_y=REJECTED),
        query="?factory={factory_x}", body=_csv, content_type="text/csv"),
    Row("GET", f"{API}/floor/lines/", floor_collection(), query="?factory={factory_x}"),
    Row("POST", f"{API}/floor/lines/", floor_collection(), query="?factory={factory_x}",
        body=lambda w: {"code": "ML1", "name": "matrix line"}),
    Row("GET", f"{API}/floor/workers/", floor_collection(), query="?factory={factory_x}"),
    Row("POST", f"{API}/floor/workers/", floor_collection(), query="?factory={factory_x}",
        body=lambda w: {"workers": [{"badge": "MB1", "name": "matrix worker"}]}),
    Row("PUT", f"{API}/floor/piece-rates/",
        # The operation belongs to one of X's orders: Y has no such operation.
        cells(merchant_a=403, merchant_b=403, factory_x=OK, factory_y=404, admin=OK),
        query="?factory={factory_x}", body=lambda w: {"operation": w.operation, "rate": "0.1000"}),
    Row("PUT", f"{API}/floor/shifts/",
        # X's badge and line: Y has no such worker.
        cells(merchant_a=403, merchant_b=403, factory_x=OK, factory_y=404, admin=OK),
        query="?factory={factory_x}",
        body=lambda w: {"worker": "XB1", "line": "XL1", "day": w.today.isoformat(), "minutes": 480}),
    Row("GET", f"{API}/floor/allocations/{{allocation_id}}/bulletin/", floor_x_allocation(),
        {"allocation_id": "allocation_production"}, query="?factory={factory_x}"),
    Row("PUT", f"{API}/floor/allocations/{{allocation_id}}/bulletin/", floor_x_allocation(),
        {"allocation_id": "allocation_production"}, query="?factory={factory_x}",
        # Every scanned operation must stay; renaming one is the edit.
        body=lambda w: {"operations": [w.bulletin[0] | {"name": "Renamed"}, *w.bulletin[1:]]}),
    Row("GET", f"{API}/floor/allocations/{{allocation_id}}/progress/", floor_x_allocation(),
        {"allocation_id": "allocation_production"}, query="?factory={factory_x}"),
    Row("POST", f"{API}/floor/allocations/{{allocation_id}}/qc/",
        cells(merchant_a=403, merchant_b=403, factory_x=OK, factory_y=404, admin=OK, device_x=OK, device_y=404),
        {"allocation_id": "allocation_production"}, query="?factory={factory_x}",
        body=lambda w: {"lot_size": 50, "defects": {}}),
    Row("GET", f"{API}/floor/allocations/{{allocation_id}}/materials/", floor_x_allocation(),
        {"allocation_id": "allocation_production"}, query="?factory={factory_x}"),
    Row("PUT", f"{API}/floor/allocations/{{allocation_id}}/materials/", floor_x_allocation(),
        {"allocation_id": "allocation_production"}, query="?factory={factory_x}",
        body=lambda w: {"code": "thread", "name": "Thread", "per_piece": "2.5"}),
    Row("POST", f"{API}/floor/allocations/{{allocation_id}}/materials/", floor_x_allocation(),
        {"allocation_id": "allocation_production"}, query="?factory={factory_x}",
        body=lambda w: {"code": "jersey", "quantity": "10"}),
    # X declined the dress order and Z makes it: X's stale share opens nothing of the order's floor.
    Row("GET", f"{API}/floor/allocations/{{allocation_id}}/bulletin/", floor_declined_allocation(),
        {"allocation_id": "allocation_declined"}, query="?factory={factory_x}", variant="X declined, Z makes it"),
    Row("PUT", f"{API}/floor/allocations/{{allocation_id}}/bulletin/", floor_declined_allocation(),
        {"allocation_id": "allocation_declined"}, query="?factory={factory_x}", variant="X declined, Z makes it",
        body=lambda w: {"operations": [{"code": "sew", "name": "Sew", "machine": "overlock", "sam": "1.000"}]}),
    Row("GET", f"{API}/floor/allocations/{{allocation_id}}/progress/", floor_declined_allocation(),
        {"allocation_id": "allocation_declined"}, query="?factory={factory_x}", variant="X declined, Z makes it"),
    Row("GET", f"{API}/floor/allocations/{{allocation_id}}/materials/", floor_declined_allocation(),
        {"allocation_id": "allocation_declined"}, query="?factory={factory_x}", variant="X declined, Z makes it"),
    Row("PUT", f"{API}/floor/allocations/{{allocation_id}}/materials/", floor_declined_allocation(),
        {"allocation_id": "allocation_declined"}, query="?factory={factory_x}", variant="X declined, Z makes it",
        body=lambda w: {"code": "thread", "name": "Thread", "per_piece": "2.5"}),
    Row("POST", f"{API}/floor/allocations/{{allocation_id}}/materials/", floor_declined_allocation(),
        {"allocation_id": "allocation_declined"}, query="?factory={factory_x}", variant="X declined, Z makes it",
        body=lambda w: {"code": "jersey", "quantity": "10"}),
    Row("POST", f"{API}/floor/allocations/{{allocation_id}}/qc/",
        # The QC service's own state check answers first: nothing to inspect in a declined share.
        cells(merchant_a=403, merchant_b=403, factory_x=400, factory_y=404, admin=400, device_x=400, device_y=404),
        {"allocation_id": "allocation_declined"}, query="?factory={factory_x}", variant="X declined, Z makes it",
        body=lambda w: {"lot_size": 50, "defects": {}}),
    Row("GET", f"{API}/floor/worker-output/", floor_collection(), query="?factory={factory_x}"),
    Row("GET", f"{API}/floor/payroll/", floor_collection(), query="?factory={factory_x}"),
    Row("GET", f"{API}/floor/payroll/", floor_collection(), query="?factory={factory_x}&export=csv", variant="csv"),
    Row("GET", f"{API}/floor/line-efficiency/", floor_collection(), query="?factory={factory_x}"),
    Row("GET", f"{API}/floor/quality/", floor_collection(), query="?factory={factory_x}"),
    Row("GET", f"{API}/floor/dashboard/", floor_collection(), query="?factory={factory_x}"),
    Row("GET", f"{API}/floor/efficiency-trend/", floor_collection(), query="?factory={factory_x}"),
    # files (issue 11): the order's parties (merchant A, factory X that makes it, admins); others find nothing.
    Row("GET", f"{API}/orders/{{order_id}}/files/", merchant_a_order(admin=OK, factories=404)
        | {"factory_x": OK}, {"order_id": "order_production"}),
    Row("POST", f"{API}/orders/{{order_id}}/files/", merchant_a_order(admin=403, factories=404)
        | {"factory_x": OK}, {"order_id": "order_production"}, body=_upload, content_type=MULTIPART_CONTENT),
    Row("GET", f"{API}/files/{{file_id}}/", merchant_a_order(admin=OK, factories=404) | {"factory_x": OK},
        {"file_id": "attachment"}),
    # messages: each party its own threads (admins read a thread by its allocation); the thread of A's order with
    # X; admins read it but do not write.
    Row("GET", f"{API}/threads/", cells(merchant_a=OK, merchant_b=OK, factory_x=OK, factory_y=OK, admin=403)),
    Row("GET", f"{API}/allocations/{{allocation_id}}/messages/", merchant_a_order(admin=OK, factories=404)
        | {"factory_x": OK}, {"allocation_id": "allocation_production"}),
    Row("POST", f"{API}/allocations/{{allocation_id}}/messages/", merchant_a_order(admin=403, factories=404)
        | {"factory_x": OK}, {"allocation_id": "allocation_production"}, body=lambda w: {"text": "matrix"}),
    Row("GET", f"{API}/floor/deadline-risks/",
        cells(merchant_a=403, merchant_b=403, factory_x=403, factory_y=403, admin=OK)),
    Row("POST", f"{API}/floor/deadline-risks/{{risk_id}}/reroute/", merchant_a_order(admin=403, factories=403),
        {"risk_id": "risk"}),
]  # fmt: skip
# Not operations of the schema (drf-spectacular leaves its own views out), but routes under /api/v1/.
UNDOCUMENTED_ROWS: list[Row] = [
    Row("GET", f"{API}/schema/", public()),
    Row("GET", f"{API}/docs/", public()),
]
ALL_ROWS = ROWS + UNDOCUMENTED_ROWS


def _cases() -> Iterator[Any]:
    for row in ALL_ROWS:
        for persona in PERSONAS:
            expected = row.expect[persona]
            yield pytest.param(row, persona, expected, id=f"{row.label()} as {persona} -> {expected}")


# --- the matrix ----------------------------------------------------------------------------------


def _request(row: Row, persona: str, world: World) -> Any:
    url = row.path.format(**{param: getattr(world, attr) for param, attr in row.args.items()})
    url += row.query.format(factory_x=world.factory_x)
    client = APIClient()
    client.credentials(**world.headers[persona])
    body = row.body(world) if row.body is not None else None
    method = getattr(client, row.method.lower())
    if row.content_type is not None:
        return method(url, data=body, content_type=row.content_type)
    return method(url, data=body, format="json") if body is not None else method(url)


def _is_refusal(expected: Expect) -> bool:
    """Anything but OK: 400/401/403/404/409 and the all-rejected 207 must all leave every row as it was."""
    return expected != OK


@pytest.mark.parametrize(("row", "persona", "expected"), list(_cases()))
def test_cell(world: World, row: Row, persona: str, expected: Expect) -> None:
    watch_all = _is_refusal(expected)
    watch_owned = not watch_all and persona in OUTSIDERS
    before = snapshot() if watch_all else snapshot(world.owned) if watch_owned else None

    response = _request(row, persona, world)

    status = response.status_code
    raw = b"".join(response.streaming_content) if response.streaming else response.content  # a file download
    content = raw.decode(errors="replace")
    assert status < 500, content
    if expected == OK:
        assert 200 <= status < 300, content
    elif expected == REJECTED:
        assert status == 207, content
        body = response.json()
        assert body["accepted"] == 0 and body["duplicates"] == 0 and body["rejected"] >= 1, body
    else:
        assert status == expected, content
    if status in {400, 401, 403, 404}:
        assert set(response.json()) == {"code", "message", "errors", "error_codes"}, content
    if persona in OUTSIDERS:
        assert world.mark not in content, "merchant A's or factory X's data reached an outsider"
    if before is not None:
        after = snapshot() if watch_all else snapshot(world.owned)
        assert diff(before, after) == {}, "a refused request or an outsider changed rows it must not"


# --- nothing forgotten ---------------------------------------------------------------------------


def _schema_operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }


def test_every_schema_operation_has_a_row() -> None:
    """A new endpoint without a row here fails this test: decide who may call it before shipping it."""
    operations = _schema_operations()
    rows = {row.operation for row in ROWS}
    assert operations - rows == set(), "operations with no row in the permission matrix"
    assert rows - operations == set(), "rows for operations the schema no longer has"


def _routes(patterns: list[URLPattern | URLResolver], prefix: str) -> Iterator[str]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        else:
            yield route


def test_every_api_route_is_in_the_schema_or_the_table() -> None:
    """A route under /api/v1/ left out of the schema (so out of the check above) must still have rows."""
    import re

    routes = {
        "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
        for route in _routes(get_resolver().url_patterns, "")
        if route.startswith("api/v1/")
    }
    documented = {path for _, path in _schema_operations()} | {row.path for row in UNDOCUMENTED_ROWS}
    assert routes - documented == set()


def test_every_row_names_every_persona() -> None:
    for row in ALL_ROWS:
        assert set(row.expect) == set(PERSONAS), row.label()


def test_the_checks_are_not_vacuous(world: World) -> None:
    """The snapshot sees the rows the issue names change, and the mark does reach the owners: so the matrix's
    "nothing changed" and "nothing leaked" assertions can fail."""
    for label in ("orders.Order", "orders.Allocation", "factories.CapacityDay", "matching.Reservation",
                  "factories.Factory", "floor.DeviceKey", "floor.FloorEvent", "authtoken.Token"):  # fmt: skip
        assert snapshot(world.owned)[label], label
    before, owned_before = snapshot(), snapshot(world.owned)
    order_cancel(order_id=world.order_confirmed, reason="sanity")
    changed = diff(before, snapshot())
    for label in ("orders.Order", "orders.Allocation", "factories.CapacityDay", "matching.Reservation"):
        assert label in changed, label
    assert set(changed) <= set(diff(owned_before, snapshot(world.owned))) | {"orders.OrderEvent"}

    for persona, path in (("factory_x", f"/factories/{world.factory_x}/"), ("merchant_a", "/orders/")):
        client = APIClient()
        client.credentials(**world.headers[persona])
        assert world.mark in client.get(API + path).content.decode()
