"""Admin for matching: the explanation of every run (pretty JSON) and the capacity ledger, read-only."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from matching.models import MatchRun, Reservation


class ReadOnlyAdmin(admin.ModelAdmin):
    """Runs and reservations are written by the matching services only."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def pretty(value: Any) -> str:
    return format_html(
        '<pre style="white-space: pre-wrap; max-height: 40em; overflow: auto">{}</pre>',
        json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False),
    )


@admin.register(MatchRun)
class MatchRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "order", "trigger", "outcome", "duration_ms", "created_at"]
    list_filter = ["outcome", "trigger"]
    search_fields = ["order__title", "summary"]
    list_select_related = ["order"]
    fields = readonly_fields = (
        "order",
        "trigger",
        "outcome",
        "summary",
        "duration_ms",
        "created_at",
        "reason_counts_pretty",
        "plan_pretty",
        "candidates_pretty",
    )

    @admin.display(description="reason counts")
    def reason_counts_pretty(self, run: MatchRun) -> str:
        return pretty(run.reason_counts)

    @admin.display(description="plan")
    def plan_pretty(self, run: MatchRun) -> str:
        return pretty(run.plan)

    @admin.display(description="candidates")
    def candidates_pretty(self, run: MatchRun) -> str:
        return pretty(run.candidates)


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = ["id", "factory", "day", "minutes", "allocation"]
    list_filter = ["day"]
    search_fields = ["factory__name"]
    list_select_related = ["factory", "allocation"]
    raw_id_fields = ["allocation", "factory"]
