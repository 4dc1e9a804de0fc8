from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo market (`manage.py seed_demo`): at the top of the stack, it drives every layer's services."""

    name = "demo"
    verbose_name = "Demo market"
