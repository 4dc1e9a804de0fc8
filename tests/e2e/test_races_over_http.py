"""Races over the HTTP API on PostgreSQL, with real threads released together by a barrier.

tests/e2e/test_same_instant.py races the services; these race the endpoints, as two phones would:
- factories accepting the same parallel offer at the same instant (two and three rivals, several
  rounds): exactly one wins (200), the others are told the offer has moved on (409); the rivals are
  withdrawn, their minutes released, and `manage.py check_ledger` finds the books clean;
- a merchant's client retrying one POST many times at once with the same Idempotency-Key: one order,
  every answer names it, exactly one is not a replay; the same key with another body is a 409, also
  when the two bodies race each other.

Everything commits for real (transaction=True): the racing requests must see each other's rows.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from factories.models import CapacityDay, Factory
from matching.models import Reservation
from matching.services import order_match
from orders.models import Allocation, AllocationStatus, Order, OrderEvent, OrderStatus
from tests import model_factories as mf
from tests.conftest import client_for
from tests.worker import purge_broker, restore_catalog, run_together

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]

ORDERS = "/api/v1/orders/"


@pytest.fixture(autouse=True)
def clean_broker() -> Iterator[None]:
    """Posting enqueues matching after commit; no worker runs here, the broker is emptied after."""
    restore_catalog()
    purge_broker()
    yield
    purge_broker()


def assert_ledger_clean() -> None:
    out = io.StringIO()
    call_command("check_ledger", stdout=out)  # raises CommandError on any problem
    assert out.getvalue().strip() == "ledger clean"


def answered[T](results: list[T | BaseException]) -> list[T]:
    """Every thread's answer; a thread that raised fails the test with what it raised."""
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == [], errors
    return [r for r in results if not isinstance(r, BaseException)]


def order_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Race tee",
        "category": "tshirt",
        "processes": ["cutting", "sewing"],
        "fabric": "knit",
        "quantity": 200,
        "sizes": {"S": 80, "M": 120},
        "due_date": (timezone.localdate() + timedelta(days=14)).isoformat(),
        "target_unit_price": "25.00",
        "sam_override": "10.00",
        "material_lead_days": 1,
    }
    return body | overrides


# --- first accept wins -------------------------------------------------------------------------


@pytest.mark.parametrize("rivals", [2, 3])
def test_factories_accepting_one_parallel_offer_at_once_exactly_one_wins(settings, rivals: int) -> None:
    # Parallel offers: the whole order goes to the top `rivals` factories at once; the first accept wins.
    settings.MATCHING_OFFER_STRATEGY = "parallel"
    settings.MATCHING_PARALLEL_OFFERS = rivals
    factories = [mf.make_factory(name=f"Rival {i}") for i in range(rivals)]
    merchant = mf.make_merchant()
    merchant_api = client_for(merchant.owner)
    apis = {f.pk: client_for(f.owner) for f in factories}
    rounds = 4

    for round_ in range(rounds):
        posted = merchant_api.post(ORDERS, order_body(title=f"Race tee {round_}"), format="json")
        assert posted.status_code == 201, posted.content
        order_id = posted.json()["id"]
        order_match(order_id=order_id, trigger="test")  # what the worker would do with the doorbell
        offers = list(Allocation.objects.filter(order_id=order_id, status=AllocationStatus.OFFERED).order_by("pk"))
        assert sorted(o.factory_id for o in offers) == sorted(apis), "every rival should hold the same offer"
        assert len({o.offer_group for o in offers}) == 1 and offers[0].offer_group is not None
        assert all(o.quantity == 200 for o in offers)

        def accept(i: int, offers: list[Allocation] = offers) -> tuple[int, int, dict[str, Any]]:
            offer = offers[i]
            answer = client_for(offer.factory.owner).post(f"/api/v1/offers/{offer.pk}/accept/", format="json")
            return offer.pk, answer.status_code, answer.json()

        results = answered(run_together(len(offers), accept))

        codes = Counter(status for _pk, status, _body in results)
        assert codes == {200: 1, 409: rivals - 1}, results
        ((winner_id, _, won),) = [r for r in results if r[1] == 200]
        assert won["status"] == "accepted"
        for _pk, status, body in results:
            if status == 409:
                assert body["code"] == "illegal_transition", body

        # The winner's share is accepted and holds its minutes; every rival is withdrawn and holds none.
        statuses = dict(Allocation.objects.filter(order_id=order_id).values_list("pk", "status"))
        assert statuses == {
            o.pk: AllocationStatus.ACCEPTED if o.pk == winner_id else AllocationStatus.WITHDRAWN for o in offers
        }
        winner = Allocation.objects.get(pk=winner_id)
        assert Reservation.objects.filter(allocation_id=winner_id).aggregate(m=Sum("minutes"))["m"] == 2000
        assert not Reservation.objects.filter(allocation__in=[o for o in offers if o.pk != winner_id]).exists()
        assert Order.objects.get(pk=order_id).status == OrderStatus.CONFIRMED
        # Each factory sees its own answer: the winner its job, the others a withdrawn offer.
        for factory_id, api in apis.items():
            mine = next(o for o in offers if o.factory_id == factory_id)
            seen = api.get(f"/api/v1/offers/{mine.pk}/").json()["status"]
            assert seen == ("accepted" if mine.pk == winner_id else "withdrawn")
        assert winner.factory_id in apis
        # One acceptance recorded, one withdrawal per rival, nothing else moved on this order.
        moves = Counter(
            OrderEvent.objects.filter(order_id=order_id, kind="allocation").values_list("from_status", "to_status")
        )
        assert moves[("offered", "accepted")] == 1
        assert moves[("offered", "withdrawn")] == rivals - 1

    # Counters: every factory answered its rounds once at most, and exactly `rounds` accepts won overall.
    accepted = sum(Factory.objects.filter(pk__in=apis).values_list("offers_accepted", flat=True))
    assert accepted == rounds
    # Books: the days hold exactly the accepted shares' minutes, nothing of the withdrawn rivals.
    booked = CapacityDay.objects.filter(factory__in=factories).aggregate(m=Sum("reserved_minutes"))["m"]
    assert booked == rounds * 2000
    assert_ledger_clean()


