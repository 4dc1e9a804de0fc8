"""The Web Push subscriptions API: a page or app hands us its browser's PushSubscription, or takes it back.

`POST /api/v1/push-subscriptions/` takes what `PushSubscription.toJSON()` gives in the browser
({endpoint, expirationTime, keys: {p256dh, auth}}); `DELETE` with {endpoint} removes it;
`GET .../public-key/` answers the VAPID key to subscribe with. A user has one subscription per browser or
phone; each gets every push of theirs.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.accounts.serializers import StrictInputSerializer
from marketplace.api.caller import request_user
from marketplace.api.parsers import BoundedJSONParser
from notifications import services
from notifications.channels.push import vapid_public_key
from notifications.models import PushSubscription
from orders.serializers import ErrorSerializer

ERRORS = {
    400: OpenApiResponse(
        ErrorSerializer,
        description="Invalid input; `errors` names the field (`endpoint`, `keys`, `keys.p256dh`, `keys.auth`).",
    ),
    404: OpenApiResponse(ErrorSerializer, description="No subscription of yours has this endpoint."),
}


class FlatErrorsMixin:
    """Nested input's errors named by their path ("keys.p256dh"), so they keep the API's flat error shape
    ({field: [messages]}) and read the same as the service's."""

    def to_internal_value(self, data: Any) -> Any:
        try:
            return super().to_internal_value(data)  # type: ignore[misc]
        except serializers.ValidationError as exc:
            if isinstance(exc.detail, dict):
                raise serializers.ValidationError(_flatten(exc.detail)) from None
            raise


def _flatten(detail: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in detail.items():
        if isinstance(value, dict):
            flat |= _flatten(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


class PushKeysSerializer(StrictInputSerializer):
    p256dh = serializers.CharField(max_length=200, help_text="The browser's P-256 public key, base64url (65 bytes).")
    auth = serializers.CharField(max_length=100, help_text="The browser's authentication secret, base64url (16 bytes).")


class PushSubscriptionInputSerializer(FlatErrorsMixin, StrictInputSerializer):
    endpoint = serializers.CharField(max_length=1000, help_text="The push service's URL for this browser (https).")
    expirationTime = serializers.FloatField(  # the browser's own name
        required=False, allow_null=True, help_text="As the browser gives it (ignored: the push service says 410)."
    )
    keys = PushKeysSerializer()


class PushSubscriptionDeleteSerializer(StrictInputSerializer):
    endpoint = serializers.CharField(max_length=1000)


class PushSubscriptionOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = PushSubscription
        fields = ["id", "endpoint", "created_at", "last_success_at"]


class PushPublicKeySerializer(serializers.Serializer):
    public_key = serializers.CharField(
        help_text="The VAPID application server key for `pushManager.subscribe` (base64url); empty when push is off."
    )
    enabled = serializers.BooleanField(help_text="Whether this server sends Web Push at all.")


def _session_key(request: Request) -> str:
    """The web session's key when the page's session authenticated the call (a token client has none)."""
    if not isinstance(request.successful_authenticator, SessionAuthentication):
        return ""
    return request._request.session.session_key or ""


class PushSubscriptionApi(APIView):
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        operation_id="push_subscriptions_save",
        request=PushSubscriptionInputSerializer,
        responses={
            200: OpenApiResponse(PushSubscriptionOutputSerializer, description="Already yours: keys refreshed."),
            201: OpenApiResponse(PushSubscriptionOutputSerializer, description="Saved (new, or moved to you)."),
            400: ERRORS[400],
        },
    )
    def post(self, request: Request) -> Response:
        """Save this browser's push subscription for you: every notification that goes out by push reaches it,
        with the site's pages closed. The body is the browser's `PushSubscription.toJSON()`:
        `{"endpoint": "https://fcm.googleapis.com/fcm/send/...", "expirationTime": null,
        "keys": {"p256dh": "<65 bytes, base64url>", "auth": "<16 bytes, base64url>"}}`. Post it again whenever
        the page loads; an endpoint another account saved on this device moves to you."""
        data = PushSubscriptionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        keys = data.validated_data["keys"]
        subscription, created = services.push_subscription_save(
            user=request_user(request),
            endpoint=data.validated_data["endpoint"],
            p256dh=keys["p256dh"],
            auth=keys["auth"],
            user_agent=request.headers.get("User-Agent", ""),
            session_key=_session_key(request),
        )
        return Response(
            PushSubscriptionOutputSerializer(subscription).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        operation_id="push_subscriptions_delete",
        request=PushSubscriptionDeleteSerializer,
        responses={204: None, 400: ERRORS[400], 404: ERRORS[404]},
    )
    def delete(self, request: Request) -> Response:
        """Stop pushing to this browser (after `subscription.unsubscribe()`, or on logging out)."""
        data = PushSubscriptionDeleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.push_subscription_delete(user=request_user(request), endpoint=data.validated_data["endpoint"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class PushPublicKeyApi(APIView):
    @extend_schema(operation_id="push_subscriptions_public_key", responses={200: PushPublicKeySerializer})
    def get(self, request: Request) -> Response:
        """The key to pass as `applicationServerKey` to `pushManager.subscribe`."""
        key = vapid_public_key()
        return Response(PushPublicKeySerializer({"public_key": key, "enabled": bool(key)}).data)
