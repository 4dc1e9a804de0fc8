"""Uploading, listing and serving an order's files: the happy paths, every bad upload, and who sees what."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from attachments.models import Attachment
from matching.services import offer_accept
from matching.tasks import match_order
from orders.models import Allocation, AllocationStatus, Order
from tests import model_factories as mf
from tests.attachments.helpers import HTML, SVG, image_bytes, jpeg_with_exif, pdf_bytes, png_bomb_header, stored_files
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def content(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def files_url(order_id: int) -> str:
    return f"/api/v1/orders/{order_id}/files/"


def upload(user: Any, order_id: int, data: bytes, *, name: str = "spec.pdf", **fields: Any) -> Any:
    content_type = fields.pop("client_type", "application/octet-stream")
    body = {"file": SimpleUploadedFile(name, data, content_type=content_type), **fields}
    return client_for(user).post(files_url(order_id), body, format="multipart")


@pytest.fixture
def offered(merchant_a: Any, factory_x: Any) -> tuple[Order, Allocation]:
    """Merchant A's order, offered to factory X."""
    order = mf.make_order(merchant_a)
    match_order(order.pk, "test")
    allocation = order.allocations.get(status=AllocationStatus.OFFERED)
    assert allocation.factory_id == factory_x.pk
    return order, allocation


@pytest.fixture
def jeans_factory(db: Any) -> Any:
    """Makes only denim jeans: never offered merchant A's t-shirts."""
    return mf.make_factory(name="Jeans only", categories=("jeans",), fabrics=("denim",))


# --- what is accepted --------------------------------------------------------------------------


def test_a_tech_pack_is_stored_and_served_as_a_download(offered: Any, merchant_a: Any, attachments_dir: Path) -> None:
    order, _ = offered
    pdf = pdf_bytes(pages=2)
    response = upload(merchant_a.owner, order.pk, pdf, name="../../etc/Tee tech pack.PDF", kind="tech_pack")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "tech_pack" and body["content_type"] == "application/pdf"
    assert body["name"] == "Tee tech pack.pdf"  # no path, the real extension
    assert body["pages"] == 2 and body["size"] == len(pdf) and body["thumbnail_url"] is None
    assert body["url"] == f"/api/v1/files/{body['id']}/"
    # The blob is named by the platform, never by the client.
    assert stored_files(attachments_dir) == [Attachment.objects.get().blob.name]
    assert "etc" not in str(Attachment.objects.get().blob.name)

    served = client_for(merchant_a.owner).get(body["url"])
    assert served.status_code == 200, served.content
    assert content(served) == pdf
    assert served["Content-Type"] == "application/pdf"
    assert served["Content-Disposition"].startswith("attachment;")
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]

    listed = client_for(merchant_a.owner).get(files_url(order.pk)).json()
    assert [f["id"] for f in listed["results"]] == [body["id"]]


def test_an_image_is_re_encoded_upright_without_its_metadata_and_gets_a_thumbnail(
    offered: Any, merchant_a: Any
) -> None:
    order, _ = offered
    original = jpeg_with_exif(size=(80, 40))
    assert b"SecretCam" in original
    response = upload(merchant_a.owner, order.pk, original, name="photo.jpg")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "image" and body["content_type"] == "image/jpeg"
    assert (body["width"], body["height"]) == (40, 80)  # turned by its EXIF orientation
    served = client_for(merchant_a.owner).get(body["url"])
    stored = content(served)
    assert b"SecretCam" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (40, 80)
        assert not image.getexif()  # no orientation, camera or GPS left
    assert served["Content-Disposition"].startswith("inline;")
    assert served["X-Content-Type-Options"] == "nosniff"

    thumb = client_for(merchant_a.owner).get(body["thumbnail_url"])
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(content(thumb))) as image:
        assert max(image.size) <= 320


@pytest.mark.parametrize(("fmt", "content_type"), [("PNG", "image/png"), ("WEBP", "image/webp")])
def test_the_type_comes_from_the_content_not_the_name_or_the_client(
    offered: Any, merchant_a: Any, fmt: str, content_type: str
) -> None:
    order, _ = offered
    response = upload(merchant_a.owner, order.pk, image_bytes(fmt), name="artwork.pdf", client_type="text/html",
                      kind="artwork")  # fmt: skip
    assert response.status_code == 201, response.json()
    assert response.json()["content_type"] == content_type
    assert response.json()["name"].endswith("." + {"PNG": "png", "WEBP": "webp"}[fmt])


