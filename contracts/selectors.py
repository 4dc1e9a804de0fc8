"""Reads: a share's purchase orders, for the parties to it (the order's merchant, the share's factory) and admins.

Anyone else's id answers as a missing one (NotFound, a 404), never a 403.
"""

from __future__ import annotations

from django.db.models import QuerySet

from contracts.models import PurchaseOrder
from marketplace.accounts.models import Role, User
from marketplace.errors import NotFound
from orders.models import Allocation


def _readable_allocations(user: User) -> QuerySet[Allocation]:
    allocations = Allocation.objects.select_related("order__merchant", "factory")
    if user.is_platform_admin:
        return allocations
    if user.role == Role.MERCHANT:
        return allocations.filter(order__merchant__owner=user)
    if user.role == Role.FACTORY:
        return allocations.filter(factory__owner=user)
    return allocations.none()


def purchase_orders_for(*, user: User, allocation_id: int) -> list[PurchaseOrder]:
    """Every revision of the share's purchase order, the original first.

    NotFound (code `not_found`) when the share is not the caller's; NotFound (code
    `purchase_order_not_issued`) when it is, but no purchase order has been issued for it yet.
    """
    allocation = _readable_allocations(user).filter(pk=allocation_id).first()
    if allocation is None:
        raise NotFound("Allocation not found.")
    documents = list(PurchaseOrder.objects.filter(allocation=allocation).order_by("revision"))
    if not documents:
        raise NotFound(
            "No purchase order has been issued for this share yet: one is issued when the factory confirms it.",
            code="purchase_order_not_issued",
        )
    return documents


def purchase_order_latest(*, user: User, allocation_id: int) -> PurchaseOrder | None:
    """The share's current revision for a page, or None (not the caller's, or none issued yet)."""
    # One query: the scope is a subquery, so a page listing several shares pays one query per share.
    readable = _readable_allocations(user).filter(pk=allocation_id).values("pk")
    return PurchaseOrder.objects.filter(allocation_id__in=readable).order_by("-revision").first()
