"""Filters the page templates use to show codes in the reader's language."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from web import labels

register = template.Library()


@register.filter
def order_status(code: str) -> str:
    return labels.label(labels.ORDER_STATUS, code)


@register.filter
def alloc_status(code: str) -> str:
    return labels.label(labels.ALLOCATION_STATUS, code)


@register.filter
def stage_label(code: str) -> str:
    return labels.label(labels.STAGE, code)


@register.filter
def factory_status(code: str) -> str:
    return labels.label(labels.FACTORY_STATUS, code)


@register.filter
def match_reason(code: str) -> str:
    return labels.label(labels.MATCH_REASON, code)


@register.filter
def decline_reason(code: str) -> str:
    return labels.label(labels.DECLINE_REASONS, code) if code else _("No reason given")


@register.filter
def event_kind(code: str) -> str:
    return labels.label(labels.EVENT_KIND, code)


@register.filter
def catalog(obj: Any) -> str:
    return labels.catalog_name(obj)


@register.filter
def region_name(code: str) -> str:
    return labels.label(labels.REGION, code)


@register.filter
def category_name(code: str) -> str:
    return labels.label(labels.CATEGORY, code)


@register.filter
def process_name(code: str) -> str:
    return labels.label(labels.PROCESS, code)


@register.filter
def percent(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{formats.number_format(round(100 * value, 1), 1)}%"


@register.filter
def duration(seconds: float | None) -> str:
    """Seconds as the largest sensible units, translated ('3 min', '2 h 5 min', '1 d 4 h')."""
    if seconds is None:
        return "—"
    s = round(seconds)
    if s < 60:
        return ngettext("%(n)d second", "%(n)d seconds", s) % {"n": s}
    minutes = s // 60
    if minutes < 60:
        return _("%(m)d min") % {"m": minutes}
    hours = minutes // 60
    if hours < 48:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes % 60}
    return _("%(d)d d %(h)d h") % {"d": hours // 24, "h": hours % 24}


@register.filter
def heat_style(value: float | None) -> str:
    """A cell colour from white (idle) through amber to red (fully booked)."""
    if value is None:
        return "background:#f3f4f6;color:#9ca3af"
    v = max(0.0, min(1.0, value))
    hue = round(120 - 120 * v)  # green 120 -> red 0
    light = round(92 - 42 * v)
    color = "#fff" if v > 0.6 else "#111"
    return f"background:hsl({hue},70%,{light}%);color:{color}"


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key)
