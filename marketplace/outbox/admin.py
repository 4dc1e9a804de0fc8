from django.contrib import admin

from marketplace.outbox.models import DomainEvent, HandlerRun


class HandlerRunInline(admin.TabularInline):
    model = HandlerRun
    extra = 0
    can_delete = False
    readonly_fields = ["handler", "finished_at"]


@admin.register(DomainEvent)
class DomainEventAdmin(admin.ModelAdmin):
    """Read-only: events are written only with the change that caused them."""

    list_display = ["id", "kind", "subject_type", "subject_id", "created_at", "completed_at", "attempts", "failed_at"]
    list_filter = ["kind", "subject_type"]
    search_fields = ["subject_id"]
    readonly_fields = [f.name for f in DomainEvent._meta.fields]
    inlines = [HandlerRunInline]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
