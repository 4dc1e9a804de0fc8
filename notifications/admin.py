"""Notifications in the Django admin: read-only records of who was told what, and how each delivery went."""

from django.contrib import admin

from notifications.models import Delivery, Notification, NotificationPreference, PushSubscription


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    readonly_fields = ["channel", "target", "status", "attempts", "next_attempt_at", "sent_at", "last_error"]
    fields = ("channel", "target", "status", "attempts", "next_attempt_at", "sent_at", "last_error")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "recipient", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["recipient__username", "key"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    inlines = [DeliveryInline]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Failed and stuck deliveries are found here (filter by status)."""

    list_display = ["id", "notification", "channel", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["channel", "status"]
    readonly_fields = [f.name for f in Delivery._meta.fields]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(PushSubscription)
class PushSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "user_agent", "created_at", "last_success_at"]
    search_fields = ["user__username"]
    readonly_fields = ["user", "endpoint", "p256dh", "auth", "user_agent", "created_at", "last_success_at"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email_enabled", "push_enabled", "quiet_hours_start", "quiet_hours_end"]
    search_fields = ["user__username"]
