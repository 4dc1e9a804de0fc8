"""GET /orders/{id}/explanation/: admins see every candidate and its score terms; the order's merchant sees
outcomes, its own plan and the reasons counted, never another factory's name or id; factories get a 404."""

from __future__ import annotations

import pytest
from django.test import Client

from matching.models import MatchRun
from matching.serializers import reason_sentences
from matching.tasks import match_order
from tests import model_factories as mf
from tests.conftest import client_for

pytestmark = [
    pytest.mark.django_db,
    # No collectstatic in the test run: WhiteNoise warns that STATIC_ROOT is missing.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def explanation_url(order_id: int) -> str:
    return f"/api/v1/orders/{order_id}/explanation/"


@pytest.fixture
def market(db):  # type: ignore[no-untyped-def]
    """One factory that can make the order, and three that cannot for different reasons."""
    return {
        "chosen": mf.make_factory(name="Knit House"),
        "no_embroidery": mf.make_factory(name="Secret Plain Sewing Co", processes=("cutting", "sewing")),
        "denim": mf.make_factory(name="Secret Denim Works", categories=("jeans",), fabrics=("denim",)),
        "tiny": mf.make_factory(name="Secret Tiny Shop", processes=("cutting", "sewing", "embroidery"), max_qty=100),
    }


@pytest.fixture
def matched_order(merchant_a, market):  # type: ignore[no-untyped-def]
    market["chosen"].processes.add("embroidery")
    order = mf.make_order(merchant_a, processes=("cutting", "sewing", "embroidery"), quantity=200)
    match_order(order.pk, "test")
    assert order.allocations.get().factory == market["chosen"]
    return order


def test_admin_sees_every_candidate_with_terms_and_reasons(matched_order, market, admin_user):
    body = client_for(admin_user).get(explanation_url(matched_order.pk)).json()

    assert body["order"] == matched_order.pk and body["status"] == "matching"
    [run] = body["runs"]
    assert run["trigger"] == "test"
    assert run["outcome"] == "offered"
    assert run["duration_ms"] >= 0
    by_name = {c["factory_name"]: c for c in run["candidates"]}
    assert by_name["Knit House"]["status"] == "chosen"
    assert by_name["Knit House"]["factory_id"] == market["chosen"].pk
    assert set(by_name["Knit House"]["terms"]) >= {"price", "on_time"}
    assert by_name["Knit House"]["days"]
    assert by_name["Secret Plain Sewing Co"]["reason"] == "no_process"
    assert by_name["Secret Denim Works"]["reason"] == "no_category"
    assert by_name["Secret Tiny Shop"]["reason"] == "above_max_qty"
    assert run["reason_counts"] == {"above_max_qty": 1, "no_category": 1, "no_process:embroidery": 1}
    [share] = run["plan"]
    assert share["factory_id"] == market["chosen"].pk and share["quantity"] == 200
    assert "1 factory: lacks a required process (embroidery)" in run["reasons"]


def test_merchant_sees_outcome_plan_and_reasons_but_no_other_factory(matched_order, market, merchant_a):
    response = client_for(merchant_a.owner).get(explanation_url(matched_order.pk))

    assert response.status_code == 200
    [run] = response.json()["runs"]
    assert set(run) == {"id", "created_at", "outcome", "summary", "plan", "reasons"}
    assert run["outcome"] == "offered"
    assert "Knit House" in run["summary"]
    [share] = run["plan"]
    assert share["factory_name"] == "Knit House"
    assert "factory_id" not in share
    assert sorted(run["reasons"]) == [
        "1 factory: does not make this category",
        "1 factory: lacks a required process (embroidery)",
        "1 factory: order is above its maximum quantity",
    ]
    text = response.content.decode()
    assert "Secret" not in text
    assert "candidates" not in text and "factory_id" not in text


def test_unmatched_order_explains_why_in_sentences(merchant_a, market):
    order = mf.make_order(merchant_a, category="dress", fabric="silk")
    match_order(order.pk, "test")

    body = client_for(merchant_a.owner).get(explanation_url(order.pk)).json()

    assert body["status"] == "unmatched"
    assert "does not make this category" in body["unmatched_reason"]
    [run] = body["runs"]
    assert run["outcome"] == "unmatched"
    assert run["plan"] == []
    # Three make dresses but not in silk; the denim shop makes no dresses at all.
    assert run["reasons"] == ["3 factories: does not work this fabric", "1 factory: does not make this category"]
    assert "Secret" not in str(body) and "Knit House" not in str(body)


def test_an_order_never_matched_has_no_runs(merchant_a):
    order = mf.make_order(merchant_a)
    body = client_for(merchant_a.owner).get(explanation_url(order.pk)).json()
    assert body["runs"] == [] and body["status"] == "matching"


def test_runs_are_listed_in_order(merchant_a, market):
    order = mf.make_order(merchant_a, category="dress", fabric="silk")
    match_order(order.pk, "test")
    client_for(merchant_a.owner).post(f"/api/v1/orders/{order.pk}/rematch/")
    match_order(order.pk, "rematch")
    runs = client_for(merchant_a.owner).get(explanation_url(order.pk)).json()["runs"]
    assert [r["id"] for r in runs] == list(
        MatchRun.objects.filter(order=order).order_by("id").values_list("pk", flat=True)
    )
    assert len(runs) == 2


def test_another_merchant_and_factories_get_a_404(matched_order, merchant_b, market):
    for user in (merchant_b.owner, market["chosen"].owner, market["denim"].owner):
        response = client_for(user).get(explanation_url(matched_order.pk))
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_anonymous_is_a_401(matched_order, api):
    assert api.get(explanation_url(matched_order.pk)).status_code == 401


def test_reason_sentences_use_the_engine_texts():
    assert reason_sentences({"no_process:embroidery,washing": 12, "full_before_due": 1, "mystery_code": 2}) == [
        "12 factories: lacks a required process (embroidery,washing)",
        "1 factory: not enough free capacity before the due date",
        "2 factories: mystery code",
    ]


def test_admin_match_run_page_shows_pretty_json(matched_order, admin_user):
    browser = Client()
    browser.force_login(admin_user)
    run = matched_order.match_runs.get()

    page = browser.get(f"/admin/matching/matchrun/{run.pk}/change/").content.decode()

    assert "<pre" in page
    assert "&quot;factory_name&quot;: &quot;Knit House&quot;" in page
