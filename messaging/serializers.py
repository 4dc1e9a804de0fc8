"""Shapes of the messages API."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from attachments.serializers import AttachmentOutputSerializer
from messaging.models import Message


class MessageInputSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="", max_length=settings.MESSAGES_MAX_CHARS)
    files = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
        required=False,
        default=list,
        max_length=10,
        help_text="Ids of files uploaded to this order (POST /api/v1/orders/{id}/files/) and shared with this factory.",
    )


class MessageQuerySerializer(serializers.Serializer):
    before = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Older messages: those before this message id."
    )


class MessageOutputSerializer(serializers.ModelSerializer[Message]):
    files = AttachmentOutputSerializer(source="attachments", many=True, read_only=True)
    author = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = ["id", "side", "author", "text", "masked", "files", "created_at"]
        read_only_fields = fields

    def get_author(self, obj: Message) -> str:
        return obj.author.username if obj.author is not None else ""


class ThreadOutputSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    factory = serializers.IntegerField()
    unread = serializers.IntegerField(help_text="Messages of the other side you had not read before this request.")
    masked = serializers.BooleanField(help_text="Contact details are masked: the share is not confirmed yet.")
    messages = MessageOutputSerializer(many=True)
