"""Message threads over the API: who may read and write, unread counts, masking, files, notifications."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from matching.services import offer_accept
from matching.tasks import match_order
from messaging.models import Message, Thread
from notifications.models import Notification
from orders.models import Allocation, AllocationStatus, Order
from tests import model_factories as mf
from tests.attachments.helpers import image_bytes
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def url(allocation_id: int) -> str:
    return f"/api/v1/allocations/{allocation_id}/messages/"


def post(user: Any, allocation_id: int, text: str = "", files: list[int] | None = None) -> Any:
    return client_for(user).post(url(allocation_id), {"text": text, "files": files or []}, format="json")


def upload(user: Any, order_id: int, **fields: Any) -> int:
    body = {"file": SimpleUploadedFile("photo.png", image_bytes("PNG")), **fields}
    response = client_for(user).post(f"/api/v1/orders/{order_id}/files/", body, format="multipart")
    assert response.status_code == 201, response.json()
    return int(response.json()["id"])


@pytest.fixture
def offered(merchant_a: Any, factory_x: Any) -> tuple[Order, Allocation]:
    order = mf.make_order(merchant_a)
    match_order(order.pk, "test")
    allocation = order.allocations.get(status=AllocationStatus.OFFERED)
    assert allocation.factory_id == factory_x.pk
    return order, allocation


def test_merchant_and_factory_talk_with_unread_counts_and_notifications(
    offered: Any, merchant_a: Any, factory_x: Any
) -> None:
    order, allocation = offered
    response = post(merchant_a.owner, allocation.pk, "Can you do the collar in rib?")
    assert response.status_code == 201, response.json()
    assert response.json()["side"] == "merchant" and response.json()["masked"] is False

    told = Notification.objects.get(kind="message.received")
    assert told.recipient == factory_x.owner
    assert told.data["excerpt"] == "Can you do the collar in rib?" and told.data["order_id"] == order.pk
    assert not Notification.objects.filter(kind="message.received", recipient=merchant_a.owner).exists()

    # The merchant's own message is not unread for the merchant; it is for the factory, once.
    assert client_for(merchant_a.owner).get(url(allocation.pk)).json()["unread"] == 0
    first = client_for(factory_x.owner).get(url(allocation.pk)).json()
    assert first["unread"] == 1
    assert [m["text"] for m in first["messages"]] == ["Can you do the collar in rib?"]
    assert client_for(factory_x.owner).get(url(allocation.pk)).json()["unread"] == 0

    assert post(factory_x.owner, allocation.pk, "Yes, 1x1 rib.").status_code == 201
    reply = Notification.objects.get(kind="message.received", recipient=merchant_a.owner)
    assert reply.url == f"/orders/{order.pk}/#thread-{factory_x.pk}"
    assert client_for(merchant_a.owner).get(url(allocation.pk)).json()["unread"] == 1
    assert Thread.objects.count() == 1 and Message.objects.count() == 2


def test_contacts_are_masked_until_the_share_is_confirmed(offered: Any, merchant_a: Any, factory_x: Any) -> None:
    _, allocation = offered
    before = post(factory_x.owner, allocation.pk, "call me 138-1234-5678 or wx: lily_88").json()
    assert before["text"] == "call me *** or wx: ***" and before["masked"] is True
    assert Message.objects.get(pk=before["id"]).original_text == "call me 138-1234-5678 or wx: lily_88"
    assert Notification.objects.get(recipient=merchant_a.owner).data["excerpt"] == "call me *** or wx: ***"
    assert client_for(merchant_a.owner).get(url(allocation.pk)).json()["masked"] is True

    offer_accept(allocation_id=allocation.pk, factory=factory_x)
    after = post(factory_x.owner, allocation.pk, "call me 138-1234-5678").json()
    assert after["text"] == "call me 138-1234-5678" and after["masked"] is False
    # What was masked stays masked.
    texts = [m["text"] for m in client_for(merchant_a.owner).get(url(allocation.pk)).json()["messages"]]
    assert texts == ["call me *** or wx: ***", "call me 138-1234-5678"]


def test_nobody_else_reads_or_writes_the_thread(
    offered: Any, merchant_a: Any, merchant_b: Any, factory_x: Any, admin_user: Any
) -> None:
    _, allocation = offered
    post(merchant_a.owner, allocation.pk, "hello X")
    jeans = mf.make_factory(name="Jeans only", categories=("jeans",), fabrics=("denim",))
    for outsider in (merchant_b.owner, jeans.owner):
        for response in (client_for(outsider).get(url(allocation.pk)), post(outsider, allocation.pk, "hi")):
            assert response.status_code == 404
            assert "hello X" not in response.content.decode()
    assert APIClient().get(url(allocation.pk)).status_code == 401

    # Admins read without marking it read for anyone; they do not write.
    assert client_for(admin_user).get(url(allocation.pk)).json()["messages"][0]["text"] == "hello X"
    assert post(admin_user, allocation.pk, "admin here").status_code == 403
    assert client_for(factory_x.owner).get(url(allocation.pk)).json()["unread"] == 1
    assert Message.objects.count() == 1


def test_a_factory_never_sees_another_factorys_thread(merchant_a: Any, factory_x: Any) -> None:
    """Two factories offered the same order have a thread each; neither reaches the other's."""
    from tests.attachments.test_uploads import mf_offer

    z = mf.make_factory(name="Factory Z")
    order = mf.make_order(merchant_a)
    x_offer = mf_offer(order, factory_x, share_no=0)
    z_offer = mf_offer(order, z, share_no=1)
    post(merchant_a.owner, x_offer.pk, "for X only")
    post(merchant_a.owner, z_offer.pk, "for Z only")

    assert [m["text"] for m in client_for(z.owner).get(url(z_offer.pk)).json()["messages"]] == ["for Z only"]
    assert client_for(z.owner).get(url(x_offer.pk)).status_code == 404
    assert post(z.owner, x_offer.pk, "sneaky").status_code == 404
    assert Thread.objects.filter(order=order).count() == 2


