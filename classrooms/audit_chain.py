"""The audit log's hash chain: linking a new entry, verifying a chain, and the one way to delete entries.

Each organization's entries form one chain (entries of no organization form
their own, key 0): an entry's `hash` is SHA-256 over its unchangeable fields
and the previous entry's hash (`AuditEntry.canonical`). Changing, deleting,
inserting or reordering a row breaks the chain where it happened, and
`verify_chain` names that link (docs/design.md §9).
"""

from __future__ import annotations

import contextvars
import datetime
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from classrooms.models import AuditChain, AuditCheckpoint, AuditEntry, Organization, User

# The organization whose entries the current data deletion may remove (docs/design.md §8.4).
_purging: contextvars.ContextVar[int | None] = contextvars.ContextVar("audit_purge", default=None)

# On PostgreSQL the table's trigger reads this transaction-local setting (migration 0013).
PURGE_SETTING = "kantoku.audit_purge"


def link(entry: AuditEntry) -> None:
    """Make `entry` the next link of its chain; call inside the transaction that inserts it.

    The chain's head row is locked until that transaction ends, so two entries
    written at once take consecutive sequence numbers. Before taking it, the
    rows the transaction refers to so far are share-locked (their foreign key
    checks, deferred on PostgreSQL, run now): the head is then the last lock
    the writer waits for, and a writer holding it never waits for one that
    wants it.
    """
    if connection.vendor == "postgresql":
        _take_referenced_rows_first(entry)
    chain = AuditChain.objects.select_for_update().filter(key=entry.chain_key).first()
    if chain is None:  # the organization's first entry
        AuditChain.objects.get_or_create(key=entry.chain_key)
        chain = AuditChain.objects.select_for_update().get(key=entry.chain_key)
    # What is hashed is exactly what the database gives back when the entry is read again.
    entry.details = json.loads(json.dumps(entry.details))
    entry.sequence = chain.sequence + 1
    entry.prev_hash = chain.head_hash
    entry.hash = entry.compute_hash()
    AuditChain.objects.filter(pk=chain.pk).update(sequence=entry.sequence, head_hash=entry.hash)


def _take_referenced_rows_first(entry: AuditEntry) -> None:
    connection.check_constraints()  # PostgreSQL: SET CONSTRAINTS ALL IMMEDIATE, then DEFERRED again
    with connection.cursor() as cursor:
        for model, pk in ((Organization, entry.organization_id), (User, entry.actor_id)):
            if pk is not None:
                cursor.execute(f"SELECT 1 FROM {model._meta.db_table} WHERE id = %s FOR KEY SHARE", [pk])  # noqa: S608


# --- The data deletion's purge ----------------------------------------------------------------


