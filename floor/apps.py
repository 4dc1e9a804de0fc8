from django.apps import AppConfig


class FloorConfig(AppConfig):
    name = "floor"
    verbose_name = "Factory floor"

    def ready(self) -> None:
        # Registers the device-key scheme with drf-spectacular (extensions register on import).
        from floor import schema  # noqa: F401
