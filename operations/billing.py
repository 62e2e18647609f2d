"""The monthly billing count: the billing day, who is counted, and the immutable snapshots (docs/design.md §8.2).

`billing_day` says when a month is counted, `preview` counts live without writing,
`billing_snapshot_take` writes a month's snapshots once, and `month_summary` is what the
operator console shows for a month (written snapshots, or a live preview before the day).
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field, replace

import holidays
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from classrooms.models import Membership, Organization, User, add_months
from classrooms.schoolyear import today
from config.errors import ServiceError
from operations.models import BillingSnapshot

# Org admins and operators run the service; only the accounts that use it are billed.
BILLED_ROLES = (User.Role.TEACHER, User.Role.EXAMINEE)
BILLING_DAY_OF_MONTH = 15


@functools.cache
def japanese_holidays(year: int) -> frozenset[datetime.date]:
    """Japan's public holidays of a year, substitute holidays (振替休日) and 国民の休日 included."""
    return frozenset(holidays.country_holidays("JP", years=year))


def is_business_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and day not in japanese_holidays(day.year)


def billing_day(year: int, month: int) -> datetime.date:
    """The 15th, or the nearest business day before it when the 15th is a weekend day or a holiday.

    For a 15th on a weekend, or on a Monday holiday (the only holiday the present law puts on
    a 15th), that is the Friday before, or the day before that Friday when it is a holiday.
    """
    day = datetime.date(year, month, BILLING_DAY_OF_MONTH)
    while not is_business_day(day):
        day -= datetime.timedelta(days=1)
    return day


def month_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def due_on(month: datetime.date) -> datetime.date:
    """Payment is due at the end of the month after the month billed."""
    return add_months(month_of(month), 2) - datetime.timedelta(days=1)


class ChangeFromPreviousMonth:
    """The change in accounts and amount from the month before; None when there was nothing to compare.

    For a class with `accounts` and `amount` and the month before's `previous_accounts` and `previous_amount`.
    """

    @property
    def accounts_change(self) -> int | None:
        return None if self.previous_accounts is None else self.accounts - self.previous_accounts

    @property
    def amount_change(self) -> int | None:
        return None if self.previous_amount is None else self.amount - self.previous_amount


@dataclass(frozen=True)
class BillingLine(ChangeFromPreviousMonth):
    """One organization's count for a month, beside its count of the month before (None: not billed then)."""

    organization_id: int | None
    organization_code: str
    organization_name: str
    teacher_count: int
    examinee_count: int
    unit_price: int
    previous_accounts: int | None = None
    previous_amount: int | None = None

    @property
    def accounts(self) -> int:
        return self.teacher_count + self.examinee_count

    @property
    def amount(self) -> int:
        return self.accounts * self.unit_price


@dataclass(frozen=True)
class MonthSummary(ChangeFromPreviousMonth):
    """A month's billing: `state` is "written" (snapshots), "preview" (live, before the day) or "missing"."""

    month: datetime.date
    billing_day: datetime.date
    due_on: datetime.date
    state: str
    lines: list[BillingLine]
    previous_accounts: int | None = None
    previous_amount: int | None = None
    dropped: list[str] = field(default_factory=list)
    written_at: datetime.datetime | None = None

    @property
    def teacher_count(self) -> int:
        return sum(line.teacher_count for line in self.lines)

    @property
    def examinee_count(self) -> int:
        return sum(line.examinee_count for line in self.lines)

    @property
    def accounts(self) -> int:
        return self.teacher_count + self.examinee_count

    @property
    def amount(self) -> int:
        return sum(line.amount for line in self.lines)


def organizations_billed_on(day: datetime.date) -> list[Organization]:
    """Approved organizations whose contract covers the day; suspended, terminated and pending ones are not billed."""
    approved = Organization.objects.filter(status=Organization.Status.APPROVED).order_by("code")
    return [organization for organization in approved if organization.is_in_service_on(day)]


def _account_counts(organizations: list[Organization], day: datetime.date) -> dict[tuple[int, str], int]:
    """Active teacher and examinee accounts with a membership active on the day, per organization and role."""
    rows = (
        Membership.objects.active_on(day)
        .filter(organization__in=organizations, user__is_active=True, user__role__in=BILLED_ROLES)
        .values("organization_id", "user__role")
        .annotate(people=Count("user_id", distinct=True))
    )
    return {(row["organization_id"], row["user__role"]): row["people"] for row in rows}


