"""Admin for orders: read-only views of orders, allocations, progress and the event log.

Nothing here writes around the services: the only action, "re-run matching", calls
`orders.services.order_rematch`, which moves an unmatched order back to matching through the
state machine; matching starts on its status event after commit.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from marketplace.errors import DomainError
from orders.models import Allocation, Order, OrderEvent, OrderStatus, ProgressReport
from orders.services import order_rematch


class ReadOnlyAdminMixin:
    """The admin reads; state changes go through services (actions), never through a form save."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AllocationInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Allocation
    extra = 0
    fields = readonly_fields = (
        "share_no",
        "factory",
        "status",
        "quantity",
        "sizes",
        "unit_price",
        "reserved_minutes",
        "start_date",
        "end_date",
        "ship_by",
        "expires_at",
        "responded_at",
        "carrier",
        "tracking",
    )
    show_change_link = True


class OrderEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderEvent
    extra = 0
    fields = readonly_fields = ("at", "kind", "from_status", "to_status", "allocation", "actor", "message")


@admin.register(Order)
class OrderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "title", "merchant", "category", "quantity", "due_date", "status", "created_at"]
    list_filter = ["status", "category", "merchant"]
    search_fields = ["title"]
    list_select_related = ["merchant", "category"]
    date_hierarchy = "created_at"
    inlines = [AllocationInline, OrderEventInline]
    actions = ["rerun_matching"]

    @admin.action(description="Re-run matching for the selected unmatched orders")
    def rerun_matching(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        done, skipped = 0, 0
        for order_id in queryset.values_list("pk", flat=True):
            try:
                order_rematch(order_id=order_id, actor=request.user)  # type: ignore[arg-type]
            except DomainError:
                skipped += 1
            else:
                done += 1
        if done:
            self.message_user(request, f"Matching again for {done} order(s).", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"Skipped {skipped} order(s) that are not {OrderStatus.UNMATCHED.label.lower()}.",
                messages.WARNING,
            )


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "order", "share_no", "factory", "status", "quantity", "ship_by", "expires_at"]
    list_filter = ["status"]
    search_fields = ["order__title", "factory__name"]
    list_select_related = ["order", "factory"]
    raw_id_fields = ["order", "factory"]


@admin.register(ProgressReport)
class ProgressReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "allocation", "stage", "quantity", "defects", "reported_at", "reported_by"]
    list_filter = ["stage"]
    list_select_related = ["allocation", "reported_by"]


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "at", "order", "kind", "from_status", "to_status", "actor", "message"]
    list_filter = ["kind"]
    search_fields = ["message", "order__title"]
    list_select_related = ["order", "actor"]
