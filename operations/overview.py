"""The console's overview: what an operator checks first each morning (docs/design.md §8)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from classrooms.models import Organization
from classrooms.schoolyear import today
from operations import backups, billing

ENDING_WITHIN_DAYS = 60
# A nightly backup older than this means last night's did not happen (or did not verify).
BACKUP_STALE_AFTER = datetime.timedelta(hours=26)


@dataclass(frozen=True)
class Overview:
    by_status: list[tuple[str, str, int]]  # (status, label, count), every status, in the model's order
    ending: list[tuple[Organization, datetime.date]]  # contracts whose end is known and near, soonest first
    deletions: list[tuple[Organization, datetime.date]]  # terminated schools and the day their data goes
    billing: billing.MonthSummary
    backup: dict | None  # operations.backups.latest_status(), with "stale"
    backup_stale_hours: int


def overview(day: datetime.date | None = None) -> Overview:
    day = day or today()
    organizations = list(Organization.objects.order_by("name"))
    counts = dict.fromkeys(Organization.Status.values, 0)
    for organization in organizations:
        counts[organization.status] += 1
    ending = sorted(
        (
            (organization, end)
            for organization in organizations
            if organization.status in (Organization.Status.APPROVED, Organization.Status.SUSPENDED)
            and (end := organization.known_end_on(day)) is not None
            and day <= end <= day + datetime.timedelta(days=ENDING_WITHIN_DAYS)
        ),
        key=lambda pair: pair[1],
    )
    deletions = sorted(
        (
            (organization, organization.data_deletion_date())
            for organization in organizations
            if organization.status == Organization.Status.TERMINATED and organization.ended_on is not None
        ),
        key=lambda pair: pair[1],
    )
    return Overview(
        by_status=[(status, label, counts[status]) for status, label in Organization.Status.choices],
        ending=ending,
        deletions=deletions,
        billing=billing.month_summary(billing.month_of(day)),
        backup=_backup(),
        backup_stale_hours=int(BACKUP_STALE_AFTER.total_seconds() // 3600),
    )


def _backup() -> dict | None:
    status = backups.latest_status()
    if status is None:
        return None
    return {**status, "stale": (not status["verified"]) or status["age"] > BACKUP_STALE_AFTER.total_seconds()}
