"""The platform admin's market dashboard."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from factories.services import factory_verify
from marketplace.errors import DomainError
from web import labels, selectors
from web.views.common import admin_required, error_text


@admin_required
def dashboard(request: HttpRequest) -> HttpResponse:
    window = request.GET.get("window", "7d")
    data = selectors.market_dashboard(window=window)
    hourly = data.window == "12h"
    chart = {
        "posted": {
            "labels": [formats.date_format(at, "H:i" if hourly else "SHORT_DATE_FORMAT") for at, _n in data.series],
            "values": [n for _at, n in data.series],
            "label": _("Orders posted"),
        },
        "regions": {
            "labels": [labels.label(labels.REGION, r) for r in data.heat.regions],
            "values": [round(100 * data.heat.by_region[r], 1) for r in data.heat.regions],
            "label": _("Booked utilisation, next 14 days (%)"),
        },
        "declines": {
            "labels": [
                labels.label(labels.DECLINE_REASONS, r) if r else _("No reason given") for r, _n in data.decline_reasons
            ],
            "values": [n for _r, n in data.decline_reasons],
            "label": _("Declines"),
        },
    }
    windows = [("12h", _("Last 12 hours")), ("7d", _("Last week")), ("30d", _("Last month"))]
    return render(
        request,
        "web/dashboard/dashboard.html",
        {
            "d": data,
            "windows": windows,
            "chart": chart,
            # Horizontal bars: a fixed height per region keeps them readable however many there are.
            "region_chart_height": 50 + 30 * len(data.heat.regions),
        },
    )


@admin_required
@require_POST
def factory_verify_view(request: HttpRequest, factory_id: int) -> HttpResponse:
    try:
        factory = factory_verify(factory_id=factory_id, actor=request.user)  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("%(name)s is verified and can receive offers.") % {"name": factory.name})
    return redirect("web:dashboard")
