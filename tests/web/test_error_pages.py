"""The 403, 404 and 500 pages: the site's own, in the reader's language, and never another party's data.

Their accessibility is audited in the browser (tests/browser/test_accessibility.py); here, what they say.
"""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.utils import translation
from django.views.defaults import server_error

from tests import model_factories as mf

pytestmark = [
    pytest.mark.django_db,
    # WhiteNoise warns that collectstatic has not run; the test client serves no static files.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_another_merchants_order_is_the_sites_404_page_without_its_title(merchant_a, merchant_b) -> None:  # type: ignore[no-untyped-def]
    order = mf.make_order(merchant_a)
    response = logged_in(merchant_b.owner).get(f"/orders/{order.pk}/")
    html = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="en">' in html
    assert "<h1>Page not found</h1>" in html
    assert 'id="notifications-link"' in html  # the signed-in layout, so the way back is there
    assert order.title not in html


def test_an_unknown_address_is_the_404_page_for_anyone() -> None:
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.content.decode()


def test_the_api_keeps_its_json_404() -> None:
    response = Client().get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_page_of_another_role_is_the_403_page(factory_x) -> None:  # type: ignore[no-untyped-def]
    response = logged_in(factory_x.owner).get("/orders/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    html = response.content.decode()
    assert response.status_code == 403
    assert '<html lang="zh-hans">' in html
    assert '<a class="btn primary" href="/">' in html


def test_the_500_page_needs_no_request_context() -> None:
    with translation.override("zh-hans"):
        response = server_error(RequestFactory().get("/orders/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert '<html lang="zh-hans">' in html
    assert "/static/web/app.css" in html
