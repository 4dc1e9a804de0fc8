"""Forms of the deal pages: shape and types only; the counter and sample services check the rules."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from web.forms import OnceForm, ShipForm

MAX_PRICE = Decimal("99999.99")


class CounterForm(OnceForm):
    unit_price = forms.DecimalField(
        label=_("Your unit price (¥)"), min_value=Decimal("0.01"), max_value=MAX_PRICE, decimal_places=2
    )
    ship_by = forms.DateField(
        label=_("Ship by (optional)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("Note to the merchant"), max_length=500, required=False)


class SampleShipForm(ShipForm):
    pass


class CounterRejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), max_length=500, required=False)


class SampleChangesForm(forms.Form):
    comment = forms.CharField(label=_("What should change"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class SampleRejectForm(forms.Form):
    reason = forms.CharField(label=_("Why the sample is rejected"), max_length=500)
