"""`Authorization: Device <key>`: a scanner or gateway acting for one factory, and nothing else.

The principal is not a user: it has no role, so every permission class of the rest of the API refuses
it, and only the floor views that list this authentication accept it. A revoked or unknown key is a 401.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from factories.models import Factory
from floor.models import DeviceKey
from floor.services.devices import device_key_check

KEYWORD = "Device"


@dataclass(frozen=True)
class DevicePrincipal:
    """request.user for a device: authenticated, scoped to its factory, never an admin."""

    device_key: DeviceKey
    factory: Factory
    role: str = "device"
    is_platform_admin: bool = False
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_active: bool = True

    @property
    def pk(self) -> None:
        return None

    @property
    def id(self) -> None:
        return None


class DeviceKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[DevicePrincipal, DeviceKey] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].decode(errors="replace").lower() != KEYWORD.lower():
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Malformed device key header.")
        key = device_key_check(parts[1].decode(errors="replace"))
        if key is None:
            raise AuthenticationFailed("Unknown or revoked device key.")
        return DevicePrincipal(device_key=key, factory=key.factory), key

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


class IsDevice(BasePermission):
    message = "Only a factory device key can do this."

    def has_permission(self, request: Request, view: object) -> bool:
        return isinstance(request.user, DevicePrincipal)


class DeviceKeyScheme(OpenApiAuthenticationExtension):
    """The scheme in the OpenAPI schema; it registers itself when this module is imported, beside its class."""

    target_class = "floor.authentication.DeviceKeyAuthentication"
    name = "deviceKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A factory device key, issued by POST /api/v1/factories/{id}/device-keys/: `Device <key>`.",
        }
