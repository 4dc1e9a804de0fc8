"""Shapes of the factories API. Input serializers check types, ranges and that codes exist;
`factories.services` checks the business rules (status moves, min <= max against stored values,
capacity below what is booked)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone
from rest_framework import serializers

from factories.models import Category, Fabric, Factory, FactoryStatus, Process, Region
from factories.services import MAX_CALENDAR_DAYS
from marketplace.accounts.serializers import SignupAccountSerializer, StrictInputSerializer

MAX_QTY = 100_000
MAX_CODES = 50
# A day's capacity cannot exceed every operator working round the clock; 5000 x 1440 is the hard ceiling.
MAX_DAY_MINUTES = 5000 * 1440
WEEKDAYS_RE = re.compile(r"^[1-7]{1,7}$")


class CatalogCodesField(serializers.ListField):
    """A list of catalog codes, resolved to rows in one query; unknown codes are named in the error."""

    child = serializers.SlugField(max_length=40)

    def __init__(self, *, model: type[models.Model], **kwargs: Any) -> None:
        self.model = model
        kwargs.setdefault("allow_empty", False)
        kwargs.setdefault("max_length", MAX_CODES)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[models.Model]:
        codes: list[str] = list(dict.fromkeys(super().to_internal_value(data)))
        found = {obj.pk: obj for obj in self.model._default_manager.filter(pk__in=codes)}
        unknown = [code for code in codes if code not in found]
        if unknown:
            raise serializers.ValidationError(f"Unknown code(s): {', '.join(unknown)}.", code="unknown_code")
        return [found[code] for code in codes]


def _validate_weekdays(value: str) -> str:
    if not WEEKDAYS_RE.match(value) or len(set(value)) != len(value):
        raise serializers.ValidationError(
            "ISO weekdays as distinct digits 1 (Monday) to 7 (Sunday), e.g. '123456'.", code="invalid_weekdays"
        )
    return "".join(sorted(value))


class FactoryProfileFieldsSerializer(StrictInputSerializer):
    """Profile and capability fields shared by sign-up and PATCH (PATCH makes them all optional)."""

    name = serializers.CharField(max_length=200)
    region: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", queryset=Region.objects.all()
    )
    categories = CatalogCodesField(model=Category)
    processes = CatalogCodesField(model=Process)
    fabrics = CatalogCodesField(model=Fabric)
    sewing_operators = serializers.IntegerField(min_value=1, max_value=5000)
    minutes_per_day = serializers.IntegerField(min_value=1, max_value=1440)
    efficiency = serializers.DecimalField(
        max_digits=3, decimal_places=2, min_value=Decimal("0.05"), max_value=Decimal("1.00")
    )
    min_order_qty = serializers.IntegerField(min_value=1, max_value=MAX_QTY)
    max_order_qty = serializers.IntegerField(min_value=1, max_value=MAX_QTY)
    price_per_minute = serializers.DecimalField(
        max_digits=6, decimal_places=3, min_value=Decimal("0.001"), max_value=Decimal("100"), required=False
    )
    working_weekdays = serializers.CharField(max_length=7, required=False, help_text="ISO weekdays worked, e.g. 123456")

    def validate_working_weekdays(self, value: str) -> str:
        return _validate_weekdays(value)


class FactorySignupInputSerializer(SignupAccountSerializer, FactoryProfileFieldsSerializer):
    """A factory's owner account and profile. Unknown codes and fields are refused with the field named."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["min_order_qty"] > attrs["max_order_qty"]:
            raise serializers.ValidationError(
                {"min_order_qty": ["Minimum order quantity is above the maximum."]}, code="min_above_max"
            )
        return attrs


class FactoryUpdateInputSerializer(FactoryProfileFieldsSerializer):
    """PATCH: any subset. `status` may move active <-> paused; the service refuses every other move (409)."""

    status = serializers.ChoiceField(choices=FactoryStatus.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class FactoryListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=FactoryStatus.choices, required=False, help_text="Admins only.")
    region: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", queryset=Region.objects.all(), required=False, help_text="Region code. Admins only."
    )


class TrackRecordOutputSerializer(serializers.Serializer):
    jobs_delivered = serializers.IntegerField()
    jobs_on_time = serializers.IntegerField()
    qc_pieces = serializers.IntegerField()
    qc_defects = serializers.IntegerField()
    offers_received = serializers.IntegerField()
    offers_accepted = serializers.IntegerField()
    offers_answered = serializers.IntegerField()


