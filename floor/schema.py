"""OpenAPI description of the device-key authentication (`Authorization: Device <key>`)."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class DeviceKeyScheme(OpenApiAuthenticationExtension):
    target_class = "floor.authentication.DeviceKeyAuthentication"
    name = "deviceKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A factory device key, issued by POST /api/v1/factories/{id}/device-keys/: `Device <key>`.",
        }
