"""`manage.py backup`: a verified, encrypted backup of the database (docs/design.md §8.3, docs/deploy.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from config.errors import ServiceError
from operations import backups


class Command(BaseCommand):
    help = (
        "Back up the database while the service runs, verify the copy, encrypt it to BACKUP_RECIPIENTS and write "
        "it into BACKUP_DIR with a .sha256 checksum; then delete backups older than BACKUP_RETENTION_DAYS. "
        "The last line printed is the path of the backup file."
    )

    def handle(self, *args, **options):
        if backups.using_development_key():
            self.stderr.write("DEBUG is on and BACKUP_RECIPIENTS is empty: using the DEVELOPMENT key pair.")
        try:
            backup = backups.backup_create()
        except ServiceError as error:
            raise CommandError(error.message) from None
        for path in backup.deleted:
            self.stdout.write(f"deleted {path.name} (older than the retention period)")
        self.stdout.write(
            f"verified: {backup.tables} tables, {backup.rows} rows, {backup.size} bytes encrypted, "
            f"sha256 {backup.sha256}"
        )
        self.stdout.write(str(backup.path))