def count_on(day: datetime.date) -> list[BillingLine]:
    """Count every organization in service on the day, live, at its current unit price."""
    organizations = organizations_billed_on(day)
    counts = _account_counts(organizations, day)
    return [
        BillingLine(
            organization_id=organization.pk,
            organization_code=organization.code,
            organization_name=organization.name,
            teacher_count=counts.get((organization.pk, User.Role.TEACHER), 0),
            examinee_count=counts.get((organization.pk, User.Role.EXAMINEE), 0),
            unit_price=organization.unit_price,
        )
        for organization in organizations
    ]


def _snapshot_line(snapshot: BillingSnapshot) -> BillingLine:
    return BillingLine(
        organization_id=snapshot.organization_id,
        organization_code=snapshot.organization_code,
        organization_name=snapshot.organization_name,
        teacher_count=snapshot.teacher_count,
        examinee_count=snapshot.examinee_count,
        unit_price=snapshot.unit_price,
    )


def _summary(month: datetime.date, state: str, lines: list[BillingLine], **extra) -> MonthSummary:
    """Put the month's lines beside the month before's snapshots (matched by organization code)."""
    previous = {
        snapshot.organization_code: snapshot
        for snapshot in BillingSnapshot.objects.filter(month=add_months(month, -1)).order_by("organization_code")
    }
    compared = []
    for line in lines:
        before = previous.get(line.organization_code)
        if before is not None:
            line = replace(line, previous_accounts=before.account_count, previous_amount=before.amount)
        compared.append(line)
    billed_now = {line.organization_code for line in lines}
    return MonthSummary(
        month=month,
        billing_day=billing_day(month.year, month.month),
        due_on=due_on(month),
        state=state,
        lines=compared,
        previous_accounts=sum(s.account_count for s in previous.values()) if previous else None,
        previous_amount=sum(s.amount for s in previous.values()) if previous else None,
        dropped=[s.organization_name for code, s in previous.items() if code not in billed_now],
        **extra,
    )


def preview(day: datetime.date) -> MonthSummary:
    """What the month of `day` would bill if it were counted on `day`; writes nothing."""
    return _summary(month_of(day), "preview", count_on(day))


def month_summary(month: datetime.date) -> MonthSummary:
    """A month as the console shows it: its snapshots once written; before its billing day, a live preview
    counted today; after the day with nothing written, "missing" (run `billing_snapshot --date`).
    """
    month = month_of(month)
    snapshots = list(BillingSnapshot.objects.filter(month=month).order_by("organization_code"))
    if snapshots:
        lines = [_snapshot_line(snapshot) for snapshot in snapshots]
        return _summary(month, "written", lines, written_at=min(s.created_at for s in snapshots))
    if billing_day(month.year, month.month) >= today():
        return _summary(month, "preview", count_on(today()))
    return _summary(month, "missing", [])


def billing_snapshot_take(*, day: datetime.date) -> list[BillingSnapshot]:
    """Write the month's snapshots on its billing day, once: when the month is already written, nothing.

    All or nothing in one transaction; a concurrent run loses on the unique constraint and writes nothing.
    """
    expected = billing_day(day.year, day.month)
    if day != expected:
        raise ServiceError(
            _("Nothing is due on %(day)s: the billing day of %(month)s is %(billing_day)s.")
            % {"day": day.isoformat(), "month": f"{day:%Y-%m}", "billing_day": expected.isoformat()},
            code="not_billing_day",
        )
    if day > today():
        raise ServiceError(_("The billing day %(day)s has not come yet.") % {"day": day.isoformat()}, code="future")
    month = month_of(day)
    try:
        with transaction.atomic():
            if BillingSnapshot.objects.filter(month=month).exists():
                return []
            return BillingSnapshot.objects.bulk_create(
                _snapshot_of(line, month=month, day=day) for line in count_on(day)
            )
    except IntegrityError:
        return []


def _snapshot_of(line: BillingLine, *, month: datetime.date, day: datetime.date) -> BillingSnapshot:
    return BillingSnapshot(
        month=month,
        billing_day=day,
        organization_id=line.organization_id,
        organization_name=line.organization_name,
        organization_code=line.organization_code,
        teacher_count=line.teacher_count,
        examinee_count=line.examinee_count,
        unit_price=line.unit_price,
        amount=line.amount,
        due_on=due_on(month),
    )
