"""The merchant portal: sign-up, the orders dashboard, the new-order form with its feasibility hint, the order page."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from marketplace.accounts.services import merchant_register
from marketplace.errors import DomainError
from matching import services as matching
from matching.services import order_cancel
from orders.services import order_create, order_receive, order_repeat
from orders.state import order_actions
from web import labels, selectors
from web.forms import FeasibilityForm, OrderForm, RepeatForm, SignupForm, today_plus
from web.selectors import deal as deal_selectors
from web.views.common import error_text, merchant_required


def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            merchant = merchant_register(
                username=d["username"],
                password=d["password"],
                email=d["email"],
                name=d["shop_name"],
                region_code=d["region"].pk if d["region"] else None,
                language=get_language(),  # the page's language: the switch, else the browser's
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, error_text(exc))
        else:
            login(request, merchant.owner, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome, %(name)s. Post your first order.") % {"name": merchant.name})
            return redirect("web:order_new")
    return render(request, "web/account/signup.html", {"form": form})


@merchant_required
def order_list(request: HttpRequest) -> HttpResponse:
    merchant = request.user.merchant  # type: ignore[union-attr]
    status = request.GET.get("status", "")
    if status not in labels.ORDER_STATUS:
        status = ""
    q = request.GET.get("q", "").strip()[:100]
    page = Paginator(selectors.merchant_orders(merchant=merchant, status=status, q=q), selectors.ORDER_PAGE_SIZE)
    orders = page.get_page(request.GET.get("page"))
    progress = selectors.order_progress_percent(list(orders))
    counts = selectors.merchant_order_counts(merchant=merchant)
    tabs = [("", _("All"), sum(counts.values()))] + [
        (code, label, counts.get(code, 0)) for code, label in labels.ORDER_STATUS.items()
    ]
    rows = [(o, progress.get(o.pk, 0)) for o in orders]
    return render(
        request,
        "web/merchant/order_list.html",
        {"page": orders, "rows": rows, "tabs": tabs, "status": status, "q": q},
    )


@merchant_required
def order_new(request: HttpRequest) -> HttpResponse:
    merchant = request.user.merchant  # type: ignore[union-attr]
    adding = "add_colour" in request.POST
    form = OrderForm(request.POST or None, initial={"due_date": today_plus(21), "size_M": None}, add_colour=adding)
    feasibility = None
    if request.method == "POST" and not adding and form.is_valid():
        if "check" in request.POST:
            d = form.cleaned_data
            feasibility = matching.order_feasibility(
                merchant=merchant,
                category=d["category"],
                fabric=d["fabric"],
                processes=d["processes"],
                quantity=d["quantity"],
                due_date=d["due_date"],
                sam_override=d.get("sam_override"),
                material_lead_days=d.get("material_lead_days"),
            )
        else:
            try:
                order, created = order_create(
                    merchant=merchant,
                    data=form.to_input(),
                    actor=request.user,  # type: ignore[arg-type]
                    idempotency_key=form.cleaned_data["idempotency_key"] or None,
                )
            except DomainError as exc:
                field = "size_M" if exc.field in ("sizes", "breakdown") else exc.field
                form.add_error(field if field in form.fields else None, error_text(exc))
            else:
                if created:
                    messages.success(request, _("Order posted. Matching has started."))
                return redirect("web:order_detail", order_id=order.pk)
    return render(request, "web/merchant/order_new.html", {"form": form, "feasibility": feasibility})


@merchant_required
@require_GET
def order_feasibility(request: HttpRequest) -> JsonResponse:
    """The new-order form's hint, as JSON; never writes."""
    form = FeasibilityForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors}, status=400)
    d = form.cleaned_data
    result = matching.order_feasibility(
        merchant=request.user.merchant,  # type: ignore[union-attr]
        category=d["category"],
        fabric=d["fabric"],
        processes=d["processes"],
        quantity=d["quantity"],
        due_date=d["due_date"],
        sam_override=d.get("sam_override"),
        material_lead_days=d.get("material_lead_days"),
    )
    return JsonResponse(result.as_json())


@merchant_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = selectors.merchant_order_get(merchant=request.user.merchant, order_id=order_id)  # type: ignore[union-attr]
    return _render_detail(request, order)


def _render_detail(request: HttpRequest, order: Any, repeat_form: RepeatForm | None = None) -> HttpResponse:
    page = selectors.order_page(order=order)
    actions = order_actions(order)
    if repeat_form is None:
        repeat_form = RepeatForm(
            initial={"quantity": order.quantity, "due_date": today_plus(21), "idempotency_key": uuid.uuid4().hex}
        )
    return render(
        request,
        "web/merchant/order_detail.html",
        {
            "page": page,
            "order": order,
            "can_cancel": "cancel" in actions,
            "can_receive": "receive" in actions,
            "can_repeat": "repeat" in actions,
            "repeat_form": repeat_form,
            "deal": deal_selectors.order_deal(order=order),
        },
    )


@merchant_required
@require_POST
def order_cancel_view(request: HttpRequest, order_id: int) -> HttpResponse:
    order = selectors.merchant_order_get(merchant=request.user.merchant, order_id=order_id)  # type: ignore[union-attr]
    try:
        order_cancel(order_id=order.pk, actor=request.user, reason=_("Cancelled by the merchant."))  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Order cancelled."))
    return redirect("web:order_detail", order_id=order.pk)


@merchant_required
@require_POST
def order_receive_view(request: HttpRequest, order_id: int) -> HttpResponse:
    order = selectors.merchant_order_get(merchant=request.user.merchant, order_id=order_id)  # type: ignore[union-attr]
    try:
        order_receive(order_id=order.pk, actor=request.user)  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Receipt confirmed. Thank you."))
    return redirect("web:order_detail", order_id=order.pk)


@merchant_required
@require_POST
def order_repeat_view(request: HttpRequest, order_id: int) -> HttpResponse:
    merchant = request.user.merchant  # type: ignore[union-attr]
    order = selectors.merchant_order_get(merchant=merchant, order_id=order_id)
    form = RepeatForm(request.POST)
    if form.is_valid():
        try:
            new_order, _created = order_repeat(
                order=order,
                merchant=merchant,
                quantity=form.cleaned_data["quantity"],
                due_date=form.cleaned_data["due_date"],
                actor=request.user,  # type: ignore[arg-type]
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, error_text(exc))
        else:
            messages.success(request, _("Repeat order posted."))
            return redirect("web:order_detail", order_id=new_order.pk)
    return _render_detail(request, order, repeat_form=form)
