"""`manage.py check_ledger`: prove the capacity books balance (see matching.ledger for the invariants).

Exits 0 printing "ledger clean", or prints each problem and exits 1, so it can gate a deploy or a cron alert.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from matching.ledger import ledger_problems


class Command(BaseCommand):
    help = "Check the capacity ledger and order holdings; exit non-zero when any invariant is broken."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--stuck-after",
            type=int,
            default=None,
            help="Seconds after which an order in matching with no offer out counts as stuck "
            "(default: MATCHING_STUCK_AFTER_SECONDS).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        problems = ledger_problems(stuck_after_seconds=options["stuck_after"])
        if not problems:
            self.stdout.write("ledger clean")
            return
        for problem in problems:
            self.stdout.write(str(problem))
        raise CommandError(f"{len(problems)} ledger problem(s)", returncode=1)
