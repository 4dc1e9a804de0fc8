"""Signal receivers, connected when the app is ready."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from marketplace.accounts.models import User
from notifications.services import push_subscriptions_forget_session


@receiver(user_logged_out, dispatch_uid="notifications.forget_push_of_session")
def forget_push_of_session(sender: object, request: HttpRequest | None, user: User | None, **kwargs: object) -> None:
    """A page's logout: its phone stops receiving this user's pushes (see PushSubscription.session_key)."""
    if request is None or user is None or not hasattr(request, "session"):
        return
    push_subscriptions_forget_session(user=user, session_key=request.session.session_key or "")
