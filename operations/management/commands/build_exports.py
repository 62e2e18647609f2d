"""Build waiting data exports, restart silent builds, delete expired files (docs/design.md §8.4). Cron: every 5 min."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from operations.export import exports_build_due, exports_purge


class Command(BaseCommand):
    help = (
        "Build every data export that is waiting, start again every build silent for EXPORT_STALE_MINUTES "
        "(its process died), and delete the files of expired exports. Safe to run at any time and again."
    )

    def handle(self, *args, **options):
        built = exports_build_due()
        purged = exports_purge()
        self.stdout.write(f"{built} export(s) built, {purged} expired export file(s) deleted.")
