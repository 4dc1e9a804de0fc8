"""The factory's phone pages: offers inbox, load, capacity calendar, production reporting, history.

Every POST carries a one-time token (run_once), so a form re-sent after a network hiccup acts
once; the state machine's 409 is the second guard, answered by showing the current state.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from factories.models import Factory
from marketplace.errors import DomainError
from matching.services import DayChange, calendar_update, offer_accept, offer_decline
from orders.models import Allocation, AllocationStatus
from orders.services import allocation_report_progress, allocation_ship
from orders.state import allocation_actions
from web import labels, selectors
from web.forms import DayForm, DeclineForm, OnceForm, ProgressForm, ShipForm, new_once_token, share_colours
from web.selectors import deal as deal_selectors
from web.views.common import AlreadyDone, error_text, factory_required, run_once

CALENDAR_DAYS = 28


def _factory(request: HttpRequest) -> Factory:
    return request.user.factory  # type: ignore[union-attr]


def _offers_context(request: HttpRequest, factory: Factory) -> dict[str, object]:
    offers = list(selectors.factory_open_offers(factory=factory))
    # The deal: a counter waiting for the merchant replaces the card's Accept (web/factory/_counter.html).
    pending = deal_selectors.pending_counters(allocation_ids=[o.pk for o in offers])
    for offer in offers:
        offer.pending_counter = pending.get(offer.pk)  # type: ignore[attr-defined]
    return {
        "offers": [(o, new_once_token()) for o in offers],
        "decline_reasons": list(labels.DECLINE_REASONS.items()),
        "offer_ids": ",".join(str(o.pk) for o in offers),
    }


@factory_required
def inbox(request: HttpRequest) -> HttpResponse:
    factory = _factory(request)
    today = timezone.localdate()
    week = selectors.factory_load(factory=factory, start=today, days=7)
    context = _offers_context(request, factory) | {
        "factory": factory,
        "today": week[0],
        "week": week,
        "week_capacity": sum(d.capacity for d in week),
        "week_reserved": sum(d.reserved for d in week),
        "jobs_count": len(selectors.factory_jobs(factory=factory)),
        "samples": deal_selectors.factory_samples(factory=factory),
        "tab": "inbox",
    }
    return render(request, "web/factory/inbox.html", context)


@factory_required
@require_GET
def offer_detail(request: HttpRequest, allocation_id: int) -> HttpResponse:
    """One offer, where a push notification leads: answer it, or see what became of it."""
    factory = _factory(request)
    allocation = selectors.factory_allocation_get(factory=factory, allocation_id=allocation_id)
    if allocation.status == AllocationStatus.SAMPLING:
        return redirect("web:factory_sample", allocation_id=allocation.pk)
    if allocation.status != AllocationStatus.OFFERED:
        if allocation.status in (AllocationStatus.ACCEPTED, AllocationStatus.IN_PRODUCTION, AllocationStatus.SHIPPED):
            return redirect("web:factory_job", allocation_id=allocation.pk)
        messages.info(
            request,
            _("This offer is no longer open: %(status)s.")
            % {"status": labels.label(labels.ALLOCATION_STATUS, allocation.status)},
        )
        return redirect("web:factory_inbox")
    allocation.pending_counter = deal_selectors.pending_counters(allocation_ids=[allocation.pk]).get(  # type: ignore[attr-defined]
        allocation.pk
    )
    context = {
        "offers": [(allocation, new_once_token())],
        "decline_reasons": list(labels.DECLINE_REASONS.items()),
        "tab": "inbox",
    }
    return render(request, "web/factory/offer.html", context)


@factory_required
@require_GET
def offers_poll(request: HttpRequest) -> JsonResponse:
    """Polled every few seconds by the inbox: the open offers' ids and their rendered cards."""
    factory = _factory(request)
    context = _offers_context(request, factory)
    html = render_to_string("web/factory/_offers.html", context, request=request)
    return JsonResponse({"ids": [o.pk for o, _token in context["offers"]], "html": html})  # type: ignore[attr-defined]


