"""The factory's master data: device keys, lines, workers."""

from __future__ import annotations

from django.db.models import QuerySet

from factories.models import Factory
from floor.models import DeviceKey, Line, Worker


def device_key_list(*, factory: Factory) -> QuerySet[DeviceKey]:
    return DeviceKey.objects.filter(factory=factory).order_by("id")


def line_list(*, factory: Factory) -> QuerySet[Line]:
    return Line.objects.filter(factory=factory).order_by("code")


def worker_list(*, factory: Factory) -> QuerySet[Worker]:
    return Worker.objects.filter(factory=factory).select_related("line").order_by("badge")
