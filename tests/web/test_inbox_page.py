"""The in-app inbox page (/notifications/) and the unread badge every signed-in page carries."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from notifications.models import Notification
from notifications.services import notify

pytestmark = [
    pytest.mark.django_db,
    # WhiteNoise warns that collectstatic has not run; the test client serves no static files.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def tell(user, i: int) -> Notification:  # type: ignore[no-untyped-def]
    return notify(
        kind="order.confirmed",
        recipients=[user],
        key=f"test:page:{user.pk}:{i}",
        data={"order_id": 700 + i, "title": f"Style {i}", "factories": "Factory X"},
        url=f"/orders/{700 + i}/",
        subject=("order", 700 + i),
    )[0]


def badge(html: str) -> int:
    match = re.search(r'id="unread-count" data-count="(\d+)"', html)
    assert match, "no unread badge on the page"
    return int(match.group(1))


def test_the_inbox_lists_my_notifications_with_the_badge_and_stream_url(merchant_a, merchant_b):
    first, second = tell(merchant_a.owner, 1), tell(merchant_a.owner, 2)
    tell(merchant_b.owner, 3)
    response = logged_in(merchant_a.owner).get("/notifications/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Order #701 confirmed: Style 1" in html and "Order #702 confirmed: Style 2" in html
    assert "Style 3" not in html  # another merchant's
    assert html.index("Style 2") < html.index("Style 1")  # newest first
    assert badge(html) == 2
    assert f'href="/notifications/{first.pk}/"' in html
    # The live stream's address carries a token and resumes after the newest notification.
    assert re.search(rf'data-events-url="/events/\?token=[^"]+&amp;after={second.pk}"', html)
    assert 'src="/static/web/live.js"' in html


def test_the_badge_is_on_every_signed_in_page_and_not_for_visitors(merchant_a, factory_x):
    tell(merchant_a.owner, 1)
    assert badge(logged_in(merchant_a.owner).get("/orders/").content.decode()) == 1
    assert badge(logged_in(factory_x.owner).get("/factory/").content.decode()) == 0
    visitor = Client().get("/login/").content.decode()
    assert 'id="unread-count"' not in visitor and "live.js" not in visitor


def test_opening_marks_read_and_leads_to_its_page(merchant_a):
    note = tell(merchant_a.owner, 1)
    client = logged_in(merchant_a.owner)
    response = client.get(f"/notifications/{note.pk}/")
    assert response.status_code == 302 and response["Location"] == "/orders/701/"
    note.refresh_from_db()
    assert note.read_at is not None
    read_at = note.read_at
    client.get(f"/notifications/{note.pk}/")  # again: no change
    note.refresh_from_db()
    assert note.read_at == read_at


def test_mark_one_read_and_another_users_is_not_found(merchant_a, merchant_b):
    mine, theirs = tell(merchant_a.owner, 1), tell(merchant_b.owner, 2)
    client = logged_in(merchant_a.owner)
    response = client.post(f"/notifications/{mine.pk}/read/", {"next": "/notifications/?page=1"})
    assert response.status_code == 302 and response["Location"] == "/notifications/?page=1"
    mine.refresh_from_db()
    assert mine.read_at is not None

    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    assert client.get(f"/notifications/{theirs.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None  # untouched
    assert client.get(f"/notifications/{mine.pk}/read/").status_code == 405  # marking is a POST


def test_mark_all_read_only_marks_mine(merchant_a, merchant_b):
    for i in range(3):
        tell(merchant_a.owner, i)
    other = tell(merchant_b.owner, 9)
    client = logged_in(merchant_a.owner)
    response = client.post("/notifications/read-all/", {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    assert Notification.objects.filter(recipient=merchant_a.owner, read_at__isnull=True).count() == 0
    other.refresh_from_db()
    assert other.read_at is None
    page = client.get("/notifications/?unread=1").content.decode()
    assert "No unread notifications." in page and badge(page) == 0


def test_the_inbox_is_paginated_and_needs_a_login(factory_x):
    for i in range(25):
        tell(factory_x.owner, i)
    client = logged_in(factory_x.owner)
    first = client.get("/notifications/").content.decode()
    assert first.count('class="note unread"') == 20
    assert 'class="tabbar"' in first  # a factory's inbox keeps its phone tab bar
    second = client.get("/notifications/?page=2").content.decode()
    assert second.count('class="note unread"') == 5
    assert Client().get("/notifications/").status_code == 302


def test_the_inbox_reads_in_chinese(merchant_a):
    tell(merchant_a.owner, 1)
    response = logged_in(merchant_a.owner).get("/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
