"""Migration 0012 links the audit entries written before the chain existed, in the order they were written."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from classrooms.audit_chain import verify_chain
from classrooms.models import AUDIT_CHAIN_START, AuditEntry
from tests.audit_guard import forging

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("classrooms", "0010_organization_two_factor_required")]


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    with forging():  # the migration fills the new columns of existing rows: a migration, not the application
        executor.migrate(targets)
    return executor


def test_existing_entries_become_a_chain_per_organization():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old = migrate(BEFORE).loader.project_state(BEFORE).apps
        Organization = old.get_model("classrooms", "Organization")
        Entry = old.get_model("classrooms", "AuditEntry")
        sakura = Organization.objects.create(code="sakura", name="さくら小学校")
        midori = Organization.objects.create(code="midori", name="みどり中学校")
        at = datetime.datetime(2026, 4, 1, tzinfo=datetime.UTC)
        for organization in (sakura, midori, sakura, None, sakura):
            Entry.objects.create(organization=organization, actor_label="system", action="class.create", at=at)
    finally:
        migrate(latest)

    entries = list(AuditEntry.objects.filter(organization_id=sakura.pk).order_by("id"))
    assert [entry.sequence for entry in entries] == [1, 2, 3]
    assert entries[0].prev_hash == AUDIT_CHAIN_START
    assert all(verify_chain(key).ok for key in (sakura.pk, midori.pk, 0))
    assert verify_chain(sakura.pk).count == 3
    # The chain goes on from there.
    assert AuditEntry.record(organization=None, actor=None, action="class.create").sequence == 2
