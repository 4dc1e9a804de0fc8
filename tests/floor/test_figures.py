"""Exact wages, efficiency, live capacity, payroll exports, CSV upload, QC by AQL, material gating, deadline risk."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from factories.models import CapacityDay
from floor import selectors, services
from floor.bulletin_data import BULLETINS
from floor.models import DeadlineRisk, FloorEvent, RiskStatus
from floor.services.quality import aql_plan
from matching.capacity import capacity_reserve
from orders.models import Allocation, AllocationStatus, OrderEvent
from tests import model_factories as mf
from tests.floor import helpers as h

pytestmark = pytest.mark.django_db


def at_local(day, hh: int, mm: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hh, mm)))


@pytest.fixture
def yesterday():  # type: ignore[no-untyped-def]
    return timezone.localdate() - timedelta(days=1)


@pytest.fixture
def floor(merchant_a, factory_x):  # type: ignore[no-untyped-def]
    h.floor_setup(factory_x)
    allocation = h.accepted_allocation(merchant_a, factory_x, quantity=1000)
    client, _ = h.device_client(factory_x)
    ops = {o.code: o for o in h.operations(allocation)}
    return factory_x, allocation, client, ops


def test_default_bulletins_sum_to_the_category_sam(merchant_a):
    from factories.catalog_data import CATEGORIES

    sams = {code: Decimal(sam) for code, _, sam in CATEGORIES}
    for category, operations in BULLETINS.items():
        assert sum(Decimal(op[3]) for op in operations) == sams[category], category
    order = mf.make_order(merchant_a, category="jeans", fabric="knit", sam=None)
    assert services.order_bulletin_sam(order) == Decimal("18.00")
    services.bulletin_replace_operations(
        order=order,
        operations=[
            services.OperationInput(code="fly_zip", name="Fly", machine="lockstitch", sam=Decimal("2.5")),
            services.OperationInput(code="hem", name="Hem", machine="lockstitch", sam=Decimal("1.0")),
        ],
    )
    assert services.order_bulletin_sam(order) == Decimal("3.500")
    assert services.order_bulletin_sam(mf.make_order(merchant_a, category="jeans", fabric="knit")) == Decimal("18.00")


def test_wages_and_line_efficiency_are_exact(floor, yesterday):
    factory, allocation, client, ops = floor
    services.piece_rate_set(factory=factory, operation_id=ops["shoulder_join"].pk, rate=Decimal("0.12"))
    services.piece_rate_set(factory=factory, operation_id=ops["neck_rib_attach"].pk, rate=Decimal("0.25"))
    services.shift_record(factory=factory, badge="B101", line="L1", day=yesterday, minutes=480)
    events = [
        h.event(allocation, "shoulder_join", worker="B101", quantity=60, defects=5, at=at_local(yesterday, 9)),
        h.event(allocation, "shoulder_join", worker="B101", quantity=40, at=at_local(yesterday, 11)),
        h.event(allocation, "neck_rib_attach", worker="B101", quantity=40, at=at_local(yesterday, 15)),
        # B102 has no shift record: attendance is the span of the scans, 08:00 to 10:00.
        h.event(allocation, "shoulder_join", worker="B102", quantity=20, at=at_local(yesterday, 8)),
        h.event(allocation, "shoulder_join", worker="B102", quantity=30, at=at_local(yesterday, 10)),
    ]
    assert h.post_events(client, events).json()["accepted"] == 5

    rows = {r.badge: r for r in selectors.worker_days(factory=factory, start=yesterday, end=yesterday)}
    assert rows["B101"].wage == Decimal("21.40")  # 0.12 x 95 good + 0.25 x 40
    assert rows["B101"].earned_minutes == Decimal("101.000")  # 0.6 x 95 + 1.1 x 40
    assert rows["B101"].pieces == 140 and rows["B101"].defects == 5
    assert rows["B102"].wage == Decimal("6.00") and rows["B102"].earned_minutes == Decimal("30.000")

    (line,) = selectors.line_efficiency(factory=factory, start=yesterday, end=yesterday)
    assert line.earned_minutes == Decimal("131.000")
    assert line.attended_minutes == Decimal("600")  # 480 recorded + 120 scan span
    assert line.efficiency == Decimal("0.2183")

    owner = APIClient()
    owner.credentials(**mf.auth_header(factory.owner))
    period = f"start={yesterday}&end={yesterday}"
    csv_body = owner.get(f"/api/v1/floor/payroll/?{period}&export=csv").content.decode()
    assert csv_body.splitlines() == [
        "badge,name,day,pieces,defects,earned_minutes,wage_cny",
        f"B101,Worker 1-1,{yesterday},140,5,101.000,21.40",
        f"B102,Worker 1-2,{yesterday},50,0,30.000,6.00",
    ]
    xlsx = owner.get(f"/api/v1/floor/payroll/?{period}&export=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(xlsx.content))
    assert [c.value for c in book["Days"][2]][:5] == ["B101", "Worker 1-1", datetime.combine(yesterday, time()), 140, 5]
    assert Decimal(str(book["Totals"]["E2"].value)) == Decimal("21.40")
    trend = owner.get(f"/api/v1/floor/efficiency-trend/?{period}").json()["days"]
    assert trend == [
        {"day": str(yesterday), "earned_minutes": "131.000", "attended_minutes": "600.0", "efficiency": "0.2183"}
    ]
    first = owner.get(f"/api/v1/floor/payroll/?{period}&page_size=1").json()
    assert first["count"] == 2 and first["next"] and first["previous"] is None
    assert [r["badge"] for r in first["rows"]] == ["B101"]
    second = owner.get(first["next"]).json()
    assert [r["badge"] for r in second["rows"]] == ["B102"]
    assert first["totals"] == second["totals"]  # the whole period, whatever the page
    assert set(first["totals"]) == {"B101", "B102"}
    stranger = APIClient()
    stranger.credentials(**mf.auth_header(mf.make_merchant().owner))
    assert stranger.get(f"/api/v1/floor/payroll/?{period}").status_code == 403


def test_csv_upload_by_the_factory_account(floor, yesterday):
    factory, allocation, _, _ = floor
    csv_text = "event_id,allocation,operation,worker,line,quantity,defects,at\n"
    csv_text += f"c1,{allocation.pk},shoulder_join,B101,L1,12,1,{at_local(yesterday, 9).isoformat()}\n"
    csv_text += f"c2,{allocation.pk},shoulder_join,B101,L1,-4,0,{at_local(yesterday, 9).isoformat()}\n"
    csv_text += f"c3,{allocation.pk},neck_rib_attach,B102,L1,8,,{at_local(yesterday, 10).isoformat()}\n"
    owner = APIClient()
    owner.credentials(**mf.auth_header(factory.owner))

    first = owner.post("/api/v1/floor/events/csv/", data=csv_text, content_type="text/csv")
    again = owner.post("/api/v1/floor/events/csv/", data=csv_text, content_type="text/csv")

    assert first.status_code == 207
    assert first.json() == {
        "accepted": 2,
        "duplicates": 0,
        "rejected": 1,
        "errors": [{"index": 1, "field": "quantity", "reason": "negative"}],
    }
    assert again.json()["accepted"] == 0 and again.json()["duplicates"] == 2
    assert FloorEvent.objects.filter(factory=factory).count() == 2
    bad = owner.post("/api/v1/floor/events/csv/", data="event_id,quantity\nx,1\n", content_type="text/csv")
    assert bad.status_code == 400 and bad.json()["errors"]["columns"]


def test_sewing_waits_for_material(floor):
    factory, allocation, client, _ = floor
    services.material_requirement_set(
        factory=factory, allocation_id=allocation.pk, code="jersey", name="Cotton jersey", per_piece=Decimal("1.2")
    )
    refused = h.post_events(client, [h.event(allocation, "shoulder_join", quantity=5)]).json()
    assert refused["errors"] == [{"index": 0, "field": "allocation", "reason": "material_not_received"}]

    services.material_receipt_record(
        factory=factory, allocation_id=allocation.pk, code="jersey", quantity=Decimal("60")
    )
    batch = [h.event(allocation, "shoulder_join", quantity=q) for q in (30, 30, 20)]  # 60 m covers 50 pieces
    result = h.post_events(client, batch).json()
    assert result["accepted"] == 2
    assert result["errors"] == [{"index": 1, "field": "allocation", "reason": "material_not_received"}]
    status = selectors.material_status(allocation=allocation)
    assert status["materials"][0]["covers_pieces"] == 50 and status["sewn"] == 50
    assert status["materials"][0]["consumed"] == "60.0000" and status["materials"][0]["short"] == "1140.0000"

    services.material_receipt_record(
        factory=factory, allocation_id=allocation.pk, code="jersey", quantity=Decimal("36")
    )
    assert h.post_events(client, [h.event(allocation, "shoulder_join", quantity=30)]).json()["accepted"] == 1


@pytest.mark.parametrize(
    ("lot", "plan"),
    [(3, (3, 0)), (20, (5, 0)), (40, (5, 0)), (80, (20, 1)), (100, (20, 1)), (200, (32, 2)), (500, (50, 3)),
     (1000, (80, 5)), (3000, (125, 7)), (5000, (200, 10)), (20000, (315, 14)), (100000, (500, 21)),
     (600000, (500, 21))],
)  # fmt: skip
def test_aql_2_5_level_ii_plans(lot, plan):
    assert aql_plan(lot) == plan


def test_qc_inspection_feeds_quality_counters(floor):
    factory, allocation, _, _ = floor
    allocation.status = AllocationStatus.IN_PRODUCTION
    allocation.save()
    owner = APIClient()
    owner.credentials(**mf.auth_header(factory.owner))
    url = f"/api/v1/floor/allocations/{allocation.pk}/qc/"
    failed = owner.post(
        url, {"lot_size": 500, "defects": {"broken_stitch": 2, "stain": 2}, "line": "L1"}, format="json"
    )
    passed = owner.post(url, {"lot_size": 100, "defects": {"open_seam": 1}, "line": "L2"}, format="json")
    assert failed.status_code == 201
    assert {k: failed.json()[k] for k in ("sample_size", "accept_number", "defects_found", "result")} == {
        "sample_size": 50, "accept_number": 3, "defects_found": 4, "result": "fail",
    }  # fmt: skip
    assert passed.json()["result"] == "pass"
    factory.refresh_from_db()
    assert (factory.qc_pieces, factory.qc_defects) == (70, 5)
    rates = owner.get("/api/v1/floor/quality/").json()
    assert rates["factory"] == {"sampled": 70, "defects": 5, "rate": "0.9286"}
    assert rates["lines"] == [
        {"line": "L1", "sampled": 50, "defects": 4, "rate": "0.9200"},
        {"line": "L2", "sampled": 20, "defects": 1, "rate": "0.9500"},
    ]
    assert owner.post(url, {"lot_size": 10, "defects": {"nope": 1}}, format="json").status_code == 400


def test_live_capacity_blends_measured_with_declared_and_applies_it(merchant_a, factory_x):
    """10 operators x 480 min, declared 0.50; today ten workers earn 384 of 480 shift minutes (0.80).
    Prior = 2 days x 4,800 attended minutes at 0.50: (0.5 x 9600 + 3840) / (9600 + 4800) = 0.6."""
    h.floor_setup(factory_x, lines=1, workers_per_line=10)
    allocation = h.accepted_allocation(merchant_a, factory_x, quantity=8000)
    client, _ = h.device_client(factory_x)
    # The scans fall in the first minutes of a platform day that began at least an hour ago, so they
    # all belong to `today` and none lies in the future, whatever the hour the suite runs at.
    today = timezone.localdate(timezone.now() - timedelta(hours=1))
    midnight = timezone.make_aware(datetime.combine(today, time.min))
    events = []
    for w in range(1, 11):
        badge = f"B1{w:02d}"
        services.shift_record(factory=factory_x, badge=badge, line="L1", day=today, minutes=480)
        events += [
            h.event(allocation, "shoulder_join", worker=badge, quantity=64, at=midnight + timedelta(minutes=1 + i))
            for i in range(10)
        ]
    assert h.post_events(client, events).json()["accepted"] == 100
    estimate = services.efficiency_estimate(factory=factory_x, today=today)
    assert estimate.measured == Decimal("0.8000")
    assert estimate.smoothed == Decimal("0.6000")

    record = services.factory_apply_live_capacity(factory=factory_x, today=today, horizon_days=6)
    assert record.smoothed_efficiency == Decimal("0.6000") and record.days_changed == 7
    days = CapacityDay.objects.filter(factory=factory_x, day__gte=today, day__lte=today + timedelta(days=6))
    assert sorted({d.capacity_minutes for d in days}) == [2880]

    admin = APIClient()
    admin.credentials(**mf.auth_header(mf.make_admin()))
    body = admin.get(f"/api/v1/factories/{factory_x.pk}/live-capacity/").json()
    assert body["declared_efficiency"] == "0.50" and body["measured_efficiency"] == "0.8000"
    assert body["declared_daily_minutes"] == 2400 and body["applied"]["days_changed"] == 7


def test_a_capacity_drop_reroutes_what_no_longer_fits(merchant_a, merchant_b, factory_x):
    h.floor_setup(factory_x, lines=1, workers_per_line=10)
    running = h.accepted_allocation(merchant_a, factory_x, quantity=8000)
    client, _ = h.device_client(factory_x)
    now = timezone.now()
    today = timezone.localdate(now - timedelta(minutes=30))
    for w in range(1, 11):
        services.shift_record(factory=factory_x, badge=f"B1{w:02d}", line="L1", day=today, minutes=480)
    # 480 earned of 4,800 attended (0.10): (4800 + 480) / 14400 = 0.3667 -> 1,760 minutes a day.
    events = [
        h.event(running, "shoulder_join", worker=f"B1{w:02d}", quantity=80, at=now - timedelta(minutes=30))
        for w in range(1, 11)
    ]
    assert h.post_events(client, events).json()["accepted"] == 10
    order = mf.make_order(merchant_b, quantity=200)
    offered = Allocation.objects.create(
        order=order, factory=factory_x, quantity=200, unit_price=Decimal("20"), status=AllocationStatus.OFFERED,
        expires_at=now + timedelta(hours=1),
    )  # fmt: skip
    capacity_reserve(allocation=offered, days=[(today + timedelta(days=1), 2000)])

    services.factory_apply_live_capacity(factory=factory_x, today=today, horizon_days=3)

    offered.refresh_from_db()
    assert offered.status == AllocationStatus.WITHDRAWN
    tomorrow = CapacityDay.objects.get(factory=factory_x, day=today + timedelta(days=1))
    assert (tomorrow.capacity_minutes, tomorrow.reserved_minutes) == (1760, 0)


def test_deadline_risk_is_flagged_listed_and_reroute_requested(floor, admin_user, merchant_b):
    factory, allocation, client, ops = floor
    Allocation.objects.filter(pk=allocation.pk).update(ship_by=timezone.localdate() + timedelta(days=2))
    # Today's scans, even just after midnight (ten minutes ago would be yesterday: two days of run rate).
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    at = max(timezone.now() - timedelta(minutes=10), midnight + timedelta(seconds=1))
    # 50 pieces through every operation today: 500 standard minutes a day against 9,500 still to do.
    h.post_events(client, [h.event(allocation, code, quantity=50, at=at) for code in ops])

    (risk,) = services.deadline_risks_assess(factory=factory)

    assert risk.reason == "run_rate" and risk.remaining_pieces == 950
    assert risk.minutes_per_day == Decimal("500.00")
    assert OrderEvent.objects.filter(order=allocation.order, kind="deadline_risk").count() == 1
    services.deadline_risks_assess(factory=factory)
    assert OrderEvent.objects.filter(order=allocation.order, kind="deadline_risk").count() == 1

    admin = APIClient()
    admin.credentials(**mf.auth_header(admin_user))
    listed = admin.get("/api/v1/floor/deadline-risks/").json()["results"]
    assert [r["allocation"] for r in listed] == [allocation.pk]
    merchant = APIClient()
    merchant.credentials(**mf.auth_header(merchant_b.owner))
    assert merchant.post(f"/api/v1/floor/deadline-risks/{risk.pk}/reroute/").status_code == 404
    merchant.credentials(**mf.auth_header(allocation.order.merchant.owner))
    assert merchant.post(f"/api/v1/floor/deadline-risks/{risk.pk}/reroute/").json()["status"] == "reroute_requested"
    assert DeadlineRisk.objects.get(pk=risk.pk).status == RiskStatus.REROUTE_REQUESTED


def test_material_shortage_raises_deadline_risk(floor):
    factory, allocation, client, ops = floor
    Allocation.objects.filter(pk=allocation.pk).update(ship_by=timezone.localdate() + timedelta(days=30))
    at = timezone.now() - timedelta(minutes=10)
    assert h.post_events(client, [h.event(allocation, code, quantity=200, at=at) for code in ops]).json()["accepted"]
    assert services.deadline_risks_assess(factory=factory) == []  # 2,000 minutes a day: 4 more days
    services.material_requirement_set(
        factory=factory, allocation_id=allocation.pk, code="jersey", name="Jersey", per_piece=Decimal("1")
    )
    Allocation.objects.filter(pk=allocation.pk).update(ship_by=timezone.localdate() + timedelta(days=5))
    (risk,) = services.deadline_risks_assess(factory=factory)
    assert risk.reason == "material_shortage"