def _answer(request: HttpRequest, allocation_id: int, *, accept: bool) -> HttpResponse:
    factory = _factory(request)
    allocation = selectors.factory_allocation_get(factory=factory, allocation_id=allocation_id)
    form: OnceForm = OnceForm(request.POST) if accept else DeclineForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a reason to decline."))
        return redirect("web:factory_inbox")
    try:
        if accept:
            run_once(
                request,
                token=form.cleaned_data["once"],
                action="offer_accept",
                call=lambda: offer_accept(allocation_id=allocation.pk, factory=factory, actor=request.user),  # type: ignore[arg-type]
            )
        else:
            run_once(
                request,
                token=form.cleaned_data["once"],
                action="offer_decline",
                call=lambda: offer_decline(
                    allocation_id=allocation.pk,
                    factory=factory,
                    reason=form.cleaned_data["reason"],
                    actor=request.user,  # type: ignore[arg-type]
                ),
            )
    except AlreadyDone:
        pass  # The first post did it; show where things stand now.
    except DomainError as exc:
        allocation.refresh_from_db()
        messages.error(
            request,
            _("%(error)s The offer is now: %(status)s.")
            % {"error": error_text(exc), "status": labels.label(labels.ALLOCATION_STATUS, allocation.status)},
        )
        return redirect("web:factory_inbox")
    allocation.refresh_from_db()
    if allocation.status == AllocationStatus.ACCEPTED:
        messages.success(request, _("Accepted. The job is on your list."))
        return redirect("web:factory_job", allocation_id=allocation.pk)
    if allocation.status == AllocationStatus.SAMPLING:
        messages.success(request, _("Accepted. Make the sample first: the bulk waits for the merchant's approval."))
        return redirect("web:factory_sample", allocation_id=allocation.pk)
    messages.success(request, _("Declined. The order goes to another factory."))
    return redirect("web:factory_inbox")


@factory_required
@require_POST
def offer_accept_view(request: HttpRequest, allocation_id: int) -> HttpResponse:
    return _answer(request, allocation_id, accept=True)


@factory_required
@require_POST
def offer_decline_view(request: HttpRequest, allocation_id: int) -> HttpResponse:
    return _answer(request, allocation_id, accept=False)


@factory_required
def jobs(request: HttpRequest) -> HttpResponse:
    return render(
        request, "web/factory/jobs.html", {"jobs": selectors.factory_jobs(factory=_factory(request)), "tab": "jobs"}
    )


@factory_required
def job_detail(request: HttpRequest, allocation_id: int) -> HttpResponse:
    factory = _factory(request)
    allocation = selectors.factory_allocation_get(factory=factory, allocation_id=allocation_id)
    return _render_job(request, allocation)


def _render_job(
    request: HttpRequest,
    allocation: Allocation,
    progress_form: ProgressForm | None = None,
    ship_form: ShipForm | None = None,
) -> HttpResponse:
    progress = selectors.progress_for([allocation])[allocation.pk]
    next_stage = next((s.stage for s in progress.stages if s.done < s.total), "pack")
    actions = allocation_actions(allocation)
    return render(
        request,
        "web/factory/job.html",
        {
            "job": progress,
            "allocation": allocation,
            "can_report": "report" in actions,
            "can_ship": "ship" in actions,
            "progress_form": progress_form
            or ProgressForm(
                initial={"once": new_once_token(), "stage": next_stage, "defects": 0},
                colours=share_colours(allocation),
            ),
            "ship_form": ship_form or ShipForm(initial={"once": new_once_token()}),
            "tab": "jobs",
        },
    )


@factory_required
@require_POST
def job_report(request: HttpRequest, allocation_id: int) -> HttpResponse:
    factory = _factory(request)
    allocation = selectors.factory_allocation_get(factory=factory, allocation_id=allocation_id)
    form = ProgressForm(request.POST, colours=share_colours(allocation))
    if form.is_valid():
        d = form.cleaned_data
        try:
            run_once(
                request,
                token=d["once"],
                action="progress",
                call=lambda: allocation_report_progress(
                    allocation_id=allocation.pk,
                    factory=factory,
                    stage=d["stage"],
                    quantity=d["quantity"],
                    defects=d["defects"] or 0,
                    colour=d.get("colour") or "",
                    note=d["note"],
                    actor=request.user,  # type: ignore[arg-type]
                ),
            )
        except AlreadyDone:
            messages.info(request, _("This report was already saved."))
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, error_text(exc))
            allocation.refresh_from_db()
            return _render_job(request, allocation, progress_form=_fresh_token(form))
        else:
            messages.success(
                request,
                _("Saved: %(stage)s +%(qty)s.")
                % {
                    "stage": labels.label(labels.STAGE, d["stage"]),
                    "qty": d["quantity"],
                },
            )
        return redirect("web:factory_job", allocation_id=allocation.pk)
    return _render_job(request, allocation, progress_form=form)


