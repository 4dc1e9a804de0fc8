import logging

from django.apps import AppConfig


class ContractsConfig(AppConfig):
    """The purchase order: the terms of a confirmed share, numbered, frozen, amended by new revisions."""

    name = "contracts"
    verbose_name = "Purchase orders"

    def ready(self) -> None:
        # WeasyPrint logs each layout step at INFO ("Step 2 - Fetching and parsing CSS"), even on import;
        # the root logger is at INFO, so without this every process would print them.
        logging.getLogger("weasyprint").setLevel(logging.WARNING)
