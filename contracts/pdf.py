"""The purchase order as a PDF, English and Chinese on one page, rendered by WeasyPrint.

WeasyPrint lays text out with Pango, which finds fonts through fontconfig: the CJK face is named by
family (settings.PO_PDF_FONT_FAMILIES, Debian's fonts-noto-cjk or fonts-wqy-microhei) and embedded,
subset, in the file. A document's number names its content for ever, so the bytes are cached by its content.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from redis.exceptions import RedisError

from contracts.models import PurchaseOrder
from contracts.wording import LABELS, chinese_name

# Bump when the template changes, so cached documents are drawn again with it.
LAYOUT_VERSION = 2


def _sizes(breakdown: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in breakdown:
        seen.update(dict.fromkeys(row["sizes"]))
    return list(seen)


def _context(document: PurchaseOrder) -> dict[str, Any]:
    terms = document.terms
    sizes = _sizes(terms["breakdown"])
    style = terms["style"]
    return {
        "document": document,
        "original_number": document.base_number,
        "t": terms,
        "L": LABELS,
        "sizes": sizes,
        "rows": [
            {
                "colour": row["colour"],
                "cells": [row["sizes"].get(s, 0) for s in sizes],
                "total": sum(row["sizes"].values()),
            }
            for row in terms["breakdown"]
        ],
        "category_zh": chinese_name(style["category"]["name"]),
        "fabric_zh": chinese_name(style["fabric"]["name"]),
        "processes": [(p["name"], chinese_name(p["name"])) for p in style["processes"]],
        "fonts": ", ".join(f'"{family}"' for family in settings.PO_PDF_FONT_FAMILIES),
    }


def render_pdf(document: PurchaseOrder) -> bytes:
    # Imported here: loading Pango through cffi takes seconds, and only this function needs it, so the
    # web processes and workers do not pay for it at start-up or on their first request.
    from PIL import ImageFile
    from weasyprint import HTML

    # WeasyPrint turns on Pillow's "load truncated images" for the whole process when imported; the
    # uploads' checks (attachments) must keep refusing a cut-off image in this process too.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    html = render_to_string("contracts/purchase_order.html", _context(document))
    return HTML(string=html).write_pdf()


def purchase_order_pdf(document: PurchaseOrder) -> bytes:
    """The document's PDF, drawn once and then served from the cache."""
    # The content's digest, not the number alone: another database (a test run, a staging copy) may
    # hold a different document under the same number and share this cache.
    content = json.dumps([document.number, document.issued_at.isoformat(), document.terms], sort_keys=True)
    key = f"contracts:po-pdf:{LAYOUT_VERSION}:{hashlib.sha256(content.encode()).hexdigest()}"
    try:
        cached = cache.get(key)
    except (RedisError, OSError):
        cached = None  # a cache outage costs a render, never the download
    if isinstance(cached, bytes):
        return cached
    data = render_pdf(document)
    with contextlib.suppress(RedisError, OSError):
        cache.set(key, data, settings.PO_PDF_CACHE_SECONDS)
    return data
