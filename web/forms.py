"""Forms check shape and types only; business rules (sizes sum, reachable dates, transitions) are the services'."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from factories.models import Category, Fabric, Process, Region
from orders.services import MAX_QUANTITY, OrderInput
from web import labels

SIZE_LABELS = ("XS", "S", "M", "L", "XL", "XXL")


class CatalogChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return labels.catalog_name(obj)


class CatalogMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return labels.catalog_name(obj)


class SignupForm(forms.Form):
    shop_name = forms.CharField(label=_("Shop name"), max_length=200)
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("Email"))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, min_length=1)
    region = CatalogChoiceField(
        label=_("Ships to (region)"), queryset=Region.objects.order_by("code"), required=False, empty_label="—"
    )


class OrderForm(forms.Form):
    title = forms.CharField(label=_("Style name"), max_length=200)
    category = CatalogChoiceField(label=_("Category"), queryset=Category.objects.order_by("code"), empty_label=None)
    processes = CatalogMultipleChoiceField(
        label=_("Processes"),
        queryset=Process.objects.order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    fabric = CatalogChoiceField(label=_("Fabric"), queryset=Fabric.objects.order_by("code"), empty_label=None)
    quantity = forms.IntegerField(label=_("Quantity (pieces)"), min_value=1, max_value=MAX_QUANTITY)
    due_date = forms.DateField(label=_("Due date"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    target_unit_price = forms.DecimalField(
        label=_("Target unit price (CNY)"), min_value=Decimal("0.01"), max_digits=10, decimal_places=2
    )
    sam_override = forms.DecimalField(
        label=_("Sewing minutes per piece (optional)"),
        required=False,
        min_value=Decimal("0.1"),
        max_digits=7,
        decimal_places=2,
    )
    material_lead_days = forms.IntegerField(
        label=_("Days until fabric arrives (optional)"), required=False, min_value=0, max_value=60
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=128, required=False)
    # the deal (web/merchant/_deal_fields.html)
    sample_required = forms.BooleanField(label=_("A sample first, for my approval"), required=False)
    sample_quantity = forms.IntegerField(label=_("Sample pieces"), required=False, min_value=1, max_value=100)
    counter_auto_accept_pct = forms.DecimalField(
        label=_("Accept counter-offers up to this % over my price at once (optional)"),
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for size in SIZE_LABELS:
            self.fields[f"size_{size}"] = forms.IntegerField(
                label=size, required=False, min_value=0, max_value=MAX_QUANTITY
            )
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)

    def size_fields(self) -> list[forms.BoundField]:
        return [self[f"size_{s}"] for s in SIZE_LABELS]

    def sizes(self) -> dict[str, int]:
        return {s: self.cleaned_data[f"size_{s}"] for s in SIZE_LABELS if self.cleaned_data.get(f"size_{s}")}

    def to_input(self) -> OrderInput:
        d = self.cleaned_data
        return OrderInput(
            title=d["title"],
            category=d["category"],
            fabric=d["fabric"],
            quantity=d["quantity"],
            due_date=d["due_date"],
            target_unit_price=d["target_unit_price"],
            processes=tuple(d["processes"]),
            sizes=self.sizes(),
            sam_override=d.get("sam_override"),
            material_lead_days=d.get("material_lead_days"),
            sample_required=bool(d.get("sample_required")),
            sample_quantity=d.get("sample_quantity") if d.get("sample_required") else None,
            counter_auto_accept_pct=d.get("counter_auto_accept_pct"),
        )


class FeasibilityForm(forms.Form):
    """The subset of the order form the feasibility hint needs (GET query string)."""

    category = forms.ModelChoiceField(queryset=Category.objects.all())
    fabric = forms.ModelChoiceField(queryset=Fabric.objects.all())
    processes = forms.ModelMultipleChoiceField(queryset=Process.objects.all(), required=False)
    quantity = forms.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    due_date = forms.DateField()
    sam_override = forms.DecimalField(required=False, min_value=Decimal("0.1"), max_digits=7, decimal_places=2)
    material_lead_days = forms.IntegerField(required=False, min_value=0, max_value=60)


class RepeatForm(forms.Form):
    quantity = forms.IntegerField(label=_("New quantity"), min_value=1, max_value=MAX_QUANTITY)
    due_date = forms.DateField(
        label=_("New due date"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=128)


class OnceForm(forms.Form):
    """Every factory action carries a one-time token: a retried POST acts once."""

    once = forms.CharField(widget=forms.HiddenInput, max_length=64)


class DeclineForm(OnceForm):
    reason = forms.ChoiceField(choices=list(labels.DECLINE_REASONS.items()))


class ProgressForm(OnceForm):
    stage = forms.ChoiceField(label=_("Stage"), choices=list(labels.STAGE.items()), widget=forms.RadioSelect)
    quantity = forms.IntegerField(label=_("Pieces done"), min_value=1, max_value=MAX_QUANTITY)
    defects = forms.IntegerField(label=_("Defects found"), min_value=0, max_value=MAX_QUANTITY, initial=0)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class ShipForm(OnceForm):
    carrier = forms.CharField(label=_("Carrier"), max_length=100)
    tracking = forms.CharField(label=_("Tracking number"), max_length=100)


class DayForm(OnceForm):
    ACTIONS = (("close", _("Close")), ("overtime", _("Overtime")), ("standard", _("Standard")), ("set", _("Set")))

    action = forms.ChoiceField(choices=ACTIONS)
    minutes = forms.IntegerField(required=False, min_value=0, max_value=1440 * 5000)
    note = forms.CharField(max_length=200, required=False)


def new_once_token() -> str:
    return uuid.uuid4().hex


def today_plus(days: int) -> date:
    return timezone.localdate() + timedelta(days=days)
