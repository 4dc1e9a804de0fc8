"""What every floor view shares: who acts for which factory, the schema parameters, the authentication sets.

Who acts for which factory is decided once, in `request_factory`: a device key is its factory, a factory
account is its own factory, an admin names one with `?factory=`; anyone else gets a 403 or 404.
"""

from __future__ import annotations

from datetime import date

from drf_spectacular.utils import OpenApiParameter, OpenApiTypes
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request

from factories import selectors as factory_selectors
from factories.models import Factory
from factories.selectors import factory_of
from floor import selectors
from floor.authentication import DeviceKeyAuthentication, DevicePrincipal
from floor.serializers import DateRangeQuerySerializer
from marketplace.accounts.models import Role
from marketplace.api.caller import request_user
from marketplace.errors import ValidationFailed

USER_AUTH = [TokenAuthentication, SessionAuthentication]
ALL_AUTH = [DeviceKeyAuthentication, *USER_AUTH]
FACTORY_ID = OpenApiParameter("factory_id", OpenApiTypes.INT, OpenApiParameter.PATH)
FACTORY_QUERY = OpenApiParameter(
    "factory", OpenApiTypes.INT, OpenApiParameter.QUERY, description="Admins: the factory to read (required)."
)


def request_factory_and_range(request: Request) -> tuple[Factory, date, date]:
    """The caller's factory and the `?start=&end=` period (validated, with the default range)."""
    factory = request_factory(request)
    query = DateRangeQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    start, end = selectors.date_range(query.validated_data)
    return factory, start, end


def request_factory(request: Request) -> Factory:
    user = request.user
    if isinstance(user, DevicePrincipal):
        return user.factory
    if getattr(user, "is_platform_admin", False):
        raw = request.query_params.get("factory")
        if not raw or not raw.isdigit():
            raise ValidationFailed("Admins name the factory with ?factory=<id>.", field="factory", code="required")
        return factory_selectors.factory_get(user=request_user(request), factory_id=int(raw))
    if getattr(user, "role", None) == Role.FACTORY:
        return factory_of(request_user(request))
    raise PermissionDenied("Only factories, their devices and admins can do this.")
