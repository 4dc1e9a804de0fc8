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
from orders.sizes import MAX_COLOUR_NAME, MAX_COLOURS, NO_COLOUR, Grid, grid_colours, grid_of
from web import labels

SIZE_LABELS = ("XS", "S", "M", "L", "XL", "XXL")
# Colour rows the order form shows at first; "Add a colour" adds one (a plain submit without JS).
GRID_ROWS = 2


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
        label=_("Accept counter-offers up to this many percent over my price at once (optional)"),
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
    )

    colour_rows = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_COLOURS, required=False)

    def __init__(self, *args: Any, add_colour: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rows = _row_count(self.data.get("colour_rows") if self.is_bound else None) + (1 if add_colour else 0)
        self.rows = min(rows, MAX_COLOURS)
        if self.is_bound:
            data = self.data.copy()  # type: ignore[attr-defined]
            data["colour_rows"] = str(self.rows)
            self.data = data
        else:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)
            self.initial["colour_rows"] = self.rows
        # Row 0 keeps the names of the size-only form (size_S...), so old bookmarks and scripts still post.
        for i in range(self.rows):
            self.fields[f"colour_{i}"] = forms.CharField(
                label=_("Colour %(n)s") % {"n": i + 1}, max_length=MAX_COLOUR_NAME, required=False
            )
            for size in SIZE_LABELS:
                self.fields[cell_name(i, size)] = forms.IntegerField(
                    label=size, required=False, min_value=0, max_value=MAX_QUANTITY
                )
        self.grid: Grid = []

    def size_fields(self) -> list[forms.BoundField]:
        return [self[cell_name(0, s)] for s in SIZE_LABELS]

    def grid_rows(self) -> list[tuple[forms.BoundField, list[forms.BoundField]]]:
        """(colour field, its cells) per row, for the template's table."""
        return [(self[f"colour_{i}"], [self[cell_name(i, s)] for s in SIZE_LABELS]) for i in range(self.rows)]

    def grid_errors(self) -> list[str]:
        names = [f"colour_{i}" for i in range(self.rows)] + [
            cell_name(i, s) for i in range(self.rows) for s in SIZE_LABELS
        ]
        return [str(e) for n in names for e in self.errors.get(n, [])]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        rows: list[tuple[int, str, dict[str, int]]] = []
        for i in range(self.rows):
            colour = (data.get(f"colour_{i}") or "").strip()
            cells = {s: data[cell_name(i, s)] for s in SIZE_LABELS if data.get(cell_name(i, s))}
            if colour or cells:
                rows.append((i, colour, cells))
        named = any(colour for _, colour, _ in rows)
        seen: set[str] = set()
        for i, colour, cells in rows:
            if not cells:
                self.add_error(cell_name(i, SIZE_LABELS[2]), _("Enter the pieces of %(c)s.") % {"c": colour})
            elif named and not colour:
                self.add_error(f"colour_{i}", _("Name this colour, or leave its row empty."))
            elif colour.casefold() in seen:
                self.add_error(f"colour_{i}", _("This colour is given twice."))
            seen.add(colour.casefold())
        self.grid = [{"colour": colour or NO_COLOUR, "sizes": cells} for _, colour, cells in rows if cells]
        return data

    def sizes(self) -> dict[str, int]:
        """The size totals over every colour."""
        totals: dict[str, int] = {}
        for row in self.grid:
            for size, qty in row["sizes"].items():
                totals[size] = totals.get(size, 0) + qty
        return totals

    def to_input(self) -> OrderInput:
        d = self.cleaned_data
        named = any(row["colour"] != NO_COLOUR for row in self.grid)
        return OrderInput(
            title=d["title"],
            category=d["category"],
            fabric=d["fabric"],
            quantity=d["quantity"],
            due_date=d["due_date"],
            target_unit_price=d["target_unit_price"],
            processes=tuple(d["processes"]),
            sizes=self.sizes(),
            breakdown=self.grid if named else [],
            sam_override=d.get("sam_override"),
            material_lead_days=d.get("material_lead_days"),
            sample_required=bool(d.get("sample_required")),
            sample_quantity=d.get("sample_quantity") if d.get("sample_required") else None,
            counter_auto_accept_pct=d.get("counter_auto_accept_pct"),
        )


def cell_name(row: int, size: str) -> str:
    return f"size_{size}" if row == 0 else f"size_{row}_{size}"


def _row_count(value: Any) -> int:
    try:
        return max(1, min(int(value), MAX_COLOURS))
    except (TypeError, ValueError):
        return GRID_ROWS


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
    colour = forms.CharField(label=_("Colour (optional)"), max_length=MAX_COLOUR_NAME, required=False)
    quantity = forms.IntegerField(label=_("Pieces done"), min_value=1, max_value=MAX_QUANTITY)
    defects = forms.IntegerField(label=_("Defects found"), min_value=0, max_value=MAX_QUANTITY, initial=0)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args: Any, colours: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        named = [c for c in colours or [] if c]
        self.colours = named
        if named:
            # The share's colours as a choice; "" keeps counting the share as a whole.
            self.fields["colour"] = forms.ChoiceField(
                label=_("Colour (optional)"),
                choices=[("", _("All colours")), *[(c, c) for c in named]],
                required=False,
            )
        else:
            self.fields["colour"].widget = forms.HiddenInput()


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


def share_colours(allocation: Any) -> list[str]:
    """The colours a share makes, named ones only (a size-only share has none)."""
    return [c for c in grid_colours(grid_of(allocation.breakdown, allocation.sizes)) if c]
