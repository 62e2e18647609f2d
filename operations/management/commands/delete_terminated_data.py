"""Delete the personal data of schools whose contract ended more than DATA_RETENTION_DAYS ago (docs/design.md §8.4).

A dry run unless --apply: it prints, per school and table, how many rows would go, and changes nothing.
Cron: daily, with --apply.
"""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError

from classrooms.schoolyear import today
from operations.deletion import deletion_plan, organizations_due, personal_data_delete


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value!r}") from None


class Command(BaseCommand):
    help = (
        "Delete the personal data of terminated organizations whose data deletion date is before --date "
        "(default today). Prints what would be deleted unless --apply is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true", help="Delete for real (one transaction per organization).")
        parser.add_argument("--date", type=_date, default=None, help="Act as if today were this date (YYYY-MM-DD).")

    def handle(self, *args, apply: bool, date: datetime.date | None, **options):
        due = organizations_due(date or today())
        if not due:
            self.stdout.write("No organization is due for data deletion.")
        for organization in due:
            self.stdout.write(
                f"{organization.name} ({organization.code}): contract ended {organization.ended_on}, "
                f"data deletion date {organization.data_deletion_date()}"
            )
            if apply:
                self._report(personal_data_delete(organization=organization), "deleted")
            else:
                plan = deletion_plan(organization)
                self._report(plan.counts(), "would be deleted")
                self.stdout.write(
                    f"  accounts kept (also members elsewhere or named by another school): {len(plan.kept_user_ids)}"
                )
        if due and not apply:
            self.stdout.write("Dry run: nothing was deleted. Run again with --apply to delete.")

    def _report(self, counts: dict[str, int], verb: str) -> None:
        for label, count in counts.items():
            self.stdout.write(f"  {label}: {count} {verb}")
