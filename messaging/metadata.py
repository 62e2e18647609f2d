"""What org admins and operators see of messaging: metadata, never a body (docs/design.md §6).

Org admins see their organization's log: who wrote to whom, when it was
sent, delivered and read, and its size. Operators see statistics that
identify no person: counts and read rates per organization and ISO week,
with every figure that describes fewer than MIN_PEOPLE distinct people
suppressed.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from classrooms.access import members_today
from classrooms.models import Organization
from classrooms.schoolyear import today
from messaging.models import Message, Notice, NoticeReceipt

MIN_PEOPLE = 5
STATISTICS_WEEKS = 12


# --- Org admins: the organization's log ----------------------------------------------------------


@dataclass(frozen=True)
class MessageRow:
    id: int
    sent_at: datetime.datetime
    sender: str
    recipient: str
    size_bytes: int
    delivered_at: datetime.datetime | None
    read_at: datetime.datetime | None


def org_messages(organization: Organization) -> QuerySet[Message]:
    return (
        Message.objects.filter(thread__organization=organization)
        .select_related("sender", "recipient")
        .order_by("-sent_at", "-pk")
    )


def org_notices(organization: Organization) -> QuerySet[Notice]:
    return (
        Notice.objects.filter(organization=organization)
        .select_related("sender", "school_class")
        .annotate(
            recipients=Count("receipts"),
            delivered=Count("receipts", filter=Q(receipts__delivered_at__isnull=False)),
            read=Count("receipts", filter=Q(receipts__read_at__isnull=False)),
        )
        .order_by("-sent_at", "-pk")
    )


def message_rows(organization: Organization, messages) -> list[MessageRow]:
    messages = list(messages)
    present = members_today(organization, {m.sender_id for m in messages} | {m.recipient_id for m in messages})
    former = _("former member")

    def name(user) -> str:
        return user.name if user.pk in present else former

    return [
        MessageRow(
            id=message.pk,
            sent_at=message.sent_at,
            sender=name(message.sender),
            recipient=name(message.recipient),
            size_bytes=message.size_bytes,
            delivered_at=message.delivered_at,
            read_at=message.read_at,
        )
        for message in messages
    ]


def notice_rows(organization: Organization, notices) -> list[dict]:
    notices = list(notices)
    present = members_today(organization, {notice.sender_id for notice in notices})
    former = _("former member")
    return [
        {
            "id": notice.pk,
            "sent_at": notice.sent_at,
            "sender": notice.sender.name if notice.sender_id in present else former,
            "class_name": notice.school_class.name,
            "size_bytes": notice.size_bytes,
            "recipients": notice.recipients,
            "delivered": notice.delivered,
            "read": notice.read,
        }
        for notice in notices
    ]


# --- Operators: statistics that identify no person ---------------------------------------------------


@dataclass
class Cell:
    """Counts about a set of people; shown only when there are at least MIN_PEOPLE of them."""

    count: int = 0
    read: int = 0
    people: set[int] = field(default_factory=set)

    def add(self, *, read: bool, people: tuple[int, ...]) -> None:
        self.count += 1
        self.read += int(read)
        self.people.update(people)

    @property
    def suppressed(self) -> bool:
        return len(self.people) < MIN_PEOPLE

    @property
    def read_rate(self) -> int | None:
        """Percent read, rounded; None when nothing was sent."""
        return round(100 * self.read / self.count) if self.count else None


@dataclass
class WeekRow:
    organization: str
    week: str  # ISO week, e.g. 2026-W47
    messages: Cell = field(default_factory=Cell)
    notices: Cell = field(default_factory=Cell)  # one count per copy received

    @property
    def any_shown(self) -> bool:
        return not (self.messages.suppressed and self.notices.suppressed)


def iso_week(moment: datetime.datetime) -> str:
    year, week, _weekday = timezone.localtime(moment).isocalendar()
    return f"{year}-W{week:02d}"


def statistics_since(weeks: int = STATISTICS_WEEKS) -> datetime.datetime:
    """Monday 00:00 (Japan time) of the first of the last `weeks` ISO weeks, this one included."""
    day = today() - datetime.timedelta(days=today().weekday() + 7 * (weeks - 1))
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def weekly_statistics(weeks: int = STATISTICS_WEEKS) -> list[WeekRow]:
    """Messages and notice copies per organization and ISO week, newest week first.

    Each cell counts what was sent that week and how much of it is read now.
    A cell is suppressed when it concerns fewer than MIN_PEOPLE distinct
    people (senders and recipients together), so no figure describes a person.
    """
    since = statistics_since(weeks)
    names = dict(Organization.objects.values_list("pk", "name"))
    rows: dict[tuple[int, str], WeekRow] = {}

    def row(organization_id: int, sent_at: datetime.datetime) -> WeekRow:
        key = (organization_id, iso_week(sent_at))
        if key not in rows:
            rows[key] = WeekRow(organization=names[organization_id], week=key[1])
        return rows[key]

    messages = Message.objects.filter(sent_at__gte=since).values_list(
        "thread__organization_id", "sent_at", "sender_id", "recipient_id", "read_at"
    )
    for organization_id, sent_at, sender_id, recipient_id, read_at in messages.iterator():
        row(organization_id, sent_at).messages.add(read=read_at is not None, people=(sender_id, recipient_id))
    copies = NoticeReceipt.objects.filter(notice__sent_at__gte=since).values_list(
        "notice__organization_id", "notice__sent_at", "notice__sender_id", "recipient_id", "read_at"
    )
    for organization_id, sent_at, sender_id, recipient_id, read_at in copies.iterator():
        row(organization_id, sent_at).notices.add(read=read_at is not None, people=(sender_id, recipient_id))
    grouped = defaultdict(list)
    for week_row in rows.values():
        grouped[week_row.week].append(week_row)
    return [
        week_row
        for week in sorted(grouped, reverse=True)
        for week_row in sorted(grouped[week], key=lambda r: r.organization)
    ]
