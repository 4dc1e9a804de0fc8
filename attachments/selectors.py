"""Reads of files, scoped to the caller: who is a party of an order, and which of its files they see.

The parties of an order are its merchant, every factory it was ever offered to (they saw the tech pack
when deciding) and platform admins. A factory sees the order's shared files and its own, never the
files another factory uploaded or that the merchant meant for another factory. Anyone else gets
NotFound (404), exactly as for an order or a file that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from attachments.models import Attachment
from factories.models import Factory
from marketplace.accounts.models import Role, User
from marketplace.errors import NotFound
from orders.models import HOLDING_ALLOCATION_STATUSES, Allocation, Order

MERCHANT = "merchant"
FACTORY = "factory"
ADMIN = "admin"


@dataclass(frozen=True)
class OrderAccess:
    """The caller's standing on one order."""

    order: Order
    role: str
    factory: Factory | None = None
    # A factory may add files while it holds a share (offered or committed); admins only read.
    can_upload: bool = False


def order_access(*, user: User, order_id: int) -> OrderAccess:
    """The caller's access to an order, or NotFound when the caller is not one of its parties."""
    order = Order.objects.select_related("merchant").filter(pk=order_id).first()
    if order is None:
        raise NotFound("Order not found.")
    if getattr(user, "is_platform_admin", False):
        return OrderAccess(order=order, role=ADMIN)
    role = getattr(user, "role", None)
    if role == Role.MERCHANT and order.merchant.owner_id == user.pk:
        return OrderAccess(order=order, role=MERCHANT, can_upload=True)
    if role == Role.FACTORY:
        factory = Factory.objects.filter(owner=user).first()
        statuses = set(
            Allocation.objects.filter(order=order, factory=factory).values_list("status", flat=True)
            if factory is not None
            else []
        )
        if statuses:
            return OrderAccess(
                order=order,
                role=FACTORY,
                factory=factory,
                can_upload=bool(statuses & set(HOLDING_ALLOCATION_STATUSES)),
            )
    raise NotFound("Order not found.")


def _visible(access: OrderAccess) -> QuerySet[Attachment]:
    qs = Attachment.objects.filter(order=access.order)
    if access.role == FACTORY:
        qs = qs.filter(Q(factory__isnull=True) | Q(factory=access.factory))
    return qs


def attachment_list(*, access: OrderAccess) -> QuerySet[Attachment]:
    """The order's files the caller may see, oldest first."""
    return _visible(access).select_related("uploaded_by").order_by("id")


def attachment_get(*, user: User, attachment_id: int) -> Attachment:
    """One file the caller may see, or NotFound."""
    order_id = Attachment.objects.filter(pk=attachment_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFound("File not found.")
    try:
        access = order_access(user=user, order_id=order_id)
    except NotFound as exc:
        raise NotFound("File not found.") from exc
    attachment = _visible(access).filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound("File not found.")
    return attachment


def attachments_for_factory(*, order: Order, factory: Factory, ids: list[int]) -> list[Attachment]:
    """The files among `ids` that belong to `order` and that `factory` (and so the merchant) may see:
    what a message between them may carry."""
    return list(
        Attachment.objects.filter(order=order, pk__in=ids)
        .filter(Q(factory__isnull=True) | Q(factory=factory))
        .order_by("id")
    )
