"""The service worker that shows Web Push notifications, served from the site root.

A service worker controls only pages at or below its own path, so it must come from `/sw.js`, not from
under /static/, to see the factory pages' pushes and open their offers (`Service-Worker-Allowed: /`
says the same to a browser that fetches it elsewhere). The script is web/static/web/sw.js; the view puts
the icon's static URL (hashed in production) in front of it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.views.decorators.http import require_GET

SCRIPT = Path(__file__).resolve().parent.parent / "static" / "web" / "sw.js"


@lru_cache(maxsize=1)
def _script() -> str:
    return SCRIPT.read_text(encoding="utf-8")


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    config = {"icon": static("web/icons/icon-192.png")}
    body = f"self.C2M_SW = {json.dumps(config)};\n{_script()}"
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    # Browsers check a service worker for updates on navigation; an HTTP cache must not hold an old one.
    response["Cache-Control"] = "no-cache"
    return response
