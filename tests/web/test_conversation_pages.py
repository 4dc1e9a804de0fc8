"""The files and the thread on the merchant's order page and on the factory's phone pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from attachments.models import Attachment
from marketplace.errors import ValidationFailed
from matching.services import offer_accept
from matching.tasks import match_order
from messaging.models import Message
from notifications.models import Notification
from orders.models import AllocationStatus
from tests import model_factories as mf
from tests.attachments.helpers import SVG, image_bytes, pdf_bytes, stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def attachments_dir(settings: Any, tmp_path: Path) -> Path:
    settings.STORAGES = settings.STORAGES | {
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        }
    }
    return tmp_path


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def offered(merchant_a: Any, factory_x: Any) -> Any:
    order = mf.make_order(merchant_a)
    match_order(order.pk, "test")
    allocation = order.allocations.get(status=AllocationStatus.OFFERED)
    assert allocation.factory_id == factory_x.pk
    return allocation


def test_the_merchant_uploads_a_tech_pack_and_writes_to_the_factory_from_the_order_page(
    offered: Any, merchant_a: Any, factory_x: Any
) -> None:
    order = offered.order
    merchant = logged_in(merchant_a.owner)
    page = f"/orders/{order.pk}/"
    response = merchant.post(
        f"/orders/{order.pk}/files/",
        {"file": SimpleUploadedFile("tee.pdf", pdf_bytes()), "kind": "tech_pack", "next": page},
    )
    assert response.status_code == 302 and response["Location"] == page
    attachment = Attachment.objects.get(order=order)

    response = merchant.post(f"/threads/{offered.pk}/", {"text": "Please check the tech pack", "next": page})
    assert response.status_code == 302
    assert Message.objects.get().text == "Please check the tech pack"
    assert Notification.objects.filter(kind="message.received", recipient=factory_x.owner).exists()

    html = merchant.get(page).content.decode()
    assert 'id="files"' in html and "tee.pdf" in html and f"/api/v1/files/{attachment.pk}/" in html
    assert f'id="thread-{factory_x.pk}"' in html and "Please check the tech pack" in html
    assert '<label for="msg-' in html  # the message box has its label
    assert factory_x.name not in html  # not named to the merchant before it commits

    # The factory's phone page shows the file, the message with an unread badge, then it is read.
    phone = logged_in(factory_x.owner)
    html = phone.get(f"/factory/offers/{offered.pk}/").content.decode()
    assert "tee.pdf" in html and "Please check the tech pack" in html and "thread-unread" in html
    assert "thread-unread" not in phone.get(f"/factory/offers/{offered.pk}/").content.decode()


def test_the_factory_sends_a_photo_from_its_phone(offered: Any, merchant_a: Any, factory_x: Any) -> None:
    offer_accept(allocation_id=offered.pk, factory=factory_x)
    phone = logged_in(factory_x.owner)
    job = f"/factory/jobs/{offered.pk}/"
    response = phone.post(
        f"/threads/{offered.pk}/",
        {"text": "Collar sample", "photo": SimpleUploadedFile("c.jpg", image_bytes("JPEG")), "next": job},
    )
    assert response.status_code == 302
    message = Message.objects.get()
    (photo,) = message.attachments.all()
    assert photo.factory_id == factory_x.pk and photo.purpose == "message"
    html = logged_in(merchant_a.owner).get(f"/orders/{offered.order_id}/").content.decode()
    assert f"/api/v1/files/{photo.pk}/?thumbnail=true" in html
    assert factory_x.name in html  # it accepted: now it is named
    assert "Collar sample" in logged_in(factory_x.owner).get(job).content.decode()


def test_a_refused_upload_says_why_and_keeps_nothing(offered: Any, merchant_a: Any, attachments_dir: Path) -> None:
    merchant = logged_in(merchant_a.owner)
    page = f"/orders/{offered.order_id}/"
    response = merchant.post(
        f"/orders/{offered.order_id}/files/", {"file": SimpleUploadedFile("x.png", SVG), "next": page}, follow=True
    )
    assert "Only PDF, PNG, JPEG and WebP files can be uploaded." in response.content.decode()
    assert not Attachment.objects.exists() and stored_files(attachments_dir) == []


def test_outsiders_cannot_post_or_upload(offered: Any, merchant_b: Any) -> None:
    other = logged_in(merchant_b.owner)
    assert other.post(f"/threads/{offered.pk}/", {"text": "hi"}).status_code == 404
    upload = {"file": SimpleUploadedFile("a.png", image_bytes("PNG"))}
    assert other.post(f"/orders/{offered.order_id}/files/", upload).status_code == 404
    assert not Message.objects.exists() and not Attachment.objects.exists()


def test_a_refused_message_does_not_keep_its_photo(
    offered: Any, factory_x: Any, attachments_dir: Path, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The photo is stored before the message is written; a message refused then (say the thread's share moved
    on meanwhile) takes its photo with it."""
    import web.views.conversation as view

    def refused(**kwargs: Any) -> None:
        raise ValidationFailed("refused", code="invalid_file", field="files")

    monkeypatch.setattr(view, "message_post", refused)
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in(factory_x.owner).post(
            f"/threads/{offered.pk}/", {"text": "x", "photo": SimpleUploadedFile("c.png", image_bytes("PNG"))}
        )
    assert response.status_code == 302
    assert not Attachment.objects.exists() and not Message.objects.exists()
    assert stored_files(attachments_dir) == []
