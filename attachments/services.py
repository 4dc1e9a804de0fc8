"""Writes of files: one upload, checked, stored and recorded, or refused with nothing left behind.

The bytes are checked (attachments.content) before anything is written. The per-order count is
checked under the order's row lock (orders.services.order_lock, first in the global lock order), so
two uploads at once cannot both take the last place. Blobs are written inside that transaction and
deleted again if the row is not committed: a refused or failed upload leaves no row and no blob.
"""

from __future__ import annotations

import re
import unicodedata
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from attachments.content import PDF, Checked, check_upload, refuse
from attachments.models import Attachment, AttachmentKind, AttachmentPurpose, attachments_storage
from factories.models import Factory
from marketplace.accounts.models import User
from orders.services import order_lock

MAX_NAME = 200


def clean_name(name: str, extension: str) -> str:
    """A name fit to show and to offer as a download: no path, no control characters, the real extension."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    base = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", base).strip(" .") or "file"
    return f"{base[: MAX_NAME - len(extension) - 1]}.{extension}"


def _kind_for(checked: Checked, kind: str | None) -> str:
    if not kind:
        return AttachmentKind.IMAGE if checked.is_image else AttachmentKind.TECH_PACK
    if kind == AttachmentKind.IMAGE and checked.content_type == PDF:
        raise refuse("A file of kind `image` must be a PNG, JPEG or WebP image.", "kind_mismatch")
    return kind


def attachment_upload(
    *,
    order_id: int,
    uploaded_by: User,
    data: bytes,
    name: str,
    kind: str | None = None,
    factory: Factory | None = None,
    purpose: str = AttachmentPurpose.ORDER,
) -> Attachment:
    """Store one file on an order. `factory` limits who sees it to that factory (with the merchant and
    admins); None shares it with every party of the order. The caller has checked the uploader's access."""
    checked = check_upload(data)
    kind = _kind_for(checked, kind)
    storage = attachments_storage()
    stem = f"orders/{order_id}/{uuid.uuid4().hex}"
    written: list[str] = []
    try:
        with transaction.atomic():
            order = order_lock(order_id)
            if Attachment.objects.filter(order=order).count() >= settings.FILES_MAX_PER_ORDER:
                raise refuse(f"An order may have at most {settings.FILES_MAX_PER_ORDER} files.", "too_many_files")
            blob = storage.save(f"{stem}.{checked.extension}", ContentFile(checked.payload))
            written.append(blob)
            thumbnail = ""
            if checked.thumbnail is not None:
                thumbnail = storage.save(f"{stem}.thumb.jpg", ContentFile(checked.thumbnail))
                written.append(thumbnail)
            attachment = Attachment.objects.create(
                order=order,
                factory=factory,
                uploaded_by=uploaded_by,
                kind=kind,
                purpose=purpose,
                content_type=checked.content_type,
                name=clean_name(name, checked.extension),
                size=len(checked.payload),
                sha256=checked.sha256,
                width=checked.width,
                height=checked.height,
                pages=checked.pages,
                blob=blob,
                thumbnail=thumbnail,
            )
    except BaseException:
        for stored in written:
            storage.delete(stored)
        raise
    return attachment


def attachment_discard(*, attachment_id: int) -> None:
    """Remove a file that was uploaded for something that then failed (a message refused after its photo
    was stored): the row now, the blobs once the deletion has committed."""
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        return
    names = [str(name) for name in (attachment.blob.name, attachment.thumbnail.name) if name]
    attachment.delete()
    storage = attachments_storage()

    def delete_blobs() -> None:
        for name in names:
            storage.delete(name)

    transaction.on_commit(delete_blobs)
