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
    # Who wrote it is the side, not a username: the merchant does not learn which factory it is before it commits.
    mine = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = ["id", "side", "mine", "text", "masked", "files", "created_at"]
        read_only_fields = fields

    def get_mine(self, obj: Message) -> bool:
        user = self.context.get("user")
        return user is not None and obj.author_id == user.pk


class ThreadSummarySerializer(serializers.Serializer):
    order = serializers.IntegerField(source="order_id")
    order_title = serializers.CharField(source="order.title")
    factory = serializers.IntegerField(source="factory_id")
    allocation = serializers.IntegerField(
        help_text="GET/POST /api/v1/allocations/{allocation}/messages/ is the thread."
    )
    unread = serializers.IntegerField(help_text="Messages of the other side you have not read yet.")
    last_message_at = serializers.DateTimeField(allow_null=True)


class ThreadOutputSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    factory = serializers.IntegerField()
    unread = serializers.IntegerField(help_text="Messages of the other side you had not read before this request.")
    masked = serializers.BooleanField(help_text="Contact details are masked: the share is not confirmed yet.")
    messages = MessageOutputSerializer(many=True)
