"""Who is calling: the one helper every API view uses to name the authenticated user."""

from __future__ import annotations

from typing import cast

from rest_framework.request import Request

from marketplace.accounts.models import User


def request_user(request: Request) -> User:
    """The authenticated caller; only called behind a permission that requires authentication."""
    return cast(User, request.user)
