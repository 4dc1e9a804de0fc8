"""What every page's header needs: the unread badge and where the live stream is (with its token)."""

from __future__ import annotations

from functools import cache
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest

from notifications import selectors
from notifications.stream import stream_token


def live(request: HttpRequest) -> dict[str, object]:
    """For a signed-in user: `unread_notifications` and `live_events_url` (its token and resume point).

    The stream resumes after the newest notification there was when the page was rendered, so one that
    arrives between rendering and connecting is still sent. Both are read only when a template uses them.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def unread() -> int:
        return selectors.unread_count(user=user)

    @cache
    def events_url() -> str:
        after = selectors.latest_notification_id(user=user)
        return f"{settings.LIVE_EVENTS_URL}?{urlencode({'token': stream_token(user.pk), 'after': after})}"

    return {"unread_notifications": unread, "live_events_url": events_url}
