"""`manage.py restore FILE`: restore a backup into the configured database and verify it (docs/design.md §8.3)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from config.errors import ServiceError
from operations import backups


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into the configured database, which must be empty, then "
        "check row counts and sample rows of every table against the backup's manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .tar.age backup file (its .sha256 file must lie beside it)")
        parser.add_argument(
            "--identity",
            metavar="FILE",
            help="the age private key file (default: BACKUP_IDENTITY_FILE; the development key when DEBUG is on)",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace everything in a database that already holds data (its tables are emptied first)",
        )

    def handle(self, *args, **options):
        try:
            report = backups.backup_restore(
                path=Path(options["file"]), identity_file=options["identity"], force=options["force"]
            )
        except ServiceError as error:
            raise CommandError(error.message) from None
        manifest = report.manifest
        self.stdout.write(f"restored the {manifest['engine']} backup of {manifest['created_at']}")
        if report.problems:
            for problem in report.problems:
                self.stderr.write(f"MISMATCH {problem}")
            raise CommandError(f"The restored database does not match the backup: {len(report.problems)} problem(s).")
        self.stdout.write(f"verified: {report.tables} tables, {report.rows} rows match the manifest")
        if report.migrations_to_apply:
            self.stdout.write(
                f"{report.migrations_to_apply} migration(s) of this code are newer than the backup: "
                "run `manage.py migrate`."
            )