# --- what is refused, with nothing left behind -------------------------------------------------


def truncated_png() -> bytes:
    return image_bytes("PNG", (200, 200))[:60]


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "GIF")
    return out.getvalue()


BAD_UPLOADS = [
    ("svg renamed to png", SVG, "logo.png", "file_type_not_allowed"),
    ("html", HTML, "page.html", "file_type_not_allowed"),
    ("random bytes", b"\x00\x01garbage" * 50, "x.pdf", "file_type_not_allowed"),
    ("gif", gif(), "a.gif", "file_type_not_allowed"),
    ("truncated png", truncated_png(), "cut.png", "invalid_image"),
    ("pdf magic then garbage", b"%PDF-1.7\n" + b"junk" * 100, "fake.pdf", "invalid_pdf"),
    ("empty", b"", "empty.pdf", "empty"),
    ("bomb", png_bomb_header(), "bomb.png", "decompression_bomb"),
]


@pytest.mark.parametrize(("data", "name", "code"), [case[1:] for case in BAD_UPLOADS], ids=[c[0] for c in BAD_UPLOADS])
def test_a_bad_upload_is_refused_naming_the_file_and_stores_nothing(
    offered: Any, merchant_a: Any, attachments_dir: Path, data: bytes, name: str, code: str
) -> None:
    order, _ = offered
    response = upload(merchant_a.owner, order.pk, data, name=name)

    assert response.status_code == 400, response.content
    assert response.json()["error_codes"] == {"file": [code]}
    assert not Attachment.objects.exists()
    assert stored_files(attachments_dir) == []


def test_pillows_own_bomb_guard_is_a_400_too(offered: Any, merchant_a: Any, settings: Any, monkeypatch: Any) -> None:
    """Past Pillow's MAX_IMAGE_PIXELS it warns, past twice that it raises: both are a refused bomb."""
    order, _ = offered
    settings.FILES_MAX_IMAGE_PIXELS = 10**9
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    for size in ((40, 40), (100, 100)):  # 1,600 pixels: the warning; 10,000: the error
        response = upload(merchant_a.owner, order.pk, image_bytes("PNG", size), name="b.png")
        assert response.status_code == 400, response.content
        assert response.json()["error_codes"] == {"file": ["decompression_bomb"]}
    assert not Attachment.objects.exists()


def test_an_image_kind_must_be_an_image(offered: Any, merchant_a: Any, attachments_dir: Path) -> None:
    order, _ = offered
    response = upload(merchant_a.owner, order.pk, pdf_bytes(), kind="image")
    assert response.status_code == 400
    assert response.json()["error_codes"] == {"file": ["kind_mismatch"]}
    assert stored_files(attachments_dir) == []


def test_a_file_over_the_limit_is_refused(offered: Any, merchant_a: Any, settings: Any, attachments_dir: Path) -> None:
    order, _ = offered
    settings.FILES_MAX_BYTES = 1000
    response = upload(merchant_a.owner, order.pk, pdf_bytes() + b"%" * 1000)
    assert response.status_code == 400
    assert response.json()["error_codes"] == {"file": ["file_too_large"]}
    # A body far past the limit is refused from its declared length, before it is read.
    response = upload(merchant_a.owner, order.pk, b"%PDF-" + b"0" * 100_000)
    assert response.status_code == 413
    assert response.json()["error_codes"] == {"file": ["file_too_large"]}
    assert not Attachment.objects.exists()
    assert stored_files(attachments_dir) == []


def test_an_order_holds_at_most_the_configured_number_of_files(
    offered: Any, merchant_a: Any, settings: Any, attachments_dir: Path
) -> None:
    order, _ = offered
    settings.FILES_MAX_PER_ORDER = 2
    assert upload(merchant_a.owner, order.pk, pdf_bytes()).status_code == 201
    assert upload(merchant_a.owner, order.pk, image_bytes("PNG"), name="a.png").status_code == 201
    before = stored_files(attachments_dir)

    response = upload(merchant_a.owner, order.pk, image_bytes("PNG"), name="b.png")

    assert response.status_code == 400
    assert response.json()["error_codes"] == {"file": ["too_many_files"]}
    assert Attachment.objects.filter(order=order).count() == 2
    assert stored_files(attachments_dir) == before  # the refused image and its thumbnail were not kept


