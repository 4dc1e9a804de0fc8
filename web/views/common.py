"""What every page view shares: role gates, one-time form tokens and translated domain errors."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from marketplace.accounts.models import Role
from marketplace.errors import DomainError
from matching.services import retry_on_deadlock
from web.models import FormSubmission

View = Callable[..., HttpResponse]


def merchant_required(view: View) -> View:
    """Merchant pages: logged in as a merchant with its organisation; everyone else is refused (403)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if getattr(user, "role", None) != Role.MERCHANT or not hasattr(user, "merchant"):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def factory_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if getattr(user, "role", None) != Role.FACTORY or not hasattr(user, "factory"):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def admin_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not getattr(request.user, "is_platform_admin", False):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


class AlreadyDone(Exception):
    """The one-time token of this form was used by an earlier, successful post."""


def run_once[T](request: HttpRequest, *, token: str, action: str, call: Callable[[], T]) -> T:
    """Run `call` unless `token` was already spent; the claim and the action commit or roll back together.

    A phone that re-sends a form after a dropped connection thus reports its pieces once. The
    unique index on the token settles two concurrent re-sends. The claim and the action form the
    outermost transaction, so a deadlock PostgreSQL aborts it for rolls both back and both run again
    (`retry_on_deadlock`, as the API's services do): the factory never sees a 500 for it.
    """

    @retry_on_deadlock
    def claim_and_act() -> T:
        with transaction.atomic():
            FormSubmission.objects.create(token=token, user=request.user, action=action)  # type: ignore[misc]
            return call()

    try:
        return claim_and_act()
    except IntegrityError as exc:
        if FormSubmission.objects.filter(token=token).exists():
            raise AlreadyDone from exc
        raise


def error_text(exc: DomainError) -> str:
    """A translated sentence for a refused action; the service's English text when the code is new."""
    messages = {
        "sizes_mismatch": _("The sizes do not add up to the quantity."),
        "past_date": _("The date must be in the future."),
        "out_of_range": _("A value is out of range."),
        "taken": _("This username is taken."),
        "illegal_transition": _("This action is no longer possible: the order or offer has moved on."),
        "offer_expired": _("This offer has expired."),
        "exceeds_allocation": _("That is more pieces than this job has left for the stage."),
        "below_committed": _("Work already in production is booked on this day; capacity cannot go below it."),
        "not_delivered": _("Only a delivered order can be repeated."),
        "idempotency_key_reused": _("This form was already sent with different values."),
        "busy": _("The day kept changing while it was saved; please try again."),
        "breakdown_mismatch": _("The colours and sizes do not add up to the quantity."),
        "exceeds_colour": _("That is more pieces of this colour than the job has left for the stage."),
        "unknown_colour": _("This job has no such colour."),
        # the deal: counter-offers and samples
        "counter_pending": _("A counter-offer is already waiting for the merchant's answer."),
        "no_counter": _("There is no counter-offer waiting for an answer."),
        "counter_expired": _("The counter-offer has expired."),
        "offer_closed": _("This offer is no longer open."),
        "no_change": _("A counter-offer changes the price or the ship-by date; to take the offer as it is, accept it."),
        "ship_by_too_late": _("Shipped on that date, the goods would arrive after the due date."),
        "capacity_gone": _("The factory no longer has the capacity held for this share."),
        "no_sample": _("This share has no sample in progress."),
        "sample_already_shipped": _("This sample round was already shipped."),
        "sample_late": _("The sample was due earlier; this round has expired."),
        "sample_not_shipped": _("The sample has not been shipped yet."),
        "sample_rounds_exhausted": _("This was the last sample round: approve or reject it."),
    }
    if exc.code == "weak_password":
        return exc.message  # Django's password validators, already in the request's language.
    return messages.get(exc.code, exc.message)
