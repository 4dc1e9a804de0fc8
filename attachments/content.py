"""What an uploaded file really is, decided from its bytes; images made safe to serve.

Allowed: PDF (its magic bytes, then pypdf must find its pages), PNG, JPEG and WebP images (Pillow
must decode them). The client's file name and content type are never trusted: an SVG or an HTML page
renamed to .png is refused like any other unknown type. Images are decoded and encoded again by
Pillow: what is stored is pixels only (EXIF with its GPS position, comments, ICC tricks and anything
appended after the image are gone), turned upright by its EXIF orientation first, with a thumbnail.

A decompression bomb (a small file that decodes to a huge bitmap) is refused from the header's
dimensions before any pixel is decoded; Pillow's own bomb guard is kept as a second line.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from marketplace.errors import ValidationFailed

PDF = "application/pdf"
# Pillow's format name -> the served content type and the stored file's extension.
IMAGE_FORMATS = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg"), "WEBP": ("image/webp", "webp")}
FIELD = "file"


@dataclass(frozen=True)
class Checked:
    content_type: str
    extension: str
    payload: bytes  # what is stored: the PDF as sent, an image as re-encoded
    sha256: str
    thumbnail: bytes | None = None
    width: int | None = None
    height: int | None = None
    pages: int | None = None

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


def refuse(message: str, code: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, field=FIELD)


def check_upload(data: bytes) -> Checked:
    """The checked, storable form of an upload, or ValidationFailed naming `file` with a code."""
    if not data:
        raise refuse("The file is empty.", "empty")
    if len(data) > settings.FILES_MAX_BYTES:
        raise refuse(f"A file may be at most {settings.FILES_MAX_BYTES} bytes.", "file_too_large")
    if data.startswith(b"%PDF-"):
        return _check_pdf(data)
    return _check_image(data)


def _check_pdf(data: bytes) -> Checked:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        pages = len(reader.pages)
    # pypdf parses hostile input here: besides its own errors a malformed file can surface as the
    # plain errors of the structures it walks. Any of them means "not a PDF we can vouch for".
    except (PyPdfError, ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError) as exc:
        raise refuse("The PDF could not be read.", "invalid_pdf") from exc
    if pages < 1:
        raise refuse("The PDF has no pages.", "invalid_pdf")
    return Checked(PDF, "pdf", data, hashlib.sha256(data).hexdigest(), pages=pages)


def _check_image(data: bytes) -> Checked:
    limit = settings.FILES_MAX_IMAGE_PIXELS
    try:
        # Process-wide in Pillow, and a library may turn it on (WeasyPrint does): a truncated upload is refused.
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        with warnings.catch_warnings():
            # Pillow warns past MAX_IMAGE_PIXELS and raises past twice that: both are a bomb here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS)) as image:
                if image.format not in IMAGE_FORMATS:
                    raise refuse("Only PDF, PNG, JPEG and WebP files are allowed.", "file_type_not_allowed")
                width, height = image.size
                if width * height > limit:
                    raise refuse(f"The image decodes to more than {limit} pixels.", "decompression_bomb")
                content_type, extension = IMAGE_FORMATS[image.format]
                image.load()
                upright = ImageOps.exif_transpose(image)
                payload = _encode(upright, image.format)
                thumbnail = _thumbnail(upright)
                width, height = upright.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise refuse(f"The image decodes to more than {limit} pixels.", "decompression_bomb") from exc
    except UnidentifiedImageError as exc:
        raise refuse("Only PDF, PNG, JPEG and WebP files are allowed.", "file_type_not_allowed") from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        # A truncated or corrupt image: Pillow reports it as one of these while decoding.
        raise refuse("The image could not be decoded.", "invalid_image") from exc
    return Checked(
        content_type,
        extension,
        payload,
        hashlib.sha256(payload).hexdigest(),
        thumbnail=thumbnail,
        width=width,
        height=height,
    )


def _flat(image: Image.Image, *, alpha: bool) -> Image.Image:
    if alpha and image.mode in ("RGBA", "LA", "P"):
        return image.convert("RGBA")
    return image.convert("RGB")


def _encode(image: Image.Image, fmt: str) -> bytes:
    """Pixels only: no EXIF, ICC profile, comments or trailing bytes are carried over."""
    out = io.BytesIO()
    if fmt == "JPEG":
        _flat(image, alpha=False).save(out, "JPEG", quality=90, optimize=True)
    elif fmt == "PNG":
        _flat(image, alpha=True).save(out, "PNG", optimize=True)
    else:
        _flat(image, alpha=True).save(out, "WEBP", quality=90)
    return out.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    side = settings.FILES_THUMBNAIL_PIXELS
    thumb = _flat(image, alpha=False)
    thumb.thumbnail((side, side))
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=80)
    return out.getvalue()
