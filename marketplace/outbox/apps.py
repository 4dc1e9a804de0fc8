from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class OutboxConfig(AppConfig):
    """Domain events recorded with the change that caused them, dispatched to handlers after commit."""

    name = "marketplace.outbox"
    label = "outbox"
    verbose_name = "Domain events"

    def ready(self) -> None:
        # Every installed app's `handlers` module registers its handlers (as the admin finds `admin`
        # modules): the outbox never names the layers above it, and every process loads the same set.
        autodiscover_modules("handlers")
