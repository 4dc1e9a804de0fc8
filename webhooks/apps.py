from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Signed webhooks to merchants' shop systems for every change of their orders."""

    name = "webhooks"
    verbose_name = "Webhooks"
