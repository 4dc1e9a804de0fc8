from importlib import import_module

from django.apps import AppConfig

# Modules that register a channel or an observer when imported.
CHANNEL_MODULES = ("notifications.channels.email", "notifications.channels.push", "notifications.channels.live")


class NotificationsConfig(AppConfig):
    """Who is told what, on which channel: the inbox, e-mail, Web Push and live pages, decided from domain events."""

    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Every process (web, worker, beat) registers the same channels.
        for module in CHANNEL_MODULES:
            import_module(module)
        import_module("notifications.receivers")
