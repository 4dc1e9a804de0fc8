"""Reads of message threads, scoped to the caller.

A thread is reached through one of its factory's allocations: the order's merchant and that factory
may read and write it, a platform admin may read it. Another factory's allocation, another
merchant's order or an id that does not exist all answer NotFound (404).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from attachments.models import Attachment
from marketplace.accounts.models import Role, User
from marketplace.errors import NotFound
from messaging.models import Message, Side, Thread, ThreadRead
from orders.models import COMMITTED_ALLOCATION_STATUSES, Allocation, Order

ADMIN = "admin"


@dataclass(frozen=True)
class ThreadAccess:
    allocation: Allocation
    side: str  # Side.MERCHANT, Side.FACTORY or ADMIN (read only)

    @property
    def can_write(self) -> bool:
        return self.side != ADMIN

    @property
    def order(self) -> Order:
        return self.allocation.order


def thread_access(*, user: User, allocation_id: int) -> ThreadAccess:
    allocation = (
        Allocation.objects.select_related("order", "order__merchant__owner", "factory__owner")
        .filter(pk=allocation_id)
        .first()
    )
    if allocation is not None:
        if getattr(user, "is_platform_admin", False):
            return ThreadAccess(allocation=allocation, side=ADMIN)
        role = getattr(user, "role", None)
        if role == Role.MERCHANT and allocation.order.merchant.owner_id == user.pk:
            return ThreadAccess(allocation=allocation, side=Side.MERCHANT)
        if role == Role.FACTORY and allocation.factory.owner_id == user.pk:
            return ThreadAccess(allocation=allocation, side=Side.FACTORY)
    raise NotFound("Allocation not found.")


def thread_of(access: ThreadAccess) -> Thread | None:
    return Thread.objects.filter(order_id=access.allocation.order_id, factory_id=access.allocation.factory_id).first()


def share_confirmed(*, order_id: int, factory_id: int) -> bool:
    """Has the factory committed to a share of the order (accepted or later)? Until then contacts are masked."""
    return Allocation.objects.filter(
        order_id=order_id, factory_id=factory_id, status__in=COMMITTED_ALLOCATION_STATUSES
    ).exists()


def message_list(*, thread: Thread | None, before: int | None = None, limit: int = 100) -> list[Message]:
    """The thread's latest `limit` messages (older than `before` if given), oldest first, with their files."""
    if thread is None:
        return []
    qs = Message.objects.filter(thread=thread).select_related("author")
    if before is not None:
        qs = qs.filter(pk__lt=before)
    latest = qs.prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id"))).order_by("-id")
    return list(reversed(latest[:limit]))


def unread_count(*, thread: Thread | None, user: User) -> int:
    """Messages of the other side the reader has not read yet."""
    if thread is None:
        return 0
    last = ThreadRead.objects.filter(thread=thread, user=user).values_list("last_read_id", flat=True).first() or 0
    return Message.objects.filter(thread=thread, pk__gt=last).exclude(author=user).count()


def _with_unread(threads: QuerySet[Thread], user: User) -> QuerySet[Thread]:
    last_read = ThreadRead.objects.filter(thread=OuterRef("pk"), user=user).values("last_read_id")[:1]
    return threads.annotate(_last_read=Coalesce(Subquery(last_read), 0)).annotate(
        unread=Count(
            "messages", filter=Q(messages__id__gt=Coalesce(Subquery(last_read), 0)) & ~Q(messages__author=user)
        )
    )


def thread_list(*, user: User) -> QuerySet[Thread]:
    """The caller's threads (a merchant's orders', a factory's own) with `unread`, `last_message_at` and
    `allocation` (the factory's latest allocation on the order, the thread's API address), most recent first."""
    role = getattr(user, "role", None)
    if role == Role.MERCHANT:
        threads = Thread.objects.filter(order__merchant__owner=user)
    elif role == Role.FACTORY:
        threads = Thread.objects.filter(factory__owner=user)
    else:
        threads = Thread.objects.none()
    latest = Allocation.objects.filter(order=OuterRef("order"), factory=OuterRef("factory")).order_by("-id")
    return (
        _with_unread(threads, user)
        .annotate(last_message_at=Max("messages__created_at"), allocation=Subquery(latest.values("pk")[:1]))
        .select_related("order")
        .order_by("-last_message_at", "-id")
    )


def unread_by_factory(*, order_id: int, user: User) -> dict[int, int]:
    """For the merchant's order page: unread messages per factory's thread."""
    threads = _with_unread(Thread.objects.filter(order_id=order_id), user)
    return {t.factory_id: t.unread for t in threads}  # type: ignore[attr-defined]


def unread_by_order(*, factory_id: int, user: User, order_ids: Iterable[int]) -> dict[int, int]:
    """For a factory's pages: unread messages per order it was offered."""
    threads = _with_unread(Thread.objects.filter(factory_id=factory_id, order_id__in=list(order_ids)), user)
    return {t.order_id: t.unread for t in threads}  # type: ignore[attr-defined]
