"""The purchase order: issued when a share is confirmed, once, numbered, frozen, amended on a change of terms."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from pypdf import PdfReader

from contracts.events import PURCHASE_ORDER_ISSUED
from contracts.models import ImmutableDocument, PurchaseOrder
from contracts.services import purchase_order_amend, purchase_order_issue
from contracts.terms import allocation_breakdown
from marketplace.errors import IllegalTransition
from matching import services as matching
from notifications.models import Notification
from orders.events import ALLOCATION_STATUS_CHANGED, ALLOCATION_TERMS_CHANGED
from orders.models import Allocation, Stage
from orders.services import allocation_report_progress
from tests import model_factories as mf
from tests.conftest import client_for
from tests.outbox import run_outbox

pytestmark = pytest.mark.django_db

NUMBER = re.compile(r"^PO-\d{4}-\d{6}$")


def _offer(merchant, factory, **order_kwargs) -> Allocation:  # type: ignore[no-untyped-def]
    order = mf.make_order(merchant, **order_kwargs)
    matching.order_match(order_id=order.pk)
    offer = Allocation.objects.get(order=order)
    assert offer.factory_id == factory.pk
    return offer


def _confirmed(merchant, factory, **order_kwargs) -> Allocation:  # type: ignore[no-untyped-def]
    offer = _offer(merchant, factory, **order_kwargs)
    matching.offer_accept(allocation_id=offer.pk, factory=factory)
    run_outbox(ALLOCATION_STATUS_CHANGED)
    return Allocation.objects.select_related("order", "factory").get(pk=offer.pk)


def test_confirming_a_share_issues_its_purchase_order_with_the_agreed_terms(merchant_a, factory_x):
    allocation = _confirmed(merchant_a, factory_x, quantity=200, sizes={"S": 80, "M": 120}, price="25.00")

    (document,) = PurchaseOrder.objects.filter(allocation=allocation)
    assert NUMBER.match(document.number) and document.revision == 0 and document.amends is None
    t = document.terms
    assert t["buyer"]["name"] == "Shop A" and t["supplier"]["name"] == "Factory X"
    assert t["supplier"]["region"] == factory_x.region.name
    assert t["style"]["order_id"] == allocation.order_id and t["style"]["category"]["code"] == "tshirt"
    assert [p["code"] for p in t["style"]["processes"]] == ["cutting", "sewing"]
    assert t["quantity"] == 200 and t["breakdown"] == [{"colour": "", "sizes": {"S": 80, "M": 120}}]
    assert t["unit_price"] == f"{allocation.unit_price:.2f}" and t["currency"] == "CNY"
    total = allocation.unit_price * 200
    assert Decimal(t["total"]) == total
    assert allocation.ship_by is not None and t["ship_by"] == allocation.ship_by.isoformat()
    assert t["due_date"] == allocation.order.due_date.isoformat()
    assert t["quality"] == {
        "standard": "ISO 2859-1",
        "inspection_level": "II",
        "aql_critical": "0",
        "aql_major": "2.5",
        "aql_minor": "4.0",
    }
    assert Decimal(t["payment"]["deposit"]) == (total * Decimal("0.30")).quantize(Decimal("0.01"))
    assert Decimal(t["payment"]["deposit"]) + Decimal(t["payment"]["balance"]) == total
    assert t["payment"]["balance_due"] == "at_shipment" and t["payment"]["release"] == "on_receipt"
    assert Decimal(t["late_delivery"]["penalty_per_day"]) == (total * Decimal("0.005")).quantize(Decimal("0.01"))
    assert Decimal(t["late_delivery"]["cap"]) == (total * Decimal("0.10")).quantize(Decimal("0.01"))


def test_both_parties_are_told_once(merchant_a, factory_x):
    allocation = _confirmed(merchant_a, factory_x)
    run_outbox(PURCHASE_ORDER_ISSUED)
    run_outbox(PURCHASE_ORDER_ISSUED)
    told = Notification.objects.filter(kind="purchase_order.issued").order_by("recipient_id")
    assert {n.recipient_id for n in told} == {merchant_a.owner_id, factory_x.owner_id}
    assert told.count() == 2
    document = PurchaseOrder.objects.get(allocation=allocation)
    assert all(n.data["number"] == document.number for n in told)
    urls = {n.recipient_id: n.url for n in told}
    assert urls[merchant_a.owner_id] == f"/orders/{allocation.order_id}/"
    assert urls[factory_x.owner_id] == f"/factory/jobs/{allocation.pk}/"


def test_issuing_is_idempotent_and_numbers_follow_each_other(merchant_a, factory_x):
    first = _confirmed(merchant_a, factory_x)
    run_outbox(ALLOCATION_STATUS_CHANGED)  # a retried handler
    document = PurchaseOrder.objects.get(allocation=first)
    assert purchase_order_issue(allocation=first) == document
    assert PurchaseOrder.objects.filter(allocation=first).count() == 1

    second = _confirmed(merchant_a, factory_x)
    following = PurchaseOrder.objects.get(allocation=second)
    serial = int(document.number.rsplit("-", 1)[1])
    assert following.number == f"{document.number.rsplit('-', 1)[0]}-{serial + 1:06d}"


def test_an_offer_not_yet_accepted_has_no_purchase_order(merchant_a, factory_x):
    offer = _offer(merchant_a, factory_x)
    run_outbox()
    with pytest.raises(IllegalTransition) as refused:
        purchase_order_issue(allocation=offer)
    assert refused.value.code == "share_not_confirmed"
    assert not PurchaseOrder.objects.exists()


def test_a_declined_offer_issues_nothing(merchant_a, factory_x):
    offer = _offer(merchant_a, factory_x)
    matching.offer_decline(allocation_id=offer.pk, factory=factory_x, reason="full")
    run_outbox()
    assert not PurchaseOrder.objects.exists()


def test_an_issued_document_cannot_change(merchant_a, factory_x):
    allocation = _confirmed(merchant_a, factory_x)
    document = PurchaseOrder.objects.get(allocation=allocation)
    frozen = dict(document.terms)

    document.terms = {**frozen, "unit_price": "1.00"}
    with pytest.raises(ImmutableDocument):
        document.save()
    with pytest.raises(ImmutableDocument):
        PurchaseOrder.objects.filter(pk=document.pk).update(reason="edited")
    with pytest.raises(ImmutableDocument):
        document.delete()
    with pytest.raises(ImmutableDocument):
        PurchaseOrder.objects.filter(pk=document.pk).delete()
    # Past the model, the database itself refuses.
    for sql in (
        "UPDATE contracts_purchaseorder SET terms = '{}'::jsonb WHERE id = %s",
        "DELETE FROM contracts_purchaseorder WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="immutable"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [document.pk])
    assert PurchaseOrder.objects.get(pk=document.pk).terms == frozen


def test_a_change_of_terms_issues_an_amendment_not_an_edit(merchant_a, factory_x):
    allocation = _confirmed(merchant_a, factory_x)
    original = PurchaseOrder.objects.get(allocation=allocation)
    assert purchase_order_amend(allocation=allocation, reason="nothing changed") is None

    # A later agreement (a counter-offer's price, a later ship-by date) changes the share's terms.
    assert allocation.ship_by is not None
    later = allocation.ship_by + timedelta(days=2)
    Allocation.objects.filter(pk=allocation.pk).update(unit_price=Decimal("27.50"), ship_by=later)
    allocation.refresh_from_db()
    amendment = purchase_order_amend(allocation=allocation, reason="Price agreed at 27.50")

    assert amendment is not None
    assert amendment.number == f"{original.number}-A1" and amendment.revision == 1
    assert amendment.amends == original and amendment.base_number == original.number
    assert amendment.terms["unit_price"] == "27.50" and amendment.terms["ship_by"] == later.isoformat()
    assert Decimal(amendment.terms["total"]) == Decimal("27.50") * allocation.quantity
    assert PurchaseOrder.objects.get(pk=original.pk).terms == original.terms  # the original stands as issued

    Allocation.objects.filter(pk=allocation.pk).update(unit_price=Decimal("28.00"))
    second = purchase_order_amend(allocation=allocation, reason="again")
    assert second is not None and second.number == f"{original.number}-A2" and second.amends == original
    run_outbox(PURCHASE_ORDER_ISSUED)
    numbers = set(Notification.objects.filter(kind="purchase_order.issued").values_list("data__number", flat=True))
    assert numbers == {original.number, amendment.number, second.number}


def test_a_share_that_keeps_part_of_its_quantity_after_a_reroute_gets_an_amendment(merchant_a, factory_x):
    allocation = _confirmed(merchant_a, factory_x, quantity=200, sizes={"S": 80, "M": 120})
    original = PurchaseOrder.objects.get(allocation=allocation)
    allocation_report_progress(allocation_id=allocation.pk, factory=factory_x, stage=Stage.CUT, quantity=50)

    matching.allocation_reroute_rest(allocation_id=allocation.pk, keep_quantity=50, reason="Running late.")
    run_outbox(ALLOCATION_TERMS_CHANGED)
    run_outbox(ALLOCATION_TERMS_CHANGED)  # a retried handler issues nothing more

    (amendment,) = PurchaseOrder.objects.filter(allocation=allocation, revision__gt=0)
    assert amendment.number == f"{original.number}-A1" and amendment.reason.startswith("Running late.")
    assert amendment.terms["quantity"] == 50 and sum(amendment.terms["breakdown"][0]["sizes"].values()) == 50
    assert Decimal(amendment.terms["total"]) == allocation.unit_price * 50
    assert PurchaseOrder.objects.get(pk=original.pk).terms["quantity"] == 200


def test_a_withdrawn_share_is_not_amended(merchant_a, factory_x):
    allocation = _confirmed(merchant_a, factory_x)
    allocation_report_progress(allocation_id=allocation.pk, factory=factory_x, stage=Stage.CUT, quantity=5)
    matching.allocation_reroute_rest(allocation_id=allocation.pk, keep_quantity=0, reason="Gone elsewhere.")
    Allocation.objects.filter(pk=allocation.pk).update(unit_price=Decimal("99.00"))
    with pytest.raises(IllegalTransition):
        purchase_order_amend(allocation=allocation, reason="too late")
    assert PurchaseOrder.objects.filter(allocation=allocation).count() == 1


def test_the_breakdown_reads_a_colour_grid_when_the_share_has_one(merchant_a, factory_x):
    allocation = _confirmed(merchant_a, factory_x, quantity=100, sizes={"M": 100})
    assert allocation_breakdown(allocation) == [{"colour": "", "sizes": {"M": 100}}]
    allocation.breakdown = [{"colour": "black", "sizes": {"M": 60}}, {"colour": "white", "sizes": {"M": 40}}]  # type: ignore[attr-defined]
    assert allocation_breakdown(allocation) == [
        {"colour": "black", "sizes": {"M": 60}},
        {"colour": "white", "sizes": {"M": 40}},
    ]


# --- the API ----------------------------------------------------------------------------------


def test_the_parties_and_admins_read_the_purchase_order(merchant_a, factory_x, admin_user):
    allocation = _confirmed(merchant_a, factory_x)
    document = PurchaseOrder.objects.get(allocation=allocation)
    for user in (merchant_a.owner, factory_x.owner, admin_user):
        response = client_for(user).get(f"/api/v1/allocations/{allocation.pk}/purchase-order/")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["number"] == document.number == body["current_number"]
        assert body["revision"] == 0 and body["amendments"] == []
        assert body["terms"] == document.terms
        assert body["pdf_url"] == f"/api/v1/allocations/{allocation.pk}/purchase-order.pdf"


def test_an_amendment_shows_as_the_terms_in_force(merchant_a, factory_x):
    allocation = _confirmed(merchant_a, factory_x)
    original = PurchaseOrder.objects.get(allocation=allocation)
    Allocation.objects.filter(pk=allocation.pk).update(unit_price=Decimal("30.00"))
    purchase_order_amend(allocation=allocation, reason="Price agreed at 30.00")

    body = client_for(merchant_a.owner).get(f"/api/v1/allocations/{allocation.pk}/purchase-order/").json()
    assert body["number"] == original.number and body["revision"] == 1
    assert body["current_number"] == f"{original.number}-A1"
    assert body["terms"]["unit_price"] == "30.00"
    (amendment,) = body["amendments"]
    assert amendment["reason"] == "Price agreed at 30.00" and amendment["terms"]["unit_price"] == "30.00"


def test_nobody_else_sees_it(merchant_a, merchant_b, factory_x, factory_y, api):
    allocation = _confirmed(merchant_a, factory_x)
    for path in ("purchase-order/", "purchase-order.pdf"):
        url = f"/api/v1/allocations/{allocation.pk}/{path}"
        for outsider in (merchant_b.owner, factory_y.owner):
            response = client_for(outsider).get(url)
            assert response.status_code == 404
            assert response.json()["code"] == "not_found"
            assert "Shop A" not in response.content.decode()
        assert api.get(url).status_code == 401


def test_no_purchase_order_yet_is_a_404_with_its_own_code(merchant_a, factory_x):
    offer = _offer(merchant_a, factory_x)
    for path in ("purchase-order/", "purchase-order.pdf"):
        response = client_for(merchant_a.owner).get(f"/api/v1/allocations/{offer.pk}/{path}")
        assert response.status_code == 404
        body = response.json()
        assert body["code"] == "purchase_order_not_issued"
        assert set(body) == {"code", "message", "errors", "error_codes"}


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_states_the_terms_in_english_and_chinese(merchant_a, factory_x):
    allocation = _confirmed(merchant_a, factory_x, quantity=200, sizes={"S": 80, "M": 120}, price="25.00")
    document = PurchaseOrder.objects.get(allocation=allocation)
    response = client_for(factory_x.owner).get(f"/api/v1/allocations/{allocation.pk}/purchase-order.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{document.number}.pdf"' in response["Content-Disposition"]
    text = _pdf_text(response.content)
    for expected in (
        "Purchase order",
        "采购订单",
        "Unit price",
        "单价",
        "Late delivery",
        "延迟交货",
        "质量检验",
        document.number,
        "Shop A",
        "Factory X",
        allocation.order.title,
        document.terms["unit_price"],
        document.terms["total"],
        document.terms["ship_by"],
        "2.5",
        "4.0",
        "120",
        "80",
    ):
        assert expected in text, expected


def test_the_pdf_of_an_earlier_revision_and_a_bad_revision(merchant_a, factory_x):
    allocation = _confirmed(merchant_a, factory_x)
    original = PurchaseOrder.objects.get(allocation=allocation)
    Allocation.objects.filter(pk=allocation.pk).update(unit_price=Decimal("31.00"))
    purchase_order_amend(allocation=allocation, reason="Price agreed at 31.00")
    client = client_for(merchant_a.owner)
    url = f"/api/v1/allocations/{allocation.pk}/purchase-order.pdf"

    current = _pdf_text(client.get(url).content)
    assert f"{original.number}-A1" in current and "31.00" in current and "修订" in current
    earlier = _pdf_text(client.get(url, {"revision": 0}).content)
    assert original.number in earlier and f"{original.number}-A1" not in earlier

    missing = client.get(url, {"revision": 7})
    assert missing.status_code == 404 and missing.json()["code"] == "revision_not_found"
    bad = client.get(url, {"revision": "x"})
    assert bad.status_code == 400 and "revision" in bad.json()["errors"]


# --- the pages --------------------------------------------------------------------------------


def test_the_order_page_and_the_job_page_link_the_pdf(merchant_a, factory_x, client):
    allocation = _confirmed(merchant_a, factory_x)
    document = PurchaseOrder.objects.get(allocation=allocation)
    pdf_url = f"/purchase-orders/{allocation.pk}.pdf"

    client.force_login(merchant_a.owner)
    page = client.get(f"/orders/{allocation.order_id}/").content.decode()
    assert document.number in page and pdf_url in page
    download = client.get(pdf_url)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"

    client.force_login(factory_x.owner)
    page = client.get(f"/factory/jobs/{allocation.pk}/").content.decode()
    assert document.number in page and pdf_url in page
    assert client.get(pdf_url).status_code == 200


def test_the_pages_hide_it_from_others(merchant_a, merchant_b, factory_x, client):
    allocation = _confirmed(merchant_a, factory_x)
    client.force_login(merchant_b.owner)
    assert client.get(f"/purchase-orders/{allocation.pk}.pdf").status_code == 404
    client.logout()
    assert client.get(f"/purchase-orders/{allocation.pk}.pdf").status_code == 302  # to the login page
