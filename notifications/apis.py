"""The notifications API: the caller's inbox, reading, preferences. Every answer is the caller's own."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.api.caller import request_user
from marketplace.api.pagination import Pagination
from marketplace.api.parsers import BoundedJSONParser
from notifications import selectors, services
from notifications.serializers import (
    NotificationListFilterSerializer,
    NotificationOutputSerializer,
    PreferenceInputSerializer,
    PreferenceOutputSerializer,
    ReadAllOutputSerializer,
    preference_payload,
)
from orders.serializers import ErrorSerializer

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input; `errors` names the field."),
    404: OpenApiResponse(ErrorSerializer, description="Not yours, or no such notification."),
}


class NotificationListApi(APIView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="notifications_list",
        parameters=[NotificationListFilterSerializer],
        responses={200: NotificationOutputSerializer(many=True), 400: ERRORS[400]},
    )
    def get(self, request: Request) -> Response:
        """Your notifications, newest first; `?unread=1` for the unread ones. Each carries its rendered title
        and body in your language and the page it leads to (`url`); the answer's `X-Unread-Count` header counts
        the unread ones."""
        filters = NotificationListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        user = request_user(request)
        paginator = Pagination()
        page = paginator.paginate_queryset(
            selectors.notification_list(user=user, unread=filters.validated_data["unread"]), request, view=self
        )
        response = paginator.get_paginated_response(NotificationOutputSerializer(page, many=True).data)
        response["X-Unread-Count"] = str(selectors.unread_count(user=user))
        return response


class NotificationReadApi(APIView):
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        operation_id="notifications_read", request=None, responses={200: NotificationOutputSerializer, 404: ERRORS[404]}
    )
    def post(self, request: Request, notification_id: int) -> Response:
        """Mark one of your notifications read (again: no change)."""
        notification = services.notification_mark_read(user=request_user(request), notification_id=notification_id)
        return Response(NotificationOutputSerializer(notification).data)


class NotificationReadAllApi(APIView):
    parser_classes = [BoundedJSONParser]

    @extend_schema(operation_id="notifications_read_all", request=None, responses={200: ReadAllOutputSerializer})
    def post(self, request: Request) -> Response:
        """Mark every unread notification of yours read."""
        marked = services.notifications_mark_all_read(user=request_user(request))
        return Response({"marked": marked})


class NotificationPreferenceApi(APIView):
    parser_classes = [BoundedJSONParser]

    def _answer(self, request: Request) -> Response:
        user = request_user(request)
        payload = preference_payload(
            preference=services.preference_of(user), language=user.language, audience=services.audience_of(user)
        )
        return Response(PreferenceOutputSerializer(payload).data)

    @extend_schema(operation_id="notification_preferences_get", responses={200: PreferenceOutputSerializer})
    def get(self, request: Request) -> Response:
        """Your channels (e-mail, push), muted kinds, e-mail quiet hours and language; `kinds` lists what you
        can be told. The inbox and live pages always get everything; offers are pushed unless push is off."""
        return self._answer(request)

    @extend_schema(
        operation_id="notification_preferences_update",
        request=PreferenceInputSerializer,
        responses={200: PreferenceOutputSerializer, 400: ERRORS[400]},
    )
    def put(self, request: Request) -> Response:
        """Change any of them; fields left out stay as they are."""
        data = PreferenceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.preference_update(user=request_user(request), changes=dict(data.validated_data))
        return self._answer(request)
