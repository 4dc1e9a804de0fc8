"""Purchase orders in the admin: read only (an issued document never changes)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from contracts.models import PurchaseOrder


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(admin.ModelAdmin):
    list_display = ("number", "revision", "allocation", "order", "issued_at")
    search_fields = ("number", "base_number")
    readonly_fields = (
        "allocation",
        "order",
        "base_number",
        "number",
        "revision",
        "amends",
        "reason",
        "terms",
        "issued_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