@contextmanager
def audit_purge(organization: Organization) -> Iterator[None]:
    """Allow deleting this organization's audit entries inside the current transaction, and nothing else.

    The one path that removes audit entries is the deletion of a terminated
    school's personal data (docs/design.md §8.4). The chain's head keeps where
    the removed entries ended, so the entries written afterwards still verify.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit_purge needs the transaction of the deletion.")
    chain, _created = AuditChain.objects.select_for_update().get_or_create(key=organization.pk)
    AuditChain.objects.filter(pk=chain.pk).update(purged_through=chain.sequence, purged_hash=chain.head_hash)
    _set_database_purge(str(organization.pk))
    token = _purging.set(organization.pk)
    try:
        yield
    finally:
        _purging.reset(token)
        _set_database_purge("")


def _set_database_purge(value: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, true)", [PURGE_SETTING, value])


def purging(entries: QuerySet) -> bool:
    """Whether these entries may be deleted now: a purge is on and they all belong to its organization."""
    organization_id = purging_organization_id()
    return organization_id is not None and not entries.exclude(organization_id=organization_id).exists()


def purging_organization_id() -> int | None:
    return _purging.get()


# --- Verifying --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainBreak:
    """The first link of a chain that does not hold.

    `kind` is one of KINDS; `entry_id` is None when the entry is missing at the end of the chain.
    """

    KINDS = ("missing", "inserted", "changed", "link", "reordered")

    entry_id: int | None
    sequence: int
    kind: str
    detail: str

    def __str__(self) -> str:
        entry = f"entry {self.entry_id}" if self.entry_id is not None else "no entry"
        return f"{entry}, sequence {self.sequence}: {self.detail}"


@dataclass(frozen=True)
class ChainReport:
    """What verifying one chain found."""

    key: int
    count: int
    sequence: int
    last_hash: str
    last_at: datetime.datetime | None
    broken: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.broken is None


@dataclass
class _Walk:
    """Where a walk along a chain stands: the link it expects next."""

    sequence: int
    prev_hash: str
    count: int = 0
    last_id: int = 0
    last_at: datetime.datetime | None = None

    def check(self, entry: AuditEntry) -> ChainBreak | None:
        expected = self.sequence + 1
        if entry.sequence > expected:
            detail = f"entry missing: sequence {expected} to {entry.sequence - 1}"
            return ChainBreak(entry.pk, expected, "missing", detail)
        if entry.sequence < expected:
            return ChainBreak(entry.pk, entry.sequence, "inserted", "entry inserted: this sequence number is taken")
        if entry.compute_hash() != entry.hash:
            return ChainBreak(entry.pk, entry.sequence, "changed", "content changed: the entry does not match its hash")
        if entry.prev_hash != self.prev_hash:
            return ChainBreak(entry.pk, entry.sequence, "link", "link broken: the previous hash differs")
        if entry.pk < self.last_id:
            return ChainBreak(entry.pk, entry.sequence, "reordered", "reordered: written before the entry it follows")
        self.sequence, self.prev_hash, self.last_id, self.last_at = entry.sequence, entry.hash, entry.pk, entry.at
        self.count += 1
        return None


def chain_entries(key: int) -> QuerySet:
    entries = (
        AuditEntry.objects.filter(organization__isnull=True)
        if key == 0
        else AuditEntry.objects.filter(organization_id=key)
    )
    return entries.order_by("sequence", "id")


def verify_chain(key: int, *, checkpoint: AuditCheckpoint | None = None) -> ChainReport:
    """Walk one chain from its start (or from a checkpoint already verified) to its head."""
    chain = AuditChain.objects.filter(key=key).first() or AuditChain(key=key)
    walk = _Walk(chain.purged_through, chain.purged_hash)
    entries = chain_entries(key).filter(sequence__lte=chain.sequence)
    if checkpoint is not None and checkpoint.sequence > walk.sequence:
        walk = _Walk(checkpoint.sequence, checkpoint.entry_hash, count=checkpoint.count, last_at=checkpoint.entry_at)
        entries = entries.filter(sequence__gt=checkpoint.sequence)
    broken = None
    for entry in entries.iterator(chunk_size=2000):
        broken = walk.check(entry)
        if broken:
            break
    broken = broken or _check_head(key, walk, head=chain.sequence)
    return ChainReport(key, walk.count, walk.sequence, walk.prev_hash, walk.last_at, broken)


def _check_head(key: int, walk: _Walk, *, head: int) -> ChainBreak | None:
    """After the last entry: it is the head read before the walk, and nothing lies past the head now.

    The second check reads the head and the entries past it in one statement
    (one snapshot), so an entry committed meanwhile with its head is not
    mistaken for an inserted one.
    """
    if walk.sequence < head:
        missing = walk.sequence + 1
        return ChainBreak(None, missing, "missing", f"entry missing: sequence {missing} to {head} (the newest)")
    head_now = Coalesce(Subquery(AuditChain.objects.filter(key=key).values("sequence")[:1]), Value(0))
    beyond = chain_entries(key).filter(sequence__gt=head_now).first()
    if beyond is not None:
        return ChainBreak(beyond.pk, beyond.sequence, "inserted", "entry inserted: after the newest link of the chain")
    return None


def chain_keys(organization: Organization | None = None) -> list[int]:
    if organization is not None:
        return [organization.pk]
    keys = set(AuditChain.objects.values_list("key", flat=True))
    keys |= {pk or 0 for pk in AuditEntry.objects.order_by().values_list("organization_id", flat=True).distinct()}
    return sorted(keys)


def verify_and_remember(key: int, *, incremental: bool) -> ChainReport:
    """Verify a chain (only what is new since the checkpoint, when `incremental` and that is safe) and keep the result.

    The incremental check still notices a deleted or inserted older entry (the
    count up to the checkpoint) and a changed newest one (its hash); a changed
    older entry is found by the full check of `manage.py audit_verify`.
    """
    checkpoint, _created = AuditCheckpoint.objects.get_or_create(key=key)
    start = checkpoint if incremental and _checkpoint_holds(key, checkpoint) else None
    report = verify_chain(key, checkpoint=start)
    if report.ok:
        AuditCheckpoint.objects.filter(pk=checkpoint.pk).update(
            sequence=report.sequence,
            entry_hash=report.last_hash,
            entry_at=report.last_at,
            count=report.count,
            checked_at=timezone.now(),
            broken="",
        )
    else:
        AuditCheckpoint.objects.filter(pk=checkpoint.pk).update(checked_at=timezone.now(), broken=str(report.broken))
    return report


def _checkpoint_holds(key: int, checkpoint: AuditCheckpoint) -> bool:
    """The entry the checkpoint ends at is unchanged, and as many entries lead up to it as then."""
    if checkpoint.broken or checkpoint.sequence == 0:
        return False
    entries = chain_entries(key)
    last = entries.filter(sequence=checkpoint.sequence).first()
    return (
        last is not None
        and last.hash == checkpoint.entry_hash
        and last.compute_hash() == last.hash
        and entries.filter(sequence__lte=checkpoint.sequence).count() == checkpoint.count
    )
