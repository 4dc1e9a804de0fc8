"""The in-app inbox page: everyone's notifications, newest first; opening one marks it read.

Titles and bodies are rendered in the page's language from each notification's facts (the catalogue);
every read and write goes through the notifications app's selectors and services, scoped to the user,
so another user's notification is not found (404).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from marketplace.accounts.models import Role, User
from marketplace.errors import NotFound
from notifications import catalogue, selectors, services

PAGE_SIZE = 20


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(selectors.notification_list(user=user, unread=unread_only), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    items = [(n, *catalogue.render(n.kind, n.data)) for n in page]
    phone = getattr(user, "role", None) == Role.FACTORY and hasattr(user, "factory")
    context = {
        "page": page,
        "items": items,
        "unread_only": unread_only,
        "phone": phone,
        "base_template": "web/phone_base.html" if phone else "web/base.html",
    }
    return render(request, "web/notifications/inbox.html", context)


def _mark_read(request: HttpRequest, notification_id: int) -> str:
    """Mark the user's notification read; its page (a path on this site), or the inbox."""
    try:
        notification = services.notification_mark_read(user=_user(request), notification_id=notification_id)
    except NotFound as exc:
        raise Http404 from exc
    url = notification.url
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts=None) and url.startswith("/"):
        return url
    return ""


@login_required
@require_GET
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Where a notification leads: marked read (idempotent), then its page."""
    return redirect(_mark_read(request, notification_id) or "web:notifications")


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    _mark_read(request, notification_id)
    return redirect(_back(request))


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_all_read(user=_user(request))
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    """Back to the inbox page the form was on (a local path only)."""
    target = request.POST.get("next", "")
    if target.startswith("/notifications/") and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return target
    return "/notifications/"
