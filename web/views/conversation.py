"""Page forms for an order's files and its message threads (the merchant portal and the factory phone pages).

They call the same selectors and services as the API: `attachments` for uploads (checked from the
content, limits from settings), `messaging` for messages (masking, the other side's notification).
A refused upload or message comes back to the page it was sent from with a sentence in the reader's language.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from attachments.models import AttachmentKind, AttachmentPurpose
from attachments.selectors import order_access
from attachments.services import attachment_discard, attachment_upload
from marketplace.errors import DomainError, NotFound
from messaging.selectors import thread_access
from messaging.services import message_post
from web.views.common import error_text


def refusal(exc: DomainError) -> str:
    texts = {
        "file_too_large": _("The file is too large."),
        "file_type_not_allowed": _("Only PDF, PNG, JPEG and WebP files can be uploaded."),
        "invalid_image": _("The image could not be read."),
        "invalid_pdf": _("The PDF could not be read."),
        "decompression_bomb": _("The image is too large to open."),
        "too_many_files": _("This order already has the most files it may have."),
        "empty": _("The file is empty."),
        "kind_mismatch": _("A file of kind Image must be an image."),
        "blank": _("Write a message or add a photo."),
        "invalid_file": _("That file cannot be attached here."),
    }
    return texts.get(exc.code) or error_text(exc)


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback)


@login_required
@require_POST
def order_file_upload(request: HttpRequest, order_id: int) -> HttpResponse:
    try:
        access = order_access(user=request.user, order_id=order_id)  # type: ignore[arg-type]
    except NotFound as exc:
        raise Http404 from exc
    if not access.can_upload:
        raise Http404
    upload = request.FILES.get("file")
    kind = request.POST.get("kind") or None
    if kind not in (None, *AttachmentKind.values):
        kind = None
    if upload is None:
        messages.error(request, _("Choose a file to upload."))
    else:
        try:
            attachment_upload(
                order_id=order_id,
                uploaded_by=request.user,  # type: ignore[arg-type]
                data=upload.read(),
                name=upload.name or "",
                kind=kind,
                factory=access.factory,
            )
        except DomainError as exc:
            messages.error(request, refusal(exc))
        else:
            messages.success(request, _("File uploaded."))
    return _back(request, "/")


@login_required
@require_POST
def thread_post(request: HttpRequest, allocation_id: int) -> HttpResponse:
    try:
        access = thread_access(user=request.user, allocation_id=allocation_id)  # type: ignore[arg-type]
    except NotFound as exc:
        raise Http404 from exc
    if not access.can_write:
        raise Http404
    photo = request.FILES.get("photo")
    file_ids: list[int] = []
    try:
        if photo is not None:
            attachment = attachment_upload(
                order_id=access.allocation.order_id,
                uploaded_by=request.user,  # type: ignore[arg-type]
                data=photo.read(),
                name=photo.name or "",
                factory=access.allocation.factory,
                purpose=AttachmentPurpose.MESSAGE,
            )
            file_ids.append(attachment.pk)
        message_post(
            access=access,
            author=request.user,  # type: ignore[arg-type]
            text=request.POST.get("text", "")[:4000],
            file_ids=file_ids,
        )
    except DomainError as exc:
        # The photo was stored in its own transaction: a message refused after it must not leave it behind.
        for file_id in file_ids:
            attachment_discard(attachment_id=file_id)
        messages.error(request, refusal(exc))
    return _back(request, "/")
