"""Files attached to an order: tech packs, images, size specifications, artwork.

A file belongs to one order. Who may see it is decided by its `factory`: none means every party of
the order (its merchant, each factory offered the order, admins); a factory means only that factory,
the merchant and admins (a factory's own photos, or a file the merchant meant for one factory's
thread). `purpose` says where it is shown: on the order, in a message, in a sample round; message
threads and sample rounds refer to attachments by id and check they belong to the same order.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Q


def attachments_storage() -> Storage:
    """The `attachments` storage alias (STORAGES). Django calls a field's storage callable once, at start-up;
    the code reads and writes blobs through this function instead, so the settings in force decide."""
    return storages["attachments"]


def _blob_path(instance: Attachment, filename: str) -> str:
    # The client's file name never reaches the storage: the service names every blob itself.
    return filename


class AttachmentKind(models.TextChoices):
    TECH_PACK = "tech_pack", "Tech pack"
    IMAGE = "image", "Image"
    SIZE_SPEC = "size_spec", "Size specification"
    ARTWORK = "artwork", "Artwork"


class AttachmentPurpose(models.TextChoices):
    ORDER = "order", "Order"
    MESSAGE = "message", "Message"
    SAMPLE = "sample", "Sample round"


class Attachment(models.Model):
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="attachments")
    # None: every party of the order may see it; set: only this factory (besides the merchant and admins).
    factory = models.ForeignKey(
        "factories.Factory", on_delete=models.PROTECT, null=True, blank=True, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    kind = models.CharField(max_length=16, choices=AttachmentKind.choices)
    purpose = models.CharField(max_length=16, choices=AttachmentPurpose.choices, default=AttachmentPurpose.ORDER)
    # What the content is (checked from the bytes), not what the client said.
    content_type = models.CharField(max_length=40)
    name = models.CharField(max_length=200, help_text="The uploaded file's name, cleaned; shown, never used as a path.")
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    blob = models.FileField(storage=attachments_storage, upload_to=_blob_path, max_length=200)
    thumbnail = models.FileField(storage=attachments_storage, upload_to=_blob_path, max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["order", "id"])]
        constraints = [
            models.CheckConstraint(condition=Q(size__gte=1), name="attachment_size_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind}) on order {self.order_id}"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