# --- one order per idempotency key --------------------------------------------------------------


def test_many_retries_of_one_post_at_once_make_one_order() -> None:
    merchant = mf.make_merchant()
    other = mf.make_merchant()
    body = order_body(title="Retried tee")
    threads = 8

    def post(_i: int) -> tuple[int, dict[str, Any], str]:
        client = client_for(merchant.owner)
        response = client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
        return response.status_code, response.json(), response.headers.get("Idempotent-Replayed", "")

    results = answered(run_together(threads, post))

    assert {status for status, _, _ in results} <= {200, 201}, results
    ids = {answer["id"] for _, answer, _ in results}
    assert len(ids) == 1, results
    (order_id,) = ids
    assert list(Order.objects.filter(merchant=merchant).values_list("pk", flat=True)) == [order_id]
    assert OrderEvent.objects.filter(order_id=order_id, kind="created").count() == 1
    for _, answer, _ in results:
        assert (answer["title"], answer["quantity"], answer["status"]) == ("Retried tee", 200, "matching")
    # One request made the order; every other one was answered as a replay of it.
    assert sorted(replayed for _, _, replayed in results) == [""] + ["true"] * (threads - 1)

    # The same key with another body is refused, and changes nothing.
    changed = client_for(merchant.owner).post(
        ORDERS, order_body(title="Retried tee", quantity=100, sizes={"M": 100}), format="json",
        HTTP_IDEMPOTENCY_KEY="retry-1",
    )  # fmt: skip
    assert changed.status_code == 409
    assert changed.json()["code"] == "idempotency_key_reused"
    assert Order.objects.filter(merchant=merchant).count() == 1
    # Keys are the merchant's own: another merchant's same key is another order.
    theirs = client_for(other.owner).post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    assert theirs.status_code == 201 and theirs.json()["id"] != order_id


def test_one_key_raced_with_two_bodies_keeps_the_first_and_refuses_the_other() -> None:
    merchant = mf.make_merchant()
    bodies = [order_body(title="Blue tee"), order_body(title="Red tee", quantity=100, sizes={"M": 100})]
    threads = 8

    def post(i: int) -> tuple[int, dict[str, Any], str]:
        title = bodies[i % 2]["title"]
        response = client_for(merchant.owner).post(ORDERS, bodies[i % 2], format="json", HTTP_IDEMPOTENCY_KEY="k-2")
        return response.status_code, response.json(), title

    results = answered(run_together(threads, post))

    (order,) = Order.objects.filter(merchant=merchant)
    for status, answer, title in results:
        if title == order.title:
            assert status in (200, 201) and answer["id"] == order.pk, (status, answer)
        else:
            assert status == 409 and answer["code"] == "idempotency_key_reused", (status, answer)
    assert Counter(title == order.title for _, _, title in results) == {True: 4, False: 4}
