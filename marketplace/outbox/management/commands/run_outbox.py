"""Run the handlers still due for recorded domain events in this process (no worker needed)."""

from typing import Any

from django.core.management.base import BaseCommand

from marketplace.outbox.services import events_run_pending


class Command(BaseCommand):
    help = "Run every handler still due for unfinished domain events, oldest first."

    def handle(self, *args: Any, **options: Any) -> None:
        ran = events_run_pending()
        self.stdout.write(f"{ran} handler runs")
