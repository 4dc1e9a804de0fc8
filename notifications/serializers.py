"""Shapes of the notifications API."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from marketplace.accounts.serializers import StrictInputSerializer
from notifications import catalogue
from notifications.models import Notification, NotificationPreference


class NotificationListFilterSerializer(serializers.Serializer):
    unread = serializers.BooleanField(required=False, default=False)


class NotificationOutputSerializer(serializers.ModelSerializer):
    title = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()
    unread = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "title",
            "body",
            "url",
            "subject_type",
            "subject_id",
            "data",
            "created_at",
            "read_at",
            "unread",
        ]

    def _rendered(self, notification: Notification) -> tuple[str, str]:
        # title and body are asked for separately: render each notification once.
        if getattr(notification, "_rendered", None) is None:
            notification._rendered = catalogue.render(notification.kind, notification.data)  # type: ignore[attr-defined]
        return notification._rendered  # type: ignore[attr-defined]

    def get_title(self, notification: Notification) -> str:
        return self._rendered(notification)[0]

    def get_body(self, notification: Notification) -> str:
        return self._rendered(notification)[1]

    def get_unread(self, notification: Notification) -> bool:
        return notification.read_at is None


class ReadAllOutputSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many unread notifications were marked read.")


class KindPreferenceSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label
    channels = serializers.ListField(child=serializers.CharField(), help_text="Channels it goes out on by default.")
    always_push = serializers.BooleanField()
    muted = serializers.BooleanField()


class PreferenceOutputSerializer(serializers.Serializer):
    email_enabled = serializers.BooleanField()
    push_enabled = serializers.BooleanField()
    muted_kinds = serializers.ListField(child=serializers.CharField())
    quiet_hours_start = serializers.TimeField(allow_null=True)
    quiet_hours_end = serializers.TimeField(allow_null=True)
    language = serializers.CharField()
    kinds = KindPreferenceSerializer(many=True)


class PreferenceInputSerializer(StrictInputSerializer):
    email_enabled = serializers.BooleanField(required=False)
    push_enabled = serializers.BooleanField(required=False)
    muted_kinds = serializers.ListField(child=serializers.CharField(max_length=64), required=False, max_length=100)
    quiet_hours_start = serializers.TimeField(required=False, allow_null=True)
    quiet_hours_end = serializers.TimeField(required=False, allow_null=True)
    language = serializers.ChoiceField(choices=[code for code, _ in settings.LANGUAGES], required=False)


def preference_payload(*, preference: NotificationPreference, language: str, audience: str) -> dict[str, Any]:
    return {
        "email_enabled": preference.email_enabled,
        "push_enabled": preference.push_enabled,
        "muted_kinds": list(preference.muted_kinds),
        "quiet_hours_start": preference.quiet_hours_start,
        "quiet_hours_end": preference.quiet_hours_end,
        "language": language,
        "kinds": [
            {
                "kind": k.key,
                "label": str(k.label),
                "channels": sorted(k.channels),
                "always_push": k.always_push,
                "muted": k.key in preference.muted_kinds,
            }
            for k in catalogue.KINDS.values()
            if k.is_for(audience)
        ],
    }
