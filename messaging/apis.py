"""The messages API: one thread per order and factory, reached through any of that factory's allocations.

`GET /api/v1/allocations/{id}/messages/` answers the thread (latest messages first page, oldest
first) with the caller's unread count, and marks it read for the merchant or the factory (an admin's
reading changes nothing). `POST` adds a message {text, files}.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from attachments.apis import MerchantOrFactory
from marketplace.accounts.serializers import ErrorResponseSerializer as ErrorSerializer
from marketplace.api.caller import request_user
from marketplace.api.pagination import Pagination
from marketplace.api.parsers import BoundedJSONParser
from messaging import selectors, services
from messaging.serializers import (
    MessageInputSerializer,
    MessageOutputSerializer,
    MessageQuerySerializer,
    ThreadOutputSerializer,
    ThreadSummarySerializer,
)

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input; `errors` names the field (`text`, `files`)."),
    403: OpenApiResponse(
        ErrorSerializer, description="Admins read threads (by allocation); they do not write in them."
    ),
    404: OpenApiResponse(ErrorSerializer, description="No such allocation for you."),
}


class ThreadListApi(APIView):
    permission_classes = [MerchantOrFactory]
    pagination_class = Pagination

    @extend_schema(
        operation_id="threads_list",
        tags=["messages"],
        responses={200: ThreadSummarySerializer(many=True), 403: ERRORS[403]},
    )
    def get(self, request: Request) -> Response:
        """Your threads (a merchant: its orders'; a factory: its own) with their unread counts, latest first."""
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.thread_list(user=request_user(request)), request, view=self)
        return paginator.get_paginated_response(ThreadSummarySerializer(page, many=True).data)


class AllocationMessagesApi(APIView):
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        operation_id="allocation_messages_list",
        tags=["messages"],
        parameters=[MessageQuerySerializer],
        responses={200: ThreadOutputSerializer, 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request: Request, allocation_id: int) -> Response:
        """The thread between the order's merchant and this allocation's factory; marks it read for you."""
        query = MessageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        user = request_user(request)
        access = selectors.thread_access(user=user, allocation_id=allocation_id)
        thread = selectors.thread_of(access)
        unread = selectors.unread_count(thread=thread, user=user)
        messages = selectors.message_list(
            thread=thread, before=query.validated_data.get("before"), limit=settings.MESSAGES_PAGE_SIZE
        )
        if thread is not None and messages and access.can_write and query.validated_data.get("before") is None:
            services.thread_mark_read(thread=thread, user=user, up_to=messages[-1].pk)
        allocation = access.allocation
        body = {
            "order": allocation.order_id,
            "factory": allocation.factory_id,
            "unread": unread,
            "masked": not selectors.share_confirmed(order_id=allocation.order_id, factory_id=allocation.factory_id),
            "messages": messages,
        }
        return Response(ThreadOutputSerializer(body, context={"user": user}).data)

    @extend_schema(
        operation_id="allocation_messages_post",
        tags=["messages"],
        request=MessageInputSerializer,
        responses={201: MessageOutputSerializer, **ERRORS},
    )
    def post(self, request: Request, allocation_id: int) -> Response:
        """Write to the thread: text and/or files of the order; the other side is notified."""
        user = request_user(request)
        access = selectors.thread_access(user=user, allocation_id=allocation_id)
        if not access.can_write:
            raise PermissionDenied("Admins read threads; they do not write in them.")
        payload = MessageInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        message = services.message_post(
            access=access,
            author=user,
            text=payload.validated_data["text"],
            file_ids=payload.validated_data["files"],
        )
        return Response(MessageOutputSerializer(message, context={"user": user}).data, status=status.HTTP_201_CREATED)
