"""The in-app inbox over the API: the caller's own notifications, unread filter, marking read."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification
from notifications.services import notify
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _tell(user, n: int = 1, kind: str = "order.confirmed") -> list[Notification]:  # type: ignore[no-untyped-def]
    return [
        notify(
            kind=kind,
            recipients=[user],
            key=f"test:{user.pk}:{kind}:{i}:{Notification.objects.count()}",
            data={"order_id": 100 + i, "title": f"Style {i}", "factories": "Factory X"},
            url=f"/orders/{100 + i}/",
            subject=("order", 100 + i),
        )[0]
        for i in range(n)
    ]


def test_the_inbox_lists_my_notifications_newest_first_rendered_in_my_language(merchant_a, merchant_b):
    mine = _tell(merchant_a.owner, 3)
    _tell(merchant_b.owner, 2)
    response = client_for(merchant_a.owner).get("/api/v1/notifications/")
    assert response.status_code == 200
    body = response.json()
    assert [n["id"] for n in body["results"]] == [n.pk for n in reversed(mine)]
    first = body["results"][-1]
    assert first["title"] == "Order #100 confirmed: Style 0"
    assert first["body"] == "Every piece has a factory: Factory X."
    assert first["url"] == "/orders/100/" and first["unread"] is True and first["kind"] == "order.confirmed"
    assert response["X-Unread-Count"] == "3"

    zh = client_for(merchant_a.owner).get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.status_code == 200


def test_unread_filter_mark_one_and_mark_all(merchant_a):
    first, second, third = _tell(merchant_a.owner, 3)
    client = client_for(merchant_a.owner)
    read = client.post(f"/api/v1/notifications/{second.pk}/read/")
    assert read.status_code == 200 and read.json()["unread"] is False
    again = client.post(f"/api/v1/notifications/{second.pk}/read/")
    assert again.json()["read_at"] == read.json()["read_at"]  # reading twice changes nothing
    unread = client.get("/api/v1/notifications/?unread=1").json()
    assert [n["id"] for n in unread["results"]] == [third.pk, first.pk]
    assert client.post("/api/v1/notifications/read-all/").json() == {"marked": 2}
    assert client.get("/api/v1/notifications/?unread=1").json()["count"] == 0
    assert client.post("/api/v1/notifications/read-all/").json() == {"marked": 0}


def test_another_user_s_notification_is_not_found_and_stays_unread(merchant_a, merchant_b):
    (theirs,) = _tell(merchant_b.owner)
    response = client_for(merchant_a.owner).post(f"/api/v1/notifications/{theirs.pk}/read/")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    client_for(merchant_a.owner).post("/api/v1/notifications/read-all/")
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_anonymous_callers_are_refused(api):
    assert api.get("/api/v1/notifications/").status_code == 401


def test_bad_unread_filter_is_a_400_naming_the_field(merchant_a):
    response = client_for(merchant_a.owner).get("/api/v1/notifications/?unread=perhaps")
    assert response.status_code == 400
    assert "unread" in response.json()["errors"]


def test_the_list_costs_the_same_queries_for_5_and_for_50_notifications(merchant_a):
    client = client_for(merchant_a.owner)
    _tell(merchant_a.owner, 5)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/api/v1/notifications/").status_code == 200
    _tell(merchant_a.owner, 45)
    with CaptureQueriesContext(connection) as large:
        assert client.get("/api/v1/notifications/").status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
