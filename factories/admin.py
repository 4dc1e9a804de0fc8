"""Admin for the catalog, factories and their capacity calendar.

Factory status and the calendar are changed only through `factories.services` (verification, pause
re-routing, capacity re-routing), so the admin shows them read-only and offers a "verify" action.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from factories.models import TRACK_RECORD_FIELDS, CapacityDay, Category, Fabric, Factory, FactoryStatus, Process, Region
from factories.services import PROFILE_FIELDS, factory_update, factory_verify
from marketplace.errors import DomainError


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "province")
    list_filter = ("province",)
    search_fields = ("code", "name")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "default_sam")
    search_fields = ("code", "name")


@admin.register(Process)
class ProcessAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "added_minutes", "added_days")
    search_fields = ("code", "name")


@admin.register(Fabric)
class FabricAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "lead_days")
    search_fields = ("code", "name")


TRACK_RECORD = TRACK_RECORD_FIELDS


class FactoryAdminForm(ModelForm):
    class Meta:
        model = Factory
        # The admin narrows this to the editable fields; status and counters stay read-only.
        fields = [
            "name",
            "region",
            "categories",
            "processes",
            "fabrics",
            "min_order_qty",
            "max_order_qty",
            "sewing_operators",
            "minutes_per_day",
            "efficiency",
            "working_weekdays",
            "price_per_minute",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        low, high = cleaned.get("min_order_qty"), cleaned.get("max_order_qty")
        if low is not None and high is not None and low > high:
            self.add_error("min_order_qty", "Minimum order quantity is above the maximum.")
        return cleaned


@admin.register(Factory)
class FactoryAdmin(admin.ModelAdmin):
    form = FactoryAdminForm
    list_display = ("id", "name", "owner", "region", "status", "sewing_operators", "daily_minutes", "verified_at")
    list_filter = ("status", "region")
    search_fields = ("name", "owner__username", "owner__email")
    list_select_related = ("owner", "region")
    filter_horizontal = ("categories", "processes", "fabrics")
    raw_id_fields = ("owner",)
    readonly_fields = ("owner", "status", "verified_at", "created_at", "updated_at", *TRACK_RECORD)
    actions = ["verify_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A factory needs an owner login and a profile; both come from sign-up (POST /api/v1/factories/).
        return False

    @admin.display(description="Daily minutes")
    def daily_minutes(self, obj: Factory) -> int:
        return obj.daily_minutes

    def save_model(self, request: HttpRequest, obj: Factory, form: ModelForm, change: bool) -> None:
        """Profile edits go through `factory_update`, so a capacity change recomputes the calendar ahead."""
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in PROFILE_FIELDS}
        try:
            factory_update(factory=obj, actor=request.user, changes=changes)  # type: ignore[arg-type]
        except DomainError as exc:
            # The profile is saved; a day that could not shrink below work in production keeps its capacity.
            self.message_user(request, exc.message, level=messages.ERROR)

    @admin.action(description="Verify selected factories", permissions=["change"])
    def verify_selected(self, request: HttpRequest, queryset: QuerySet[Factory]) -> None:
        verified, skipped = 0, []
        for factory_id, name, status in queryset.order_by("pk").values_list("pk", "name", "status"):
            if status != FactoryStatus.PENDING:
                skipped.append(name)
                continue
            try:
                factory_verify(factory_id=factory_id, actor=request.user)  # type: ignore[arg-type]
            except DomainError:
                # Verified or changed by someone else since the list was loaded.
                skipped.append(name)
            else:
                verified += 1
        if verified:
            self.message_user(request, f"Verified {verified} factories.", level=messages.SUCCESS)
        if skipped:
            self.message_user(request, f"Skipped (not pending): {', '.join(skipped)}.", level=messages.WARNING)


@admin.register(CapacityDay)
class CapacityDayAdmin(admin.ModelAdmin):
    """Read-only: capacity changes go through `calendar_update` (it re-routes booked work), reservations
    through the matching ledger. Use PUT /api/v1/factories/{id}/calendar/ to override a day."""

    list_display = ("factory", "day", "capacity_minutes", "reserved_minutes", "free_minutes", "is_override", "note")
    list_filter = ("factory", "is_override")
    search_fields = ("factory__name",)
    date_hierarchy = "day"
    list_select_related = ("factory",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Free minutes")
    def free_minutes(self, obj: CapacityDay) -> int:
        return obj.free_minutes
