"""One truth for progress: phone reports and floor scans feed the same StageTotal, which the merchant,
the factory's pages and deadline risk all read."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from floor import services
from floor.models import Bulletin
from matching import services as matching
from orders.events import ALLOCATION_STATUS_CHANGED
from orders.models import Allocation, StageTotal
from orders.services import allocation_report_progress
from tests import model_factories as mf
from tests.conftest import client_for
from tests.floor import helpers as h
from tests.outbox import run_outbox
from web import selectors as web_selectors

pytestmark = pytest.mark.django_db


def merchant_view(merchant, allocation):  # type: ignore[no-untyped-def]
    body = client_for(merchant.owner).get(f"/api/v1/orders/{allocation.order_id}/").json()
    return next(a["progress"] for a in body["allocations"] if a["id"] == allocation.pk)


def test_a_factory_that_only_scans_shows_its_progress_to_the_merchant(merchant_a, factory_x):
    h.floor_setup(factory_x)
    allocation = h.accepted_allocation(merchant_a, factory_x, quantity=1000)
    client, _ = h.device_client(factory_x)
    ops = h.operations(allocation)
    at = timezone.now() - timedelta(minutes=10)

    batch = [h.event(allocation, op.code, quantity=50, at=at) for op in ops]
    h.post_events(client, batch)

    stages = {op.stage for op in ops}
    shown = merchant_view(merchant_a, allocation)
    assert {stage: row["quantity"] for stage, row in shown.items()} == dict.fromkeys(stages, 50)
    page = web_selectors.progress_for([allocation])[allocation.pk]  # the factory's job page
    assert {s.stage: s.done for s in page.stages if s.stage in stages} == dict.fromkeys(stages, 50)
    # A resent batch is a duplicate and changes nothing.
    h.post_events(client, batch)
    assert {t.stage: t.pieces for t in StageTotal.objects.filter(allocation=allocation)} == dict.fromkeys(stages, 50)


def test_a_factory_that_only_reports_by_phone_gets_a_projection_not_a_false_no_output(merchant_a, factory_x):
    allocation = h.accepted_allocation(merchant_a, factory_x, quantity=1000)
    # Production started two days ago; no scan ever, only phone reports.
    Allocation.objects.filter(pk=allocation.pk).update(
        start_date=timezone.localdate() - timedelta(days=2), ship_by=timezone.localdate() + timedelta(days=30)
    )
    for stage in ("cut", "sew", "finish", "qc", "pack"):
        allocation_report_progress(allocation_id=allocation.pk, factory=factory_x, stage=stage, quantity=400)

    projection = services.allocation_projection(allocation=Allocation.objects.get(pk=allocation.pk))

    assert projection.reason is None  # on time by its own reports: no "no output" risk
    assert projection.remaining_pieces == 600
    assert projection.minutes_per_day > Decimal("0") and projection.projected_date is not None
    assert services.deadline_risks_assess(factory=factory_x) == []
    assert merchant_view(merchant_a, allocation)["sew"]["quantity"] == 400


def test_phone_and_scans_together_show_the_larger_figure_per_stage(merchant_a, factory_x):
    h.floor_setup(factory_x)
    allocation = h.accepted_allocation(merchant_a, factory_x, quantity=500)
    client, _ = h.device_client(factory_x)
    ops = h.operations(allocation)
    allocation_report_progress(allocation_id=allocation.pk, factory=factory_x, stage="cut", quantity=120)
    h.post_events(client, [h.event(allocation, op.code, quantity=80) for op in ops])

    shown = merchant_view(merchant_a, allocation)
    assert shown["cut"]["quantity"] == 120  # the phone said more
    sew_ops = [op for op in ops if op.stage == "sew"]
    if sew_ops:
        assert shown["sew"]["quantity"] == 80  # only the scans saw sewing


def test_other_tenants_allocation_cannot_be_reported(merchant_a, factory_x, factory_y):
    allocation = h.accepted_allocation(merchant_a, factory_x)
    with pytest.raises(Allocation.DoesNotExist):
        allocation_report_progress(allocation_id=allocation.pk, factory=factory_y, stage="cut", quantity=1)
    assert not StageTotal.objects.exists()


def test_an_accepted_share_gets_its_bulletin_copy_after_commit(merchant_a, factory_x):
    order = mf.make_order(merchant_a)
    matching.order_match(order_id=order.pk)
    offer = Allocation.objects.get(order=order)
    assert not Bulletin.objects.filter(order=order).exists()

    matching.offer_accept(allocation_id=offer.pk, factory=factory_x)
    run_outbox(ALLOCATION_STATUS_CHANGED)

    bulletin = Bulletin.objects.get(order=order)
    assert bulletin.operations.exists()
    run_outbox(ALLOCATION_STATUS_CHANGED)  # a second run changes nothing
    assert Bulletin.objects.filter(order=order).count() == 1
