"""The factory's side over HTTP: offers (list, detail, accept, decline) and jobs (list, progress, ship).

Every object endpoint answers 404 to another factory and changes nothing; illegal transitions are 409.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from factories.models import CapacityDay
from matching.models import Reservation
from matching.tasks import match_order
from orders.models import Allocation, AllocationStatus, OrderStatus, ProgressReport
from tests import model_factories as mf
from tests.conftest import client_for

pytestmark = [
    pytest.mark.django_db,
    # No collectstatic in the test run: WhiteNoise warns that STATIC_ROOT is missing.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

OFFERS = "/api/v1/offers/"
JOBS = "/api/v1/allocations/"


def assert_error(response, status: int, field: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "errors", "error_codes"}
    assert field in body["errors"], body


def offer_to(merchant, factory, **order_kwargs) -> Allocation:  # type: ignore[no-untyped-def]
    order = mf.make_order(merchant, **order_kwargs)
    match_order(order.pk, "test")
    allocation = order.allocations.get()
    assert allocation.factory == factory
    return allocation


def accepted_job(merchant, factory) -> Allocation:  # type: ignore[no-untyped-def]
    allocation = offer_to(merchant, factory)
    assert client_for(factory.owner).post(f"{OFFERS}{allocation.pk}/accept/").status_code == 200
    allocation.refresh_from_db()
    return allocation


def booked_minutes(factory) -> int:  # type: ignore[no-untyped-def]
    return CapacityDay.objects.filter(factory=factory).aggregate(m=Sum("reserved_minutes"))["m"] or 0


# --- offers ------------------------------------------------------------------------------------


def test_factory_lists_its_offers_with_what_it_needs_to_decide(merchant_a, factory_x):
    allocation = offer_to(
        merchant_a, factory_x, processes=("cutting", "sewing"), quantity=200, sizes={"S": 50, "M": 150}
    )
    client = client_for(factory_x.owner)

    body = client.get(OFFERS, {"status": "offered"}).json()

    assert body["count"] == 1
    [offer] = body["results"]
    order = allocation.order
    assert offer["id"] == allocation.pk
    assert offer["status"] == "offered"
    assert offer["order"] == order.pk
    assert offer["order_title"] == order.title
    assert (offer["category"], offer["fabric"], offer["processes"]) == ("tshirt", "knit", ["cutting", "sewing"])
    assert offer["quantity"] == 200 and offer["sizes"] == {"S": 50, "M": 150}
    assert offer["due_date"] == order.due_date.isoformat()
    assert allocation.ship_by is not None and offer["ship_by"] == allocation.ship_by.isoformat()
    assert offer["unit_price"] == "25.00"
    assert offer["reserved_minutes"] == 2000
    assert sum(d["minutes"] for d in offer["days"]) == 2000
    assert 0 < offer["seconds_left"] <= 900
    assert offer["expires_at"]

    assert client.get(OFFERS, {"status": "accepted"}).json()["count"] == 0
    assert client.get(OFFERS).json()["count"] == 1
    assert_error(client.get(OFFERS, {"status": "maybe"}), 400, "status")


def test_factory_sees_only_its_own_offers(merchant_a, factory_x, factory_y):
    allocation = offer_to(merchant_a, factory_x)
    other = client_for(factory_y.owner)

    assert other.get(OFFERS).json()["count"] == 0
    assert_error(other.get(f"{OFFERS}{allocation.pk}/"), 404, "non_field_errors")
    assert client_for(factory_x.owner).get(f"{OFFERS}{allocation.pk}/").json()["id"] == allocation.pk


def test_offers_are_for_factories_only(merchant_a, admin_user, api):
    assert client_for(merchant_a.owner).get(OFFERS).status_code == 403
    assert client_for(admin_user).get(OFFERS).status_code == 403
    assert api.get(OFFERS).status_code == 401
    assert client_for(merchant_a.owner).get(JOBS).status_code == 403


def test_accepting_an_offer_confirms_the_order(merchant_a, factory_x):
    allocation = offer_to(merchant_a, factory_x)
    client = client_for(factory_x.owner)

    response = client.post(f"{OFFERS}{allocation.pk}/accept/")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "accepted"
    assert response.json()["seconds_left"] is None
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.ACCEPTED and allocation.responded_at is not None
    assert allocation.order.status == OrderStatus.CONFIRMED
    assert booked_minutes(factory_x) == 2000

    # Answering twice is an illegal transition.
    assert_error(client.post(f"{OFFERS}{allocation.pk}/accept/"), 409, "non_field_errors")
    assert_error(
        client.post(f"{OFFERS}{allocation.pk}/decline/", {"reason": "oops"}, format="json"), 409, "non_field_errors"
    )
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.ACCEPTED


def test_declining_releases_capacity_and_the_share_moves_on(merchant_a, factory_x):
    allocation = offer_to(merchant_a, factory_x)
    client = client_for(factory_x.owner)

    response = client.post(f"{OFFERS}{allocation.pk}/decline/", {"reason": "Line full"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "declined"
    assert response.json()["decline_reason"] == "Line full"
    assert response.json()["days"] == []
    assert booked_minutes(factory_x) == 0
    assert not Reservation.objects.filter(allocation=allocation).exists()

    nxt = mf.make_factory(name="Next")
    match_order(allocation.order_id, "declined")
    assert Allocation.objects.get(order=allocation.order, status=AllocationStatus.OFFERED).factory == nxt


@pytest.mark.parametrize(
    ("payload", "field"),
    [({}, "reason"), ({"reason": ""}, "reason"), ({"reason": "x" * 501}, "reason"), ({"reason": ["a"]}, "reason")],
)
def test_bad_decline_input_is_a_400_and_the_offer_stays(merchant_a, factory_x, payload, field):
    allocation = offer_to(merchant_a, factory_x)

    response = client_for(factory_x.owner).post(f"{OFFERS}{allocation.pk}/decline/", payload, format="json")

    assert_error(response, 400, field)
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.OFFERED


def test_accepting_an_expired_offer_is_a_409(merchant_a, factory_x):
    allocation = offer_to(merchant_a, factory_x)
    Allocation.objects.filter(pk=allocation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = client_for(factory_x.owner).post(f"{OFFERS}{allocation.pk}/accept/")

    assert_error(response, 409, "non_field_errors")
    assert response.json()["code"] == "offer_expired"
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.OFFERED
    assert allocation.order.status == OrderStatus.MATCHING


@pytest.mark.parametrize(("action", "payload"), [("accept", None), ("decline", {"reason": "not mine"})])
def test_another_factorys_offer_is_a_404_and_unchanged(merchant_a, factory_x, factory_y, action, payload):
    allocation = offer_to(merchant_a, factory_x)
    before = booked_minutes(factory_x)

    response = client_for(factory_y.owner).post(f"{OFFERS}{allocation.pk}/{action}/", payload, format="json")

    assert_error(response, 404, "non_field_errors")
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.OFFERED
    assert allocation.responded_at is None
    assert booked_minutes(factory_x) == before
    factory_y.refresh_from_db()
    assert factory_y.offers_answered == 0


def test_missing_offer_is_a_404(factory_x):
    assert client_for(factory_x.owner).post(f"{OFFERS}999999/accept/").status_code == 404


# --- jobs: list, progress, ship ----------------------------------------------------------------


def test_jobs_list_shows_committed_work_only(merchant_a, factory_x):
    job = accepted_job(merchant_a, factory_x)
    offer_to(merchant_a, factory_x)  # still an offer: not a job
    factory_y = mf.make_factory(name="Factory Y")
    client = client_for(factory_x.owner)

    body = client.get(JOBS).json()

    assert [j["id"] for j in body["results"]] == [job.pk]
    assert body["results"][0]["status"] == "accepted"
    assert body["results"][0]["progress"] == {}
    assert client.get(JOBS, {"status": "shipped"}).json()["count"] == 0
    assert_error(client.get(JOBS, {"status": "offered"}), 400, "status")
    assert client_for(factory_y.owner).get(JOBS).json()["count"] == 0


def test_progress_reports_start_production_and_add_up(merchant_a, factory_x):
    job = accepted_job(merchant_a, factory_x)
    client = client_for(factory_x.owner)
    url = f"{JOBS}{job.pk}/progress/"

    first = client.post(url, {"stage": "cut", "quantity": 150, "note": "first bundle"}, format="json")
    second = client.post(url, {"stage": "cut", "quantity": 50}, format="json")
    qc = client.post(url, {"stage": "qc", "quantity": 100, "defects": 4}, format="json")

    assert first.status_code == second.status_code == qc.status_code == 201, first.content
    assert first.json()["allocation_status"] == "in_production"
    assert first.json()["note"] == "first bundle"
    assert qc.json()["totals"] == {"cut": {"quantity": 200, "defects": 0}, "qc": {"quantity": 100, "defects": 4}}
    job.refresh_from_db()
    assert job.status == AllocationStatus.IN_PRODUCTION
    assert job.order.status == OrderStatus.IN_PRODUCTION
    factory_x.refresh_from_db()
    assert (factory_x.qc_pieces, factory_x.qc_defects) == (100, 4)
    assert client.get(JOBS).json()["results"][0]["progress"]["cut"] == {"quantity": 200, "defects": 0}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"quantity": 10}, "stage"),
        ({"stage": "dye", "quantity": 10}, "stage"),
        ({"stage": "cut"}, "quantity"),
        ({"stage": "cut", "quantity": -1}, "quantity"),
        ({"stage": "cut", "quantity": 0}, "quantity"),
        ({"stage": "cut", "quantity": "ten"}, "quantity"),
        ({"stage": "cut", "quantity": 201}, "quantity"),
        ({"stage": "qc", "quantity": 10, "defects": -1}, "defects"),
        ({"stage": "qc", "quantity": 10, "defects": 11}, "defects"),
        ({"stage": "cut", "quantity": 10, "note": "n" * 501}, "note"),
    ],
)
def test_bad_progress_input_is_a_400_naming_the_field(merchant_a, factory_x, payload, field):
    job = accepted_job(merchant_a, factory_x)  # 200 pieces

    response = client_for(factory_x.owner).post(f"{JOBS}{job.pk}/progress/", payload, format="json")

    assert_error(response, 400, field)
    assert not ProgressReport.objects.exists()
    job.refresh_from_db()
    assert job.status == AllocationStatus.ACCEPTED


def test_progress_beyond_what_is_left_is_a_400(merchant_a, factory_x):
    job = accepted_job(merchant_a, factory_x)
    client = client_for(factory_x.owner)
    client.post(f"{JOBS}{job.pk}/progress/", {"stage": "sew", "quantity": 150}, format="json")

    response = client.post(f"{JOBS}{job.pk}/progress/", {"stage": "sew", "quantity": 51}, format="json")

    assert_error(response, 400, "quantity")
    assert response.json()["error_codes"]["quantity"] == ["exceeds_allocation"]
    assert ProgressReport.objects.filter(allocation=job).count() == 1


def test_progress_on_a_declined_offer_is_a_409(merchant_a, factory_x):
    allocation = offer_to(merchant_a, factory_x)
    client = client_for(factory_x.owner)
    client.post(f"{OFFERS}{allocation.pk}/decline/", {"reason": "no"}, format="json")

    response = client.post(f"{JOBS}{allocation.pk}/progress/", {"stage": "cut", "quantity": 10}, format="json")

    assert_error(response, 409, "non_field_errors")
    assert not ProgressReport.objects.exists()


def test_another_factorys_job_is_a_404_for_progress_and_ship(merchant_a, factory_x, factory_y):
    job = accepted_job(merchant_a, factory_x)
    other = client_for(factory_y.owner)

    progress = other.post(f"{JOBS}{job.pk}/progress/", {"stage": "cut", "quantity": 10}, format="json")
    ship = other.post(f"{JOBS}{job.pk}/ship/", {"carrier": "SF", "tracking": "1"}, format="json")

    assert_error(progress, 404, "non_field_errors")
    assert_error(ship, 404, "non_field_errors")
    job.refresh_from_db()
    assert job.status == AllocationStatus.ACCEPTED and job.carrier == ""
    assert job.order.status == OrderStatus.CONFIRMED
    assert not ProgressReport.objects.exists()


def test_shipping_every_share_ships_the_order(merchant_a, factory_x):
    job = accepted_job(merchant_a, factory_x)

    response = client_for(factory_x.owner).post(
        f"{JOBS}{job.pk}/ship/", {"carrier": "SF Express", "tracking": "SF1234567"}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "shipped"
    assert (body["carrier"], body["tracking"]) == ("SF Express", "SF1234567")
    assert body["shipped_at"]
    job.refresh_from_db()
    assert job.order.status == OrderStatus.SHIPPED
    detail = client_for(merchant_a.owner).get(f"/api/v1/orders/{job.order_id}/").json()
    assert detail["allocations"][0]["tracking"] == "SF1234567"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"tracking": "1"}, "carrier"),
        ({"carrier": "SF"}, "tracking"),
        ({"carrier": "", "tracking": "1"}, "carrier"),
        ({"carrier": "SF", "tracking": "t" * 101}, "tracking"),
    ],
)
def test_bad_ship_input_is_a_400(merchant_a, factory_x, payload, field):
    job = accepted_job(merchant_a, factory_x)
    response = client_for(factory_x.owner).post(f"{JOBS}{job.pk}/ship/", payload, format="json")
    assert_error(response, 400, field)
    job.refresh_from_db()
    assert job.status == AllocationStatus.ACCEPTED


def test_shipping_an_unaccepted_offer_is_a_409(merchant_a, factory_x):
    allocation = offer_to(merchant_a, factory_x)
    response = client_for(factory_x.owner).post(
        f"{JOBS}{allocation.pk}/ship/", {"carrier": "SF", "tracking": "1"}, format="json"
    )
    assert_error(response, 409, "non_field_errors")
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.OFFERED


def test_oversized_progress_body_is_a_413(merchant_a, factory_x, settings):
    job = accepted_job(merchant_a, factory_x)
    body = json.dumps({"stage": "cut", "quantity": 1, "note": "n" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})

    response = client_for(factory_x.owner).post(f"{JOBS}{job.pk}/progress/", body, content_type="application/json")

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert not ProgressReport.objects.exists()