def test_a_message_carries_the_orders_files(offered: Any, merchant_a: Any, factory_x: Any) -> None:
    order, allocation = offered
    photo = upload(factory_x.owner, order.pk)
    response = post(factory_x.owner, allocation.pk, "", files=[photo])
    assert response.status_code == 201, response.json()
    assert [f["id"] for f in response.json()["files"]] == [photo]
    seen = client_for(merchant_a.owner).get(url(allocation.pk)).json()["messages"][0]["files"][0]
    assert seen["thumbnail_url"].startswith(f"/api/v1/files/{photo}/")
    assert Notification.objects.get(recipient=merchant_a.owner).data["excerpt"] == "[1 file(s)]"


def test_bad_messages_are_refused_naming_the_field(offered: Any, merchant_a: Any, factory_x: Any) -> None:
    _, allocation = offered
    other_order = mf.make_order(merchant_a)
    foreign = upload(merchant_a.owner, other_order.pk)
    cases = [
        ({"text": "   "}, "text", "blank"),
        ({"text": "x" * 5000}, "text", "max_length"),
        ({"text": "see", "files": [foreign]}, "files", "invalid_file"),
        ({"text": "see", "files": [999_999]}, "files", "invalid_file"),
        ({"text": "see", "files": ["abc"]}, "files", None),
    ]
    for body, field, code in cases:
        response = client_for(merchant_a.owner).post(url(allocation.pk), body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert field in response.json()["errors"], response.json()
        if code is not None:
            assert code in str(response.json()["error_codes"][field])
    assert not Message.objects.exists() and not Thread.objects.exists()
    assert not Notification.objects.filter(kind="message.received").exists()


def test_a_file_meant_for_another_factory_cannot_be_attached(merchant_a: Any, factory_x: Any) -> None:
    from tests.attachments.test_uploads import mf_offer

    z = mf.make_factory(name="Factory Z")
    order = mf.make_order(merchant_a)
    x_offer = mf_offer(order, factory_x, share_no=0)
    z_offer = mf_offer(order, z, share_no=1)
    for_z = upload(merchant_a.owner, order.pk, allocation=z_offer.pk)
    zs_photo = upload(z.owner, order.pk)

    for author in (merchant_a.owner, factory_x.owner):
        for file_id in (for_z, zs_photo):
            response = post(author, x_offer.pk, "look", files=[file_id])
            assert response.status_code == 400
            assert response.json()["error_codes"] == {"files": ["invalid_file"]}
    assert post(merchant_a.owner, z_offer.pk, "look", files=[for_z, zs_photo]).status_code == 201


def test_each_party_lists_its_threads_with_unread_counts(
    offered: Any, merchant_a: Any, merchant_b: Any, factory_x: Any
) -> None:
    order, allocation = offered
    post(merchant_a.owner, allocation.pk, "one")
    post(merchant_a.owner, allocation.pk, "two")

    (mine,) = client_for(factory_x.owner).get("/api/v1/threads/").json()["results"]
    assert (mine["order"], mine["allocation"], mine["unread"]) == (order.pk, allocation.pk, 2)
    (theirs,) = client_for(merchant_a.owner).get("/api/v1/threads/").json()["results"]
    assert theirs["unread"] == 0 and theirs["factory"] == factory_x.pk
    assert client_for(merchant_b.owner).get("/api/v1/threads/").json()["results"] == []

    client_for(factory_x.owner).get(url(allocation.pk))  # reading the thread
    assert client_for(factory_x.owner).get("/api/v1/threads/").json()["results"][0]["unread"] == 0
