"""URL map: the REST API under /api/v1/, the Django admin, health checks, the language switch and the pages."""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from marketplace.health import healthz
from notifications import stream
from web.views.preferences import language_switch

api_v1: list[URLPattern | URLResolver] = [
    path("", include("marketplace.accounts.urls")),
    path("", include("factories.urls")),
    path("", include("orders.urls")),
    path("", include("matching.urls")),
    path("", include("floor.urls")),
    path("", include("contracts.urls")),
    path("", include("notifications.urls")),
    path("", include("webhooks.urls")),
    path("", include("attachments.urls")),
    path("", include("messaging.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    # Server-sent events, served by the ASGI process (marketplace.asgi); under WSGI it answers 404.
    path("events/", stream.events, name="events"),
    path("api/v1/", include(api_v1)),
    # Django's set_language, wrapped: a signed-in user's choice is also kept on the account (user.language).
    path("i18n/setlang/", language_switch, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("web.urls")),
]

# Unrouted /api/ URLs answer the API's JSON error shape; everything else Django's 404 page.
handler404 = "marketplace.api.errors.not_found"
