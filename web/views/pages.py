"""Entry points shared by the three faces: home (routes by role), login, logout, the web app manifest."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.utils.translation import gettext as _

from marketplace.accounts.models import Role


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return redirect("web:login")
    if getattr(user, "is_platform_admin", False):
        return redirect("web:dashboard")
    if getattr(user, "role", None) == Role.FACTORY:
        return redirect("web:factory_inbox")
    return redirect("web:order_list")


class LoginView(auth_views.LoginView):
    template_name = "web/account/login.html"
    redirect_authenticated_user = True


def manifest(request: HttpRequest) -> JsonResponse:
    """The factory pages install as a phone app; starting it opens the offers inbox."""
    data = {
        "name": _("C2M Factory"),
        "short_name": _("C2M Factory"),
        "start_url": "/factory/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f6f7f9",
        "theme_color": "#0f5e9c",
        "icons": [
            {"src": static("web/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("web/icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static("web/icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        ],
    }
    return JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})
