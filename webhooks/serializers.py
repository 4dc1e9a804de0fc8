"""Shapes of the webhooks API. The secret appears only in the answers to creating and rotating."""

from __future__ import annotations

from rest_framework import serializers

from marketplace.accounts.serializers import StrictInputSerializer
from webhooks.models import MAX_URL_LENGTH, WebhookAttempt, WebhookDelivery, WebhookEndpoint

MAX_EVENTS = 50


def _events_field() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=64),
        max_length=MAX_EVENTS,
        required=False,
        help_text="Webhook types to receive (e.g. order.confirmed); empty or left out: every type.",
    )


class EndpointCreateInputSerializer(StrictInputSerializer):
    url = serializers.CharField(max_length=MAX_URL_LENGTH, help_text="http(s) URL of a public host.")
    events = _events_field()


class EndpointUpdateInputSerializer(StrictInputSerializer):
    url = serializers.CharField(max_length=MAX_URL_LENGTH, required=False)
    events = _events_field()
    is_active = serializers.BooleanField(required=False, help_text="true re-enables a disabled endpoint.")


class EndpointOutputSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.CharField(), help_text="Empty: every type.")
    rotation_overlap_until = serializers.DateTimeField(
        source="previous_secret_until",
        allow_null=True,
        help_text="Until then the previous secret also signs (a second v1= in C2M-Signature).",
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "events",
            "is_active",
            "disabled_at",
            "failing_since",
            "rotation_overlap_until",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class EndpointSecretOutputSerializer(EndpointOutputSerializer):
    secret = serializers.CharField(help_text="Shown only now: keep it to verify C2M-Signature.")

    class Meta(EndpointOutputSerializer.Meta):
        fields = [*EndpointOutputSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class AttemptOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["id", "started_at", "status_code", "duration_ms", "response_excerpt", "error", "succeeded"]
        read_only_fields = fields


class DeliveryOutputSerializer(serializers.ModelSerializer):
    attempts = AttemptOutputSerializer(source="attempts_log", many=True, read_only=True)
    attempt_count = serializers.IntegerField(source="attempts", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "type",
            "status",
            "attempt_count",
            "next_attempt_at",
            "last_error",
            "created_at",
            "succeeded_at",
            "payload",
            "attempts",
        ]
        read_only_fields = fields
