"""Writes of message threads: posting a message (and telling the other side), marking a thread read.

A message goes to the thread of its order and factory, created with the first message. Before the
factory's share is confirmed its contact details are masked (messaging.masking). The other side is
notified in the same transaction (`message.received`), so a notification exists exactly when its message does.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.urls import reverse

from attachments.selectors import attachments_for_factory
from marketplace.accounts.models import User
from marketplace.errors import ValidationFailed
from messaging.masking import mask_contacts
from messaging.models import Message, Side, Thread, ThreadRead
from messaging.selectors import ThreadAccess, share_confirmed
from notifications.services import notify
from orders.models import Allocation

EXCERPT_CHARS = 120


def _thread_for(access: ThreadAccess) -> Thread:
    allocation = access.allocation
    try:
        with transaction.atomic():  # a savepoint: two first messages at once find the one thread
            thread, _ = Thread.objects.get_or_create(order_id=allocation.order_id, factory_id=allocation.factory_id)
    except IntegrityError:
        thread = Thread.objects.get(order_id=allocation.order_id, factory_id=allocation.factory_id)
    return thread


def message_post(*, access: ThreadAccess, author: User, text: str, file_ids: list[int]) -> Message:
    """Post to the thread of `access` (the merchant or the factory): text, files of the order, or both."""
    text = text.strip()
    unique_ids = sorted(set(file_ids))
    if not text and not unique_ids:
        raise ValidationFailed("A message needs text or a file.", code="blank", field="text")
    allocation = access.allocation
    files = attachments_for_factory(order=allocation.order, factory=allocation.factory, ids=unique_ids)
    if len(files) != len(unique_ids):
        raise ValidationFailed(
            "Every file must be one uploaded to this order and shared with this factory.",
            code="invalid_file",
            field="files",
        )
    confirmed = share_confirmed(order_id=allocation.order_id, factory_id=allocation.factory_id)
    shown, masked = (text, False) if confirmed else mask_contacts(text)
    with transaction.atomic():
        thread = _thread_for(access)
        message = Message.objects.create(
            thread=thread, author=author, side=access.side, text=shown, original_text=text, masked=masked
        )
        if files:
            message.attachments.set(files)
        thread_mark_read(thread=thread, user=author, up_to=message.pk)
        _notify_other_side(access=access, message=message)
    return message


def _notify_other_side(*, access: ThreadAccess, message: Message) -> None:
    allocation: Allocation = access.allocation
    order = allocation.order
    # The sender is not named: a merchant is not told which factory was offered its order until it commits.
    if access.side == Side.MERCHANT:
        recipient = allocation.factory.owner
        url = reverse("web:factory_offer", args=[allocation.pk])
    else:
        recipient = order.merchant.owner
        url = reverse("web:order_detail", args=[order.pk]) + f"#thread-{allocation.factory_id}"
    excerpt = message.text[:EXCERPT_CHARS] or f"[{message.attachments.count()} file(s)]"
    notify(
        kind="message.received",
        recipients=[recipient],
        key=f"message.received:{message.pk}",
        data={"order_id": order.pk, "title": order.title, "side": access.side, "excerpt": excerpt},
        url=url,
        subject=("order", order.pk),
    )


def thread_mark_read(*, thread: Thread, user: User, up_to: int) -> None:
    """Mark the thread read by `user` up to message `up_to`; never moves the mark backwards."""
    read, created = ThreadRead.objects.get_or_create(thread=thread, user=user, defaults={"last_read_id": up_to})
    if not created:
        ThreadRead.objects.filter(pk=read.pk, last_read_id__lt=up_to).update(last_read_id=up_to)
