"""Verify a badge file offline and print the report (docs/design.md §12, docs/badges.md).

    manage.py verify_badge badge.json     the credential's JSON
    manage.py verify_badge badge.png      a baked badge image

Exit status: 0 when the badge is valid, 1 when it is not (the reason is printed, e.g. revoked, or
offline when a document it needs is not this service's and so was not fetched), 2 when the file
cannot be read or holds no credential.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from badges import verification

VALID, NOT_VALID, UNREADABLE = 0, 1, 2


class Command(BaseCommand):
    help = (
        "Verify an Open Badges 3.0 credential (a .json file or a baked .png) without the network. "
        "Exit status 0: valid; 1: not valid (the reason is printed); 2: the file cannot be read."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the credential's JSON or the badge's PNG")

    def handle(self, *args, file: str, **options):
        try:
            data = Path(file).read_bytes()
            report = verification.verify_bytes(data)
        except (OSError, verification.UnreadableCredential) as error:
            self.stderr.write(f"{file}: {getattr(error, 'strerror', None) or error}")
            sys.exit(UNREADABLE)
        for line in report.lines():
            self.stdout.write(line)
        if not report.valid:
            sys.exit(NOT_VALID)