def _fresh_token(form: ProgressForm) -> ProgressForm:
    """After a refused post the token is still free, but a new one keeps the next try distinct."""
    data = form.data.copy()  # type: ignore[attr-defined]
    data["once"] = new_once_token()
    fresh = ProgressForm(data, colours=form.colours)
    fresh.is_valid()
    for field, errors in form.errors.items():
        for error in errors:
            fresh.add_error(field if field != "__all__" else None, error)
    return fresh


@factory_required
@require_POST
def job_ship(request: HttpRequest, allocation_id: int) -> HttpResponse:
    factory = _factory(request)
    allocation = selectors.factory_allocation_get(factory=factory, allocation_id=allocation_id)
    form = ShipForm(request.POST)
    if not form.is_valid():
        return _render_job(request, allocation, ship_form=form)
    d = form.cleaned_data
    try:
        run_once(
            request,
            token=d["once"],
            action="ship",
            call=lambda: allocation_ship(
                allocation_id=allocation.pk,
                factory=factory,
                carrier=d["carrier"],
                tracking=d["tracking"],
                actor=request.user,  # type: ignore[arg-type]
            ),
        )
    except AlreadyDone:
        pass
    except DomainError as exc:
        messages.error(request, error_text(exc))
        return redirect("web:factory_job", allocation_id=allocation.pk)
    messages.success(request, _("Marked as shipped."))
    return redirect("web:factory_history")


@factory_required
def history(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/factory/history.html",
        {"jobs": selectors.factory_history(factory=_factory(request)), "tab": "history"},
    )


@factory_required
def calendar(request: HttpRequest) -> HttpResponse:
    factory = _factory(request)
    today = timezone.localdate()
    days = selectors.factory_load(factory=factory, start=today, days=CALENDAR_DAYS)
    lead = [None] * today.weekday()  # Monday-first grid
    return render(request, "web/factory/calendar.html", {"days": lead + days, "factory": factory, "tab": "calendar"})


def _parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise Http404 from exc


@factory_required
def calendar_day(request: HttpRequest, day: str) -> HttpResponse:
    """One day of the calendar: close it, add overtime, back to standard, or set minutes."""
    factory = _factory(request)
    the_day = _parse_day(day)
    today = timezone.localdate()
    if the_day < today or the_day > today + timedelta(days=366):
        raise Http404
    load = selectors.factory_load(factory=factory, start=the_day, days=1)[0]
    # Overtime: two extra hours for every operator at the usual efficiency.
    overtime = load.capacity + int(factory.sewing_operators * 120 * factory.efficiency)
    if request.method == "POST":
        form = DayForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            minutes = {
                "close": 0,
                "overtime": overtime,
                "standard": load.standard,
                "set": d["minutes"] if d["minutes"] is not None else load.capacity,
            }[d["action"]]
            note = d["note"] or labels.label(dict(DayForm.ACTIONS), d["action"])
            try:
                run_once(
                    request,
                    token=d["once"],
                    action="calendar",
                    call=lambda: calendar_update(
                        factory=factory, changes=[DayChange(day=the_day, capacity_minutes=minutes, note=note)]
                    ),
                )
            except AlreadyDone:
                pass
            except DomainError as exc:
                messages.error(request, error_text(exc))
                return redirect("web:factory_calendar_day", day=the_day.isoformat())
            messages.success(request, _("Calendar saved."))
            return redirect("web:factory_calendar")
    return render(
        request,
        "web/factory/calendar_day.html",
        {"load": load, "overtime": overtime, "once": new_once_token(), "tab": "calendar"},
    )
