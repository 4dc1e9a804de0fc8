from django.contrib import admin

from floor.models import (
    Bulletin,
    BulletinOperation,
    DeadlineRisk,
    DefectType,
    DeviceKey,
    Line,
    MaterialRequirement,
    PieceRate,
    QcInspection,
    Worker,
)


class OperationInline(admin.TabularInline):
    model = BulletinOperation
    extra = 0


@admin.register(Bulletin)
class BulletinAdmin(admin.ModelAdmin):
    list_display = ["id", "category", "order", "updated_at"]
    list_filter = ["category"]
    inlines = [OperationInline]


@admin.register(DeviceKey)
class DeviceKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "factory", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]


@admin.register(DeadlineRisk)
class DeadlineRiskAdmin(admin.ModelAdmin):
    list_display = ["allocation", "factory", "status", "reason", "projected_date", "ship_by", "remaining_pieces"]
    list_filter = ["status", "reason"]


admin.site.register([Line, Worker, PieceRate, DefectType, QcInspection, MaterialRequirement])