# --- who sees what -----------------------------------------------------------------------------


def test_only_the_orders_parties_see_its_files(
    offered: Any, merchant_a: Any, merchant_b: Any, factory_x: Any, jeans_factory: Any, admin_user: Any
) -> None:
    order, _ = offered
    file_id = upload(merchant_a.owner, order.pk, pdf_bytes()).json()["id"]
    content = f"/api/v1/files/{file_id}/"

    for user in (factory_x.owner, admin_user):
        assert client_for(user).get(content).status_code == 200
        assert [f["id"] for f in client_for(user).get(files_url(order.pk)).json()["results"]] == [file_id]
    for user in (merchant_b.owner, jeans_factory.owner):
        for url in (content, files_url(order.pk)):
            response = client_for(user).get(url)
            assert response.status_code == 404, (user, url)
            assert set(response.json()) == {"code", "message", "errors", "error_codes"}
        assert upload(user, order.pk, pdf_bytes()).status_code == 404
    assert client_for(admin_user).post(files_url(order.pk), {}, format="multipart").status_code == 403
    from rest_framework.test import APIClient

    assert APIClient().get(content).status_code == 401
    assert Attachment.objects.count() == 1


def test_a_factorys_upload_is_seen_by_the_merchant_but_not_by_another_factory(merchant_a: Any, factory_x: Any) -> None:
    """Parallel offers: X and Z were both offered the order; X's photo is X's and the merchant's."""
    z = mf.make_factory(name="Factory Z")
    order = mf.make_order(merchant_a)
    allocation_x = mf_offer(order, factory_x, share_no=0)
    mf_offer(order, z, share_no=1)

    response = upload(factory_x.owner, order.pk, image_bytes("PNG"), name="fabric.png")
    assert response.status_code == 201, response.json()
    file_id = response.json()["id"]
    assert response.json()["shared_with_factory"] == factory_x.pk

    assert client_for(merchant_a.owner).get(f"/api/v1/files/{file_id}/").status_code == 200
    assert client_for(z.owner).get(f"/api/v1/files/{file_id}/").status_code == 404
    assert client_for(z.owner).get(files_url(order.pk)).json()["results"] == []
    # The merchant may also mean a file for one factory only.
    response = upload(merchant_a.owner, order.pk, pdf_bytes(), allocation=allocation_x.pk)
    assert response.json()["shared_with_factory"] == factory_x.pk
    assert client_for(z.owner).get(response.json()["url"]).status_code == 404
    assert client_for(factory_x.owner).get(response.json()["url"]).status_code == 200


def test_a_factory_that_declined_reads_the_shared_files_but_adds_none(
    offered: Any, merchant_a: Any, factory_x: Any
) -> None:
    from matching.services import offer_decline

    order, allocation = offered
    upload(merchant_a.owner, order.pk, pdf_bytes())
    offer_decline(allocation_id=allocation.pk, factory=factory_x, reason="line full")

    assert client_for(factory_x.owner).get(files_url(order.pk)).json()["count"] == 1
    assert upload(factory_x.owner, order.pk, image_bytes("PNG"), name="x.png").status_code == 404


def test_an_accepted_factory_adds_its_photos(offered: Any, factory_x: Any) -> None:
    order, allocation = offered
    offer_accept(allocation_id=allocation.pk, factory=factory_x)
    assert upload(factory_x.owner, order.pk, image_bytes("JPEG"), name="progress.jpg").status_code == 201


def mf_offer(order: Order, factory: Any, *, share_no: int) -> Allocation:
    """An offer written directly (no capacity involved): enough for who-sees-what."""
    from datetime import timedelta

    from django.utils import timezone

    return Allocation.objects.create(
        order=order,
        factory=factory,
        share_no=share_no,
        offer_group=0,
        quantity=order.quantity,
        sizes=order.sizes,
        unit_price=order.target_unit_price,
        expires_at=timezone.now() + timedelta(hours=1),
    )
