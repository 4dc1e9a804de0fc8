"""`manage.py seed_demo`: load the demo market (factories, merchants, orders). Idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from demo import market as demo


class Command(BaseCommand):
    help = (
        "Create the demo market: ~40 factories across the garment clusters, 4 merchants and some posted "
        "orders (matched by the Celery worker). Running it again creates nothing new."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED, help="Random seed of the market plan.")
        parser.add_argument("--no-orders", action="store_true", help="Create factories and merchants only.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = demo.demo_market_build(seed=options["seed"], with_orders=not options["no_orders"])
        if result.created_anything:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo market: {result.factories_created} factories, {result.merchants_created} merchants, "
                    f"{result.orders_created} orders created; {result.overrides_applied} calendar overrides."
                )
            )
        else:
            self.stdout.write("Demo market already loaded; nothing created.")
        logins = result.logins
        if "merchant" in logins:
            self.stdout.write(f"Demo merchant login: {logins['merchant']} / {logins['password']}")
        if "factory" in logins:
            self.stdout.write(f"Demo factory login:  {logins['factory']} / {logins['password']}")
