"""Write the month's billing snapshots on its billing day. Safe to run daily from cron (docs/design.md §8.2).

Without `--date` it counts today when today is the billing day and otherwise says when the day
is; `--date` catches up a billing day that was missed. A month is written once: a second run
writes nothing and says so.
"""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from classrooms.schoolyear import today
from config.errors import ServiceError
from operations.billing import billing_day, billing_snapshot_take, month_of
from operations.models import BillingSnapshot


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--date wants YYYY-MM-DD, not {value!r}.") from error


class Command(BaseCommand):
    help = "Write this month's billing snapshots when today (or --date) is the billing day; once per month."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=_date, help="A missed billing day to catch up (YYYY-MM-DD).")

    def handle(self, *args, **options):
        day = options["date"] or today()
        due = billing_day(day.year, day.month)
        if day != due:
            message = f"Nothing is due on {day}: the billing day of {day:%Y-%m} is {due}."
            if options["date"] is not None:
                raise CommandError(message)  # a catch-up names a billing day; anything else is a mistake
            self.stdout.write(message)
            return
        try:
            written = billing_snapshot_take(day=day)
        except ServiceError as error:
            raise CommandError(error.message) from error
        if not written:
            self._already_written(day)
            return
        self.stdout.write(f"Billing count for {day:%Y-%m} (billing day {day}): {len(written)} organization(s).")
        for snapshot in written:
            self.stdout.write(
                f"  {snapshot.organization_code}\t{snapshot.organization_name}\tteachers {snapshot.teacher_count}"
                f"\texaminees {snapshot.examinee_count}\t× {snapshot.unit_price} yen = {snapshot.amount} yen"
                f"\tdue {snapshot.due_on}"
            )
        total = sum(snapshot.amount for snapshot in written)
        self.stdout.write(f"Total {total} yen.")

    def _already_written(self, day: datetime.date) -> None:
        snapshots = BillingSnapshot.objects.filter(month=month_of(day))
        first = snapshots.order_by("created_at").first()
        if first is None:
            self.stdout.write(f"No organization was in service on {day}: nothing to write for {day:%Y-%m}.")
            return
        self.stdout.write(
            f"{day:%Y-%m} was already written at {timezone.localtime(first.created_at):%Y-%m-%d %H:%M} "
            f"({snapshots.count()} organization(s)); nothing new written."
        )
