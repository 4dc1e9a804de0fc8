"""The purchase order block of a share, for the merchant's order page and the factory's job page."""

from __future__ import annotations

from typing import Any

from django import template

from contracts.selectors import purchase_order_latest
from marketplace.accounts.models import User

register = template.Library()


@register.inclusion_tag("web/contracts/_purchase_order.html", takes_context=True)
def purchase_order_section(context: dict[str, Any], allocation: Any, phone: bool = False) -> dict[str, Any]:
    """The share's purchase order in force (number, revision, terms) with its download link, if it has one.

    On the merchant's order page it sits inside a share (an h3 under the page's h2); on the factory's
    phone page it is a card of its own (an h2) with a big touch target.
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    document = purchase_order_latest(user=user, allocation_id=allocation.pk) if isinstance(user, User) else None
    return {"document": document, "allocation": allocation, "phone": phone, "heading": 2 if phone else 3}
