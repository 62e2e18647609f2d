"""Hand classes of teachers who left to their successors once the date has come. Idempotent (cron, daily)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from classrooms.transfers import transfers_apply_due


class Command(BaseCommand):
    help = "Give classes of teachers whose transfer date has come to their named successors."

    def handle(self, *args, **options):
        handed = transfers_apply_due()
        self.stdout.write(f"{handed} class(es) handed to successors.")
