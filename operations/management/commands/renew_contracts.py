"""Daily: record the contract terms that have begun and end the contracts that are due (docs/design.md §8.1)."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand

from operations.contracts import contracts_renew_due


class Command(BaseCommand):
    help = (
        "Renew every contract whose term has ended, unless notice of non-renewal ended it; "
        "terminate contracts whose end has come. Safe to run again, or late."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            type=datetime.date.fromisoformat,
            help="run as of this day (YYYY-MM-DD) instead of today",
        )

    def handle(self, *args, **options):
        run = contracts_renew_due(day=options["date"])
        for term in run.renewed:
            self.stdout.write(f"renewed {term.organization.code}: {term.starts_on}–{term.ends_on} at {term.unit_price}")
        for organization in run.ended:
            self.stdout.write(f"ended {organization.code} on {organization.ended_on}")
        self.stdout.write(f"{len(run.renewed)} term(s) begun, {len(run.ended)} contract(s) ended")
