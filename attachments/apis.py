"""The files API: upload to an order, list an order's files, fetch one file's content.

Content is never reachable from a public URL: `GET /api/v1/files/{id}/` checks the caller is a party
of the order (404 otherwise) and answers with headers that keep a browser from running it: the type
checked at upload, `X-Content-Type-Options: nosniff`, a `sandbox` Content-Security-Policy, and PDFs
as downloads (`Content-Disposition: attachment`). Images were re-encoded at upload, so they are shown
inline (the thumbnails on the pages).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from attachments import selectors, services
from attachments.content import PDF, refuse
from attachments.models import Attachment, attachments_storage
from attachments.serializers import AttachmentOutputSerializer, FileQuerySerializer, UploadInputSerializer
from marketplace.accounts.serializers import ErrorResponseSerializer as ErrorSerializer
from marketplace.api.caller import request_user
from marketplace.api.pagination import Pagination
from marketplace.api.permissions import IsFactory, IsMerchant
from marketplace.errors import DomainError, NotFound
from orders.models import Allocation

# Room for the multipart envelope (boundaries, part headers, the `kind` field) around the file itself.
ENVELOPE_BYTES = 64 * 1024


class PayloadTooLarge(DomainError):
    status_code = 413
    default_code = "file_too_large"


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    text = {
        400: "Invalid input; `errors` names the field (`file`: empty, file_too_large, file_type_not_allowed, "
        "invalid_image, invalid_pdf, decompression_bomb, too_many_files, kind_mismatch).",
        403: "Your role may not do this.",
        404: "No such order or file for you.",
        413: "The body is larger than a file may be (`file`: file_too_large).",
    }
    return {code: OpenApiResponse(ErrorSerializer, description=text[code]) for code in codes}


class MerchantOrFactory(BasePermission):
    message = "Only the order's merchant and its factories can add files."

    def has_permission(self, request: Request, view: Any) -> bool:
        return IsMerchant().has_permission(request, view) or IsFactory().has_permission(request, view)


class OrderFilesApi(APIView):
    parser_classes = [MultiPartParser]
    pagination_class = Pagination

    def get_permissions(self) -> list[BasePermission]:
        return [MerchantOrFactory()] if self.request.method == "POST" else [IsAuthenticated()]

    @extend_schema(
        operation_id="order_files_list",
        tags=["files"],
        responses={200: AttachmentOutputSerializer(many=True), **_errors(404)},
    )
    def get(self, request: Request, order_id: int) -> Response:
        """The order's files you may see (a factory: the shared ones and its own), oldest first."""
        access = selectors.order_access(user=request_user(request), order_id=order_id)
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.attachment_list(access=access), request, view=self)
        return paginator.get_paginated_response(AttachmentOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="order_files_upload",
        tags=["files"],
        request={"multipart/form-data": UploadInputSerializer},
        responses={201: AttachmentOutputSerializer, **_errors(400, 403, 404, 413)},
    )
    def post(self, request: Request, order_id: int) -> Response:
        """Attach a file: a PDF or a PNG/JPEG/WebP image (checked from its content), at most FILES_MAX_BYTES."""
        declared = request.META.get("CONTENT_LENGTH")
        if declared and str(declared).isdigit() and int(declared) > settings.FILES_MAX_BYTES + ENVELOPE_BYTES:
            raise PayloadTooLarge(f"A file may be at most {settings.FILES_MAX_BYTES} bytes.", field="file")
        user = request_user(request)
        access = selectors.order_access(user=user, order_id=order_id)
        if not access.can_upload:
            raise NotFound("Order not found.")
        payload = UploadInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["file"]
        if upload.size > settings.FILES_MAX_BYTES:
            raise refuse(f"A file may be at most {settings.FILES_MAX_BYTES} bytes.", "file_too_large")
        factory = access.factory
        allocation_id = payload.validated_data.get("allocation")
        if allocation_id is not None and factory is None:
            allocation = (
                Allocation.objects.select_related("factory").filter(pk=allocation_id, order=access.order).first()
            )
            if allocation is None:
                raise NotFound("Allocation not found on this order.", field="allocation")
            factory = allocation.factory
        attachment = services.attachment_upload(
            order_id=access.order.pk,
            uploaded_by=user,
            data=upload.read(),
            name=upload.name or "",
            kind=payload.validated_data.get("kind"),
            factory=factory,
        )
        return Response(AttachmentOutputSerializer(attachment).data, status=status.HTTP_201_CREATED)


CONTENT_TYPES = ("application/pdf", "image/png", "image/jpeg", "image/webp")


class FileContentApi(APIView):
    @extend_schema(
        operation_id="files_content",
        tags=["files"],
        parameters=[FileQuerySerializer],
        responses={**{(200, ct): OpenApiTypes.BINARY for ct in CONTENT_TYPES}, **_errors(400, 404)},
    )
    def get(self, request: Request, file_id: int) -> FileResponse:
        """The file's content, to the order's parties only (others: 404); `?thumbnail=true` for an image's thumbnail."""
        query = FileQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        attachment = selectors.attachment_get(user=request_user(request), attachment_id=file_id)
        return serve(attachment, thumbnail=query.validated_data["thumbnail"])


def serve(attachment: Attachment, *, thumbnail: bool = False) -> FileResponse:
    """A stored file as a response no browser will execute. Pages call this too (web.views.files)."""
    field = attachment.thumbnail if thumbnail else attachment.blob
    if not field:
        raise NotFound("This file has no thumbnail.")
    try:
        # Through the alias, not the field: STORAGES decides at run time (a test's directory, a bucket).
        handle = attachments_storage().open(str(field.name), "rb")
    except FileNotFoundError as exc:
        raise NotFound("File not found.") from exc
    content_type = "image/jpeg" if thumbnail else attachment.content_type
    response = FileResponse(
        handle,
        content_type=content_type,
        # A PDF reader plug-in runs scripts and forms: PDFs are downloads. Images are pixels re-encoded
        # by Pillow, so they may be shown inline.
        as_attachment=attachment.content_type == PDF and not thumbnail,
        filename=attachment.name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, max-age=3600"
    return response
