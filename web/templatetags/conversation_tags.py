"""The files and the message threads of an order, as partials the order pages include.

`{% order_files order %}` lists the files the viewer may see (thumbnails for images) with an upload
form for those who may add; `{% order_threads order %}` is the merchant's side (one thread per factory
offered the order); `{% allocation_thread allocation %}` is a factory's phone side. Opening a page
with a thread on it reads it: the unread mark moves, as reading it through the API does.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from attachments import selectors as files
from marketplace.errors import NotFound
from messaging import selectors as threads
from messaging.services import thread_mark_read
from orders.models import Allocation, Order

register = template.Library()

FILE_KINDS = {
    "tech_pack": _("Tech pack"),
    "image": _("Image"),
    "size_spec": _("Size specification"),
    "artwork": _("Artwork"),
}


@register.inclusion_tag("web/conversation/_files.html", takes_context=True)
def order_files(context: dict[str, Any], order: Order) -> dict[str, Any]:
    request = context["request"]
    try:
        access = files.order_access(user=request.user, order_id=order.pk)
    except NotFound:
        return {"hidden": True}
    return {
        "request": request,
        "order": order,
        "files": list(files.attachment_list(access=access)),
        "can_upload": access.can_upload,
        "kinds": list(FILE_KINDS.items()),
        "next": request.get_full_path(),
    }


def _thread_context(request: Any, allocation: Allocation) -> dict[str, Any]:
    access = threads.thread_access(user=request.user, allocation_id=allocation.pk)
    thread = threads.thread_of(access)
    unread = threads.unread_count(thread=thread, user=request.user)
    messages = threads.message_list(thread=thread)
    if thread is not None and messages and access.can_write:
        thread_mark_read(thread=thread, user=request.user, up_to=messages[-1].pk)
    confirmed = threads.share_confirmed(order_id=allocation.order_id, factory_id=allocation.factory_id)
    # Until it commits, the merchant is not told which factory was offered the order (as the order page).
    label = (
        allocation.factory.name
        if confirmed
        else gettext("Factory offered share %(n)s") % {"n": allocation.share_no + 1}
    )
    return {
        "label": label,
        "allocation": allocation,
        "factory": allocation.factory,
        "side": access.side,
        "thread_messages": messages,
        "unread": unread,
        "can_write": access.can_write,
        "masked": not confirmed,
    }


@register.inclusion_tag("web/conversation/_threads.html", takes_context=True)
def order_threads(context: dict[str, Any], order: Order) -> dict[str, Any]:
    """The merchant's side: one thread per factory the order was offered to (its latest allocation)."""
    request = context["request"]
    latest: dict[int, Allocation] = {}
    for allocation in Allocation.objects.filter(order=order).select_related("factory", "order").order_by("id"):
        latest[allocation.factory_id] = allocation
    return {
        "request": request,
        "threads": [_thread_context(request, a) for a in latest.values()],
        "next": request.get_full_path(),
    }


@register.inclusion_tag("web/conversation/_phone_thread.html", takes_context=True)
def allocation_thread(context: dict[str, Any], allocation: Allocation) -> dict[str, Any]:
    request = context["request"]
    return {"request": request, "next": request.get_full_path(), **_thread_context(request, allocation)}


@register.filter
def file_kind(code: str) -> str:
    return str(FILE_KINDS.get(code, code))
