"""Deleting a terminated school's personal data once the retention period is over (docs/design.md §8.4).

What goes: the school's classes, enrollments, tests with their attempts and badges,
answers and signals, incidents and revocations, messages and notices with
their receipts, transfers, data exports (rows and files), memberships, audit
entries, and the accounts of its people. What stays: the Organization row
itself (name, code, dates) and so whatever operations keeps about it for
invoicing (contract terms, billing snapshots: rows that hang on the
organization, not on people, and are not listed here), the operators' exam
catalog, and one audit entry saying that the deletion happened and how many
rows of each table went.

A person's account goes only when nothing outside this school holds on to it:
a pupil who transferred to another school (a membership there), or anyone
named by a row of another organization that stays, keeps their account and
everything of theirs at the other school; only this school's rows about them
go. Every foreign key of the project is PROTECT towards people and schools, so
a row of another school that still named one of them would stop the deletion
rather than be swept away with it; the plan leaves such accounts alone
instead (`_accounts_held_elsewhere`).
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy

from badges.models import Award
from classrooms.access import transfers_of
from classrooms.audit_chain import audit_purge
from classrooms.models import (
    AuditEntry,
    Enrollment,
    Membership,
    Organization,
    SchoolClass,
    Transfer,
    TransferSuccessor,
    User,
    audit_actions,
)
from exams.models import Attempt, AttemptQuestion
from messaging.models import BreakGlassAccess, Message, Notice, NoticeReceipt, Thread
from operations.models import DataExport
from proctoring.models import Connection, Incident, ProctoredSession, Revocation, Seat, Signal, SignalReceipt

# The audit log's action codes written here (docs/design.md §9).
AUDIT_ACTIONS = audit_actions(
    {"organization.data_deleted": gettext_lazy("Personal data deleted after the end of the contract")},
    details={"deleted": gettext_lazy("rows deleted"), "accounts_kept": gettext_lazy("accounts kept")},
)

BATCH = 1000


@dataclass
class DeletionPlan:
    """What deleting one school's personal data removes, in an order no PROTECT foreign key refuses."""

    organization: Organization
    steps: list[QuerySet] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)
    kept_user_ids: set[int] = field(default_factory=set)

    def counts(self) -> dict[str, int]:
        """Rows per table that would go (a dry run): one COUNT per table."""
        counts = {step.model._meta.label: step.count() for step in self.steps}
        counts[User._meta.label] = len(self.user_ids)
        return counts

    @property
    def export_files(self) -> list[Path]:
        exports = DataExport.objects.filter(organization=self.organization).exclude(file_name="")
        return [export.path for export in exports]


def organizations_due(day: datetime.date) -> list[Organization]:
    """Terminated organizations whose data deletion date is before `day` and whose data is not deleted yet."""
    done = AuditEntry.objects.filter(action="organization.data_deleted").values("organization_id")
    candidates = Organization.objects.filter(status=Organization.Status.TERMINATED, ended_on__isnull=False).exclude(
        pk__in=done
    )
    return [organization for organization in candidates if organization.data_deletion_date() < day]


def _school_rows(organization: Organization) -> list[QuerySet]:
    """The school's rows, children before parents."""
    in_school = Q(session__school_class__organization=organization)
    transfers = transfers_of(organization).values("pk")
    return [
        BreakGlassAccess.objects.filter(message__thread__organization=organization),
        Message.objects.filter(thread__organization=organization),
        Thread.objects.filter(organization=organization),
        NoticeReceipt.objects.filter(notice__organization=organization),
        Notice.objects.filter(organization=organization),
        Revocation.objects.filter(
            Q(attempt__session__school_class__organization=organization) | Q(incident__organization=organization)
        ),
        Incident.objects.filter(organization=organization),  # with its links to signals
        # The pupils' badges (docs/design.md §12): the rows go; the issuer, its status lists (their bits and
        # used indexes) and the achievements stay, so a badge a pupil holds still verifies.
        Award.objects.filter(attempt__session__school_class__organization=organization),
        AttemptQuestion.objects.filter(attempt__session__school_class__organization=organization),
        Attempt.objects.filter(in_school),
        SignalReceipt.objects.filter(signal__session__school_class__organization=organization),
        Signal.objects.filter(in_school),
        Connection.objects.filter(seat__session__school_class__organization=organization),
        Seat.objects.filter(in_school),
        ProctoredSession.objects.filter(school_class__organization=organization),
        TransferSuccessor.objects.filter(Q(transfer__in=transfers) | Q(school_class__organization=organization)),
        Transfer.objects.filter(pk__in=transfers),
        Enrollment.objects.filter(school_class__organization=organization),
        SchoolClass.objects.filter(organization=organization),
        DataExport.objects.filter(organization=organization),
        AuditEntry.objects.filter(organization=organization),
        Membership.objects.filter(organization=organization),
    ]


