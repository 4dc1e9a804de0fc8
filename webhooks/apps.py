from importlib import import_module

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Signed webhooks to merchants' shop systems for every change of their orders."""

    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        # Every process (web, worker, beat) that decides notifications also decides their webhooks.
        import_module("webhooks.observers")
