"""Sign every badge whose signing failed after its result (docs/design.md §12); safe to run any time."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from badges import services


class Command(BaseCommand):
    help = "Sign the badges still without a credential (a failure to sign after a result is retried here)."

    def handle(self, *args, **options):
        signed, failed = services.awards_sign_pending()
        self.stdout.write(f"signed {signed}, failed {failed}")
        if failed:
            raise CommandError(f"{failed} badges could not be signed (see the log)")
