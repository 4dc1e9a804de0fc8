from django.apps import AppConfig


class WebConfig(AppConfig):
    """Server-rendered pages: the merchant portal, the factory phone pages and the admin market dashboard."""

    name = "web"
    label = "web"
    verbose_name = "Web pages"
