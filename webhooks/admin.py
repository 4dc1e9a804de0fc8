"""Webhooks in the Django admin: read-mostly. Endpoints can be switched on or off (through the service,
as the merchant would); deliveries and their attempts are records, for support to see what was sent and
what the receiver answered."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.services import webhook_endpoint_update


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("started_at", "status_code", "duration_ms", "succeeded", "error", "response_excerpt")
    fields = readonly_fields


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["id", "merchant", "url", "is_active", "failing_since", "disabled_at", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "merchant__name"]
    # The secrets stay out of the admin: only the merchant ever sees them, once.
    exclude = ("secret", "previous_secret")
    actions = ["enable", "disable"]
    readonly_fields = [
        "merchant",
        "url",
        "events",
        "is_active",
        "previous_secret_until",
        "disabled_at",
        "failing_since",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def _switch(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint], *, active: bool) -> None:
        for endpoint in queryset.select_related("merchant"):
            webhook_endpoint_update(merchant=endpoint.merchant, endpoint_id=endpoint.pk, is_active=active)
        self.message_user(
            request, f"{queryset.count()} endpoint(s) {'enabled' if active else 'disabled'}.", messages.SUCCESS
        )

    @admin.action(description="Enable (clears its failures)")
    def enable(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        self._switch(request, queryset, active=True)

    @admin.action(description="Disable")
    def disable(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        self._switch(request, queryset, active=False)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """Failed and stuck deliveries are found here (filter by status)."""

    list_display = ["id", "endpoint", "type", "event_id", "status", "attempts", "next_attempt_at", "succeeded_at"]
    list_filter = ["status", "type"]
    search_fields = ["event_id"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    inlines = [AttemptInline]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
