"""Role permissions for the API. Object scoping is done by selectors (another tenant's id -> 404)."""

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from marketplace.accounts.models import Role


class IsMerchant(BasePermission):
    message = "Only merchant accounts can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "role", None) == Role.MERCHANT)


class IsFactory(BasePermission):
    message = "Only factory accounts can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "role", None) == Role.FACTORY)


class IsPlatformAdmin(BasePermission):
    message = "Only platform admins can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "is_platform_admin", False))