class FactoryOutputSerializer(serializers.ModelSerializer):
    region: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    categories: serializers.SlugRelatedField[Category] = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )
    processes: serializers.SlugRelatedField[Process] = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )
    fabrics: serializers.SlugRelatedField[Fabric] = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )
    username = serializers.CharField(source="owner.username", read_only=True)
    daily_minutes = serializers.IntegerField(read_only=True, help_text="operators x minutes x efficiency")
    track_record = TrackRecordOutputSerializer(source="*", read_only=True)

    class Meta:
        model = Factory
        fields = [
            "id",
            "name",
            "username",
            "region",
            "status",
            "categories",
            "processes",
            "fabrics",
            "sewing_operators",
            "minutes_per_day",
            "efficiency",
            "daily_minutes",
            "working_weekdays",
            "min_order_qty",
            "max_order_qty",
            "price_per_minute",
            "track_record",
            "verified_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class FactorySignupOutputSerializer(FactoryOutputSerializer):
    """The new (pending) factory plus a token: it can see and edit its profile while it waits."""

    token = serializers.CharField(read_only=True)

    class Meta(FactoryOutputSerializer.Meta):
        fields = [*FactoryOutputSerializer.Meta.fields, "token"]
        read_only_fields = fields


# Calendar dates outside this window are typos (and would overflow date arithmetic near year 9999).
EARLIEST_DAY = dt.date(2000, 1, 1)
LATEST_DAY = dt.date(2100, 12, 31)


def _validate_calendar_day(value: dt.date) -> None:
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise serializers.ValidationError(
            f"Dates must lie between {EARLIEST_DAY} and {LATEST_DAY}.", code="out_of_range"
        )


# `from` is a Python keyword, so the query serializer is built from a dict of fields.
def _validate_range(self: serializers.Serializer, attrs: dict[str, Any]) -> dict[str, Any]:
    start, end = attrs.get("from"), attrs.get("to")
    if start is not None and end is not None:
        if start > end:
            raise serializers.ValidationError({"from": ["`from` is after `to`."]}, code="invalid_range")
        if (end - start).days + 1 > MAX_CALENDAR_DAYS:
            raise serializers.ValidationError(
                {"to": [f"At most {MAX_CALENDAR_DAYS} days at a time."]}, code="range_too_long"
            )
    return attrs


CalendarQuerySerializer = type(
    "CalendarQuerySerializer",
    (serializers.Serializer,),
    {
        "from": serializers.DateField(
            required=False, validators=[_validate_calendar_day], help_text="First day (YYYY-MM-DD); default today."
        ),
        "to": serializers.DateField(
            required=False,
            validators=[_validate_calendar_day],
            help_text="Last day, inclusive; default `from` + 27 days. At most 366 days from `from`.",
        ),
        "validate": _validate_range,
    },
)


class CalendarDayOutputSerializer(serializers.Serializer):
    date = serializers.DateField()
    capacity_minutes = serializers.IntegerField()
    reserved_minutes = serializers.IntegerField()
    free_minutes = serializers.IntegerField()
    is_override = serializers.BooleanField()
    note = serializers.CharField(allow_blank=True)


CalendarOutputSerializer = type(
    "CalendarOutputSerializer",
    (serializers.Serializer,),
    {
        "factory_id": serializers.IntegerField(),
        "from": serializers.DateField(source="start"),
        "to": serializers.DateField(source="end"),
        "days": CalendarDayOutputSerializer(many=True),
    },
)


class CalendarDayInputSerializer(StrictInputSerializer):
    """One day's new capacity in sewing minutes (0 = closed)."""

    date = serializers.DateField(help_text="Today or later, at most 365 days ahead.")
    capacity_minutes = serializers.IntegerField(min_value=0, max_value=MAX_DAY_MINUTES)

    def validate_date(self, value: dt.date) -> dt.date:
        # Past dates are the service's rule (400 there); the horizon bounds the range this PUT answers.
        if value > timezone.localdate() + dt.timedelta(days=MAX_CALENDAR_DAYS - 1):
            raise serializers.ValidationError(f"At most {MAX_CALENDAR_DAYS - 1} days ahead.", code="beyond_horizon")
        return value

    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CalendarUpdateInputSerializer(StrictInputSerializer):
    """Days to override; applied all or none."""

    days = CalendarDayInputSerializer(many=True, allow_empty=False, max_length=MAX_CALENDAR_DAYS)  # type: ignore[call-arg]

    def validate_days(self, value: Sequence[dict[str, Any]]) -> Sequence[dict[str, Any]]:
        dates = [d["date"] for d in value]
        if len(set(dates)) != len(dates):
            raise serializers.ValidationError("Each date may appear once.", code="duplicate_date")
        return value


class CategoryOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["code", "name", "default_sam"]


class ProcessOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Process
        fields = ["code", "name", "added_minutes", "added_days"]


class FabricOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Fabric
        fields = ["code", "name", "lead_days"]


class RegionOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["code", "name", "province"]


class CatalogOutputSerializer(serializers.Serializer):
    categories = CategoryOutputSerializer(many=True)
    processes = ProcessOutputSerializer(many=True)
    fabrics = FabricOutputSerializer(many=True)
    regions = RegionOutputSerializer(many=True)
