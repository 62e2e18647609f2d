"""Re-encrypt every message and notice body under the newest key of MESSAGE_KEYS (docs/messaging.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from messaging import crypto
from messaging.models import Message, Notice

BATCH = 500


class Command(BaseCommand):
    help = (
        "Re-encrypt message and notice bodies with the newest key in MESSAGE_KEYS. Safe to run again and "
        "while the site is up; afterwards the older keys can be removed from MESSAGE_KEYS."
    )

    def handle(self, *args, **options):
        for model in (Message, Notice):
            rotated, current = self._rotate(model)
            self.stdout.write(
                f"{model._meta.verbose_name_plural}: {rotated} re-encrypted, {current} already under the newest key"
            )

    def _rotate(self, model) -> tuple[int, int]:
        rotated = current = 0
        last_pk = 0
        while True:
            with transaction.atomic():
                rows = list(
                    model.objects.select_for_update()
                    .filter(pk__gt=last_pk)
                    .order_by("pk")
                    .only("pk", "body_encrypted")[:BATCH]
                )
                if not rows:
                    return rotated, current
                changed = []
                for row in rows:
                    if crypto.is_current(row.body_encrypted):
                        current += 1
                    else:
                        row.body_encrypted = crypto.rotate(row.body_encrypted)
                        changed.append(row)
                model.objects.bulk_update(changed, ["body_encrypted"])
                rotated += len(changed)
                last_pk = rows[-1].pk
