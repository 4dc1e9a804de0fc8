"""Accounts API: token login/logout, who-am-I and merchant sign-up. Thin views over services and selectors."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import get_language
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.accounts.selectors import identity_for
from marketplace.accounts.serializers import (
    CredentialsInputSerializer,
    ErrorResponseSerializer,
    MeOutputSerializer,
    MerchantSignupInputSerializer,
    MerchantSignupOutputSerializer,
    TokenOutputSerializer,
)
from marketplace.accounts.services import merchant_register, token_for, token_revoke
from marketplace.accounts.throttles import LoginAccountThrottle, LoginAddressThrottle
from marketplace.api.caller import request_user
from marketplace.api.throttles import ScopedThrottle
from marketplace.errors import ValidationFailed

ERROR_400 = OpenApiResponse(ErrorResponseSerializer, description="Invalid input; `errors` names the field.")
ERROR_401 = OpenApiResponse(ErrorResponseSerializer, description="Not authenticated.")
ERROR_429 = OpenApiResponse(ErrorResponseSerializer, description="Too many requests.")


class TokenObtainApi(APIView):
    """Exchange a username and password for an API token (the same token until logout)."""

    # No authentication: a stale token or session must not stop a user from logging in again.
    authentication_classes = []
    permission_classes = [AllowAny]
    # Per client address (the "token" rate) and per username tried ("login_account").
    throttle_classes = [LoginAddressThrottle, LoginAccountThrottle]
    throttle_scope = "token"

    @extend_schema(
        operation_id="auth_token_obtain",
        tags=["auth"],
        request=CredentialsInputSerializer,
        responses={200: TokenOutputSerializer, 400: ERROR_400, 429: ERROR_429},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = CredentialsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if user is None:
            # One message for unknown user, wrong password and disabled account: do not reveal which.
            raise ValidationFailed("Unable to log in with these credentials.", code="invalid_credentials")
        return Response(TokenOutputSerializer({"token": token_for(user=user)}).data)


class LogoutApi(APIView):
    """Revoke the caller's token; the next request with it answers 401."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="auth_logout",
        tags=["auth"],
        request=None,
        responses={204: OpenApiResponse(description="Token revoked."), 401: ERROR_401},
    )
    def post(self, request: Request) -> Response:
        token_revoke(user=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="auth_me", tags=["auth"], responses={200: MeOutputSerializer, 401: ERROR_401})
    def get(self, request: Request) -> Response:
        return Response(MeOutputSerializer(identity_for(user=request_user(request))).data)


class MerchantSignupApi(APIView):
    """Anonymous merchant sign-up; answers the merchant and a token to start posting orders."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedThrottle]
    throttle_scope = "signup"

    @extend_schema(
        operation_id="merchant_signup",
        tags=["accounts"],
        request=MerchantSignupInputSerializer,
        responses={201: MerchantSignupOutputSerializer, 400: ERROR_400, 429: ERROR_429},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = MerchantSignupInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        region = data.get("region")
        merchant = merchant_register(
            username=data["username"],
            password=data["password"],
            email=data["email"],
            name=data["name"],
            region_code=region.pk if region is not None else None,
            language=get_language(),  # from Accept-Language (LocaleMiddleware)
        )
        merchant.token = token_for(user=merchant.owner)  # type: ignore[attr-defined]
        return Response(MerchantSignupOutputSerializer(merchant).data, status=status.HTTP_201_CREATED)
