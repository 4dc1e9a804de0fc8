"""Shapes of the files API: the upload form and a file's description."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from attachments.models import Attachment, AttachmentKind


class UploadInputSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False, use_url=False)
    kind = serializers.ChoiceField(choices=AttachmentKind.choices, required=False)
    allocation = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="Merchants: share the file with this allocation's factory only (e.g. a photo for its thread). "
        "Without it the file is shared with every factory of the order. A factory's upload is always its own.",
    )


class FileQuerySerializer(serializers.Serializer):
    thumbnail = serializers.BooleanField(required=False, default=False, help_text="An image's thumbnail (JPEG).")


class AttachmentOutputSerializer(serializers.ModelSerializer[Attachment]):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    shared_with_factory = serializers.IntegerField(source="factory_id", allow_null=True, read_only=True)

    class Meta:
        model = Attachment
        fields = [
            "id",
            "order",
            "kind",
            "purpose",
            "name",
            "content_type",
            "size",
            "width",
            "height",
            "pages",
            "shared_with_factory",
            "url",
            "thumbnail_url",
            "created_at",
        ]
        read_only_fields = fields

    def get_url(self, obj: Attachment) -> str:
        return reverse("file-content", args=[obj.pk])

    def get_thumbnail_url(self, obj: Attachment) -> str | None:
        if not obj.thumbnail:
            return None
        return reverse("file-content", args=[obj.pk]) + "?thumbnail=true"


def attachment_refs(attachments: Any) -> list[dict[str, Any]]:
    return AttachmentOutputSerializer(attachments, many=True).data  # type: ignore[return-value]
