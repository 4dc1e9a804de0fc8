"""The deal on the pages: the factory counters an offer and ships samples from its phone; the merchant answers
counters and judges samples on the order page.

Factory POSTs carry a one-time token (run_once) like every phone action; the services refuse what the
state no longer allows (shown as a message with the current state), and another party's id is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from factories.models import Factory
from marketplace.accounts.models import Merchant
from marketplace.errors import DomainError
from matching import services
from matching.models import CounterStatus
from orders.models import Allocation
from web import labels
from web.deal_forms import CounterForm, CounterRejectForm, SampleChangesForm, SampleRejectForm, SampleShipForm
from web.forms import new_once_token
from web.selectors import deal as deal_selectors
from web.views.common import AlreadyDone, error_text, factory_required, merchant_required, run_once


def _factory(request: HttpRequest) -> Factory:
    return request.user.factory  # type: ignore[union-attr]


def _merchant(request: HttpRequest) -> Merchant:
    return request.user.merchant  # type: ignore[union-attr]


def _form_error(form: Any) -> str:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        return f"{label}: {errors[0]}" if label else str(errors[0])
    return _("Check the form.")


# --- the factory: counter an offer, ship a sample ---------------------------------------------------


@factory_required
@require_POST
def offer_counter_view(request: HttpRequest, allocation_id: int) -> HttpResponse:
    factory = _factory(request)
    form = CounterForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_error(form))
        return redirect("web:factory_offer", allocation_id=allocation_id)
    data = form.cleaned_data
    terms = services.CounterTerms(unit_price=data["unit_price"], ship_by=data["ship_by"], note=data["note"])
    try:
        counter = run_once(
            request,
            token=data["once"],
            action="offer_counter",
            call=lambda: services.counter_make(
                allocation_id=allocation_id,
                factory=factory,
                terms=terms,
                actor=request.user,  # type: ignore[arg-type]
            ),
        )
    except AlreadyDone:
        return redirect("web:factory_offer", allocation_id=allocation_id)
    except Allocation.DoesNotExist as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, error_text(exc))
        return redirect("web:factory_offer", allocation_id=allocation_id)
    if counter.status == CounterStatus.ACCEPTED:
        messages.success(request, _("Accepted at your price: the merchant's rule allows it."))
        return redirect("web:factory_offer", allocation_id=allocation_id)
    messages.success(request, _("Counter-offer sent. Your capacity stays booked while the merchant decides."))
    return redirect("web:factory_offer", allocation_id=allocation_id)


@factory_required
def sample_page(request: HttpRequest, allocation_id: int) -> HttpResponse:
    card = deal_selectors.factory_sample_get(factory=_factory(request), allocation_id=allocation_id)
    if card is None:
        raise Http404
    context = {"card": card, "ship_form": SampleShipForm(initial={"once": new_once_token()}), "tab": "inbox"}
    return render(request, "web/factory/sample.html", context)


@factory_required
@require_POST
def sample_ship_view(request: HttpRequest, allocation_id: int) -> HttpResponse:
    factory = _factory(request)
    form = SampleShipForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_error(form))
        return redirect("web:factory_sample", allocation_id=allocation_id)
    data = form.cleaned_data
    try:
        run_once(
            request,
            token=data["once"],
            action="sample_ship",
            call=lambda: services.sample_ship(
                allocation_id=allocation_id,
                factory=factory,
                carrier=data["carrier"],
                tracking=data["tracking"],
                actor=request.user,  # type: ignore[arg-type]
            ),
        )
    except AlreadyDone:
        pass
    except Allocation.DoesNotExist as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, error_text(exc))
        return redirect("web:factory_sample", allocation_id=allocation_id)
    else:
        messages.success(request, _("Sample shipped. The merchant is told."))
    return redirect("web:factory_sample", allocation_id=allocation_id)


# --- the merchant: answer a counter, judge a sample --------------------------------------------------


def _merchant_act(
    request: HttpRequest, allocation_id: int, call: Callable[[Merchant], Any], *, done: str
) -> HttpResponse:
    merchant = _merchant(request)
    allocation = Allocation.objects.filter(pk=allocation_id, order__merchant=merchant).first()
    if allocation is None:
        raise Http404
    try:
        call(merchant)
    except Allocation.DoesNotExist as exc:
        raise Http404 from exc
    except DomainError as exc:
        allocation.refresh_from_db()
        messages.error(
            request,
            _("%(error)s The share is now: %(status)s.")
            % {"error": error_text(exc), "status": labels.label(labels.ALLOCATION_STATUS, allocation.status)},
        )
    else:
        messages.success(request, done)
    return redirect("web:order_detail", order_id=allocation.order_id)


@merchant_required
@require_POST
def counter_accept_view(request: HttpRequest, allocation_id: int) -> HttpResponse:
    return _merchant_act(
        request,
        allocation_id,
        lambda m: services.counter_accept(allocation_id=allocation_id, merchant=m, actor=request.user),  # type: ignore[arg-type]
        done=_("Counter-offer accepted."),
    )


@merchant_required
@require_POST
def counter_reject_view(request: HttpRequest, allocation_id: int) -> HttpResponse:
    form = CounterRejectForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _merchant_act(
        request,
        allocation_id,
        lambda m: services.counter_reject(
            allocation_id=allocation_id,
            merchant=m,
            reason=reason,
            actor=request.user,  # type: ignore[arg-type]
        ),
        done=_("Counter-offer declined. The share goes to the next factory."),
    )


@merchant_required
@require_POST
def sample_approve_view(request: HttpRequest, allocation_id: int) -> HttpResponse:
    return _merchant_act(
        request,
        allocation_id,
        lambda m: services.sample_approve(allocation_id=allocation_id, merchant=m, actor=request.user),  # type: ignore[arg-type]
        done=_("Sample approved. The bulk goes ahead."),
    )


def _form_refused(request: HttpRequest, allocation_id: int, form: forms.Form) -> HttpResponse:
    """Back to the merchant's order page with the form's error (a 404 for another merchant's share)."""
    messages.error(request, _form_error(form))
    allocation = Allocation.objects.filter(pk=allocation_id, order__merchant=_merchant(request)).first()
    if allocation is None:
        raise Http404
    return redirect("web:order_detail", order_id=allocation.order_id)


@merchant_required
@require_POST
def sample_changes_view(request: HttpRequest, allocation_id: int) -> HttpResponse:
    form = SampleChangesForm(request.POST)
    if not form.is_valid():
        return _form_refused(request, allocation_id, form)
    comment = form.cleaned_data["comment"]
    return _merchant_act(
        request,
        allocation_id,
        lambda m: services.sample_request_changes(
            allocation_id=allocation_id,
            merchant=m,
            comment=comment,
            actor=request.user,  # type: ignore[arg-type]
        ),
        done=_("Changes requested. The factory makes a new sample."),
    )


@merchant_required
@require_POST
def sample_reject_view(request: HttpRequest, allocation_id: int) -> HttpResponse:
    form = SampleRejectForm(request.POST)
    if not form.is_valid():
        return _form_refused(request, allocation_id, form)
    reason = form.cleaned_data["reason"]
    return _merchant_act(
        request,
        allocation_id,
        lambda m: services.sample_reject(
            allocation_id=allocation_id,
            merchant=m,
            reason=reason,
            actor=request.user,  # type: ignore[arg-type]
        ),
        done=_("Sample rejected. The order is matched with another factory."),
    )