def _user_foreign_keys() -> Iterator[tuple[type[models.Model], models.ForeignKey]]:
    """Every foreign key to a user that would refuse the user's deletion (PROTECT), in every installed app."""
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            if (
                model_field.is_relation
                and model_field.related_model is User
                and model_field.remote_field.on_delete is models.PROTECT
            ):
                yield model, model_field


def _accounts_held_elsewhere(candidates: QuerySet, steps: list[QuerySet]) -> set[int]:
    """Candidates still named by a row that stays after the school's rows are gone."""
    going = {step.model: step for step in steps}
    held: set[int] = set()
    for model, fk in _user_foreign_keys():
        rows = model.objects.filter(**{f"{fk.name}__in": candidates})
        if model in going:
            rows = rows.exclude(pk__in=going[model].values("pk"))
        held.update(rows.values_list(fk.attname, flat=True).distinct())
    return held


def deletion_plan(organization: Organization) -> DeletionPlan:
    """What would be deleted; reads only."""
    steps = _school_rows(organization)
    here = Membership.objects.filter(organization=organization).values("user_id")
    elsewhere = Membership.objects.exclude(organization=organization).values("user_id")
    candidates = User.objects.filter(pk__in=here).exclude(pk__in=elsewhere).exclude(role=User.Role.OPERATOR)
    kept = _accounts_held_elsewhere(candidates, steps)
    user_ids = [pk for pk in candidates.order_by("pk").values_list("pk", flat=True) if pk not in kept]
    kept |= set(
        Membership.objects.filter(organization=organization, user_id__in=elsewhere).values_list("user_id", flat=True)
    )
    return DeletionPlan(organization=organization, steps=steps, user_ids=user_ids, kept_user_ids=kept)


def _delete_in_batches(rows: QuerySet) -> Counter:
    """Delete the rows BATCH at a time, so a school of any size needs bounded memory; rows deleted per table."""
    deleted: Counter = Counter()
    while ids := list(rows.order_by().values_list("pk", flat=True)[:BATCH]):
        _total, per_table = rows.model.objects.filter(pk__in=ids).delete()
        deleted.update(per_table)
    return deleted


def _delete_accounts(user_ids: list[int]) -> Counter:
    deleted: Counter = Counter()
    for start in range(0, len(user_ids), BATCH):
        batch = user_ids[start : start + BATCH]
        login_ids = list(User.objects.filter(pk__in=batch).values_list("login_id", flat=True))
        for throttling in (AccessAttempt, AccessFailureLog, AccessLog):  # sign-in records name the login id
            deleted.update(throttling.objects.filter(username__in=login_ids).delete()[1])
        deleted.update(User.objects.filter(pk__in=batch).delete()[1])
    return deleted


def personal_data_delete(*, organization: Organization) -> dict[str, int]:
    """Delete the school's personal data in one transaction and record that it happened (docs/design.md §8.4).

    Returns the rows deleted per table. The export files go once the transaction has committed.
    """
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        plan = deletion_plan(organization)
        files = plan.export_files
        deleted: Counter = Counter()
        with audit_purge(organization):  # the one path that may remove audit entries (docs/design.md §9)
            for step in plan.steps:
                deleted.update(_delete_in_batches(step))
        deleted.update(_delete_accounts(plan.user_ids))
        counts = {label: count for label, count in sorted(deleted.items()) if count}
        AuditEntry.record(
            organization=organization,
            actor=None,
            action="organization.data_deleted",
            target=organization,
            deleted=counts,
            accounts_kept=len(plan.kept_user_ids),
        )
        transaction.on_commit(partial(_files_delete, files))
    return counts


def _files_delete(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
