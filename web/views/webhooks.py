"""The merchant portal's webhooks: endpoints, their secret shown once, rotation, on/off, removal, and each
endpoint's delivery log with a Redeliver button. The rules are `webhooks.services`' (public http(s) URL,
known event types); the forms only check shape.

A new or rotated secret is kept in the session for exactly one page view (popped when the endpoint's
page renders it), so a reload or the back button never shows it again.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from marketplace.accounts.models import Merchant
from marketplace.errors import DomainError, NotFound
from web.views.common import error_text, merchant_required
from webhooks import selectors
from webhooks.models import MAX_URL_LENGTH
from webhooks.services import (
    webhook_delivery_redeliver,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_update,
    webhook_secret_rotate,
    webhook_types,
)

SECRET_SESSION_KEY = "webhook_secret_once"
DELIVERY_PAGE_SIZE = 25


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=gettext_lazy("Endpoint URL"),
        max_length=MAX_URL_LENGTH,
        widget=forms.URLInput(attrs={"placeholder": "https://shop.example.com/c2m-webhooks"}),
    )
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events (none ticked: every event)"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = [(t, t) for t in webhook_types()]  # type: ignore[attr-defined]


def _merchant(request: HttpRequest) -> Merchant:
    return request.user.merchant  # type: ignore[union-attr]


def _refused(exc: DomainError) -> str:
    texts = {
        "private_address": _("This address is private or local; webhooks go to public servers only."),
        "scheme": _("The URL must start with http:// or https://."),
        "too_long": _("The URL is too long."),
        "unresolvable": _("This host name does not resolve."),
        "unknown_event": _("Choose from the events listed."),
        "too_many": _("You have as many endpoints as allowed; remove one first."),
        "endpoint_disabled": _("Enable the endpoint before redelivering."),
        "in_progress": _("This delivery is being sent right now."),
    }
    return texts.get(exc.code, error_text(exc))


def endpoint_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page about one of the merchant's endpoints: another merchant's or a missing one is a 404 page."""

    @merchant_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404 from exc

    return wrapped


def _show_secret_once(request: HttpRequest, endpoint_id: int, secret: str) -> None:
    request.session[SECRET_SESSION_KEY] = {"endpoint": endpoint_id, "secret": secret}


@merchant_required
def webhooks(request: HttpRequest) -> HttpResponse:
    merchant = _merchant(request)
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = webhook_endpoint_create(
                merchant=merchant, url=form.cleaned_data["url"], events=form.cleaned_data["events"]
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, _refused(exc))
        else:
            _show_secret_once(request, endpoint.pk, endpoint.secret)
            messages.success(request, _("Endpoint added. Copy its secret now: it is shown only once."))
            return redirect("web:webhook_detail", endpoint_id=endpoint.pk)
    endpoints = list(selectors.endpoint_list(merchant=merchant))
    return render(request, "web/merchant/webhooks.html", {"endpoints": endpoints, "form": form})


@endpoint_page
def webhook_detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = selectors.endpoint_get(merchant=_merchant(request), endpoint_id=endpoint_id)
    once = request.session.get(SECRET_SESSION_KEY)
    secret = None
    if once and once.get("endpoint") == endpoint.pk:
        secret = once["secret"]
        del request.session[SECRET_SESSION_KEY]
    page = Paginator(selectors.delivery_list(endpoint=endpoint), DELIVERY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/merchant/webhooks_detail.html",
        {"endpoint": endpoint, "secret": secret, "page": page, "all_events": not endpoint.events},
    )


@endpoint_page
@require_POST
def webhook_rotate(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = webhook_secret_rotate(merchant=_merchant(request), endpoint_id=endpoint_id)
    _show_secret_once(request, endpoint.pk, endpoint.secret)
    messages.success(request, _("New secret made. The old one keeps signing for a day, so switch over by then."))
    return redirect("web:webhook_detail", endpoint_id=endpoint.pk)


@endpoint_page
@require_POST
def webhook_toggle(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    enable = request.POST.get("is_active") == "1"
    webhook_endpoint_update(merchant=_merchant(request), endpoint_id=endpoint_id, is_active=enable)
    messages.success(request, _("Endpoint enabled.") if enable else _("Endpoint disabled."))
    return redirect("web:webhook_detail", endpoint_id=endpoint_id)


@endpoint_page
@require_POST
def webhook_delete(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    webhook_endpoint_delete(merchant=_merchant(request), endpoint_id=endpoint_id)
    messages.success(request, _("Endpoint removed."))
    return redirect("web:webhooks")


@endpoint_page
@require_POST
def webhook_redeliver(request: HttpRequest, endpoint_id: int, delivery_id: int) -> HttpResponse:
    try:
        webhook_delivery_redeliver(merchant=_merchant(request), endpoint_id=endpoint_id, delivery_id=delivery_id)
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, _refused(exc))
    else:
        messages.success(request, _("Sending it again now."))
    return redirect("web:webhook_detail", endpoint_id=endpoint_id)
