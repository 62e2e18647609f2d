"""On PostgreSQL the audit table refuses UPDATE and DELETE, except a school's data deletion; the chain never forks.

(docs/design.md §8.4, §9.) Threads each take their own database connection,
as concurrent requests would.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import DatabaseError, connection, transaction

from classrooms.audit_chain import audit_purge, verify_chain
from classrooms.models import AuditEntry, Organization, User
from operations.deletion import personal_data_delete
from tests.audit_guard import forging
from tests.conftest import make_organization, make_user
from tests.threads import at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

HOLD_SECONDS = 0.3


@pytest.fixture(autouse=True)
def _needs_postgresql():
    if connection.vendor != "postgresql":
        pytest.fail("needs PostgreSQL: DATABASE_URL=$(scripts/pgtest start)")


@pytest.fixture
def school():
    organization = make_organization("sakura", "さくら小学校")
    admin = make_user("sakura-admin", User.Role.ORG_ADMIN, organization)
    for _ in range(3):
        AuditEntry.record(organization=organization, actor=admin, action="class.create")
    return organization


def raw(sql: str, params: list) -> None:
    """A statement sent past the application (the SQL guard of the tests is told so), as a forger would."""
    with forging(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def refused(sql: str, params: list) -> None:
    """The trigger refuses the statement (in a savepoint, so the transaction around goes on)."""
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw(sql, params)


def test_the_database_refuses_to_change_an_entry(school):
    entry = AuditEntry.objects.filter(organization=school).first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw("UPDATE classrooms_auditentry SET details = '{}'::jsonb WHERE id = %s", [entry.pk])
    assert verify_chain(school.pk).ok


def test_the_database_refuses_to_delete_an_entry(school):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw("DELETE FROM classrooms_auditentry WHERE organization_id = %s", [school.pk])
    assert AuditEntry.objects.filter(organization=school).count() == 3


def test_the_purge_setting_of_another_school_deletes_nothing_here(school):
    other = make_organization("midori", "みどり中学校")
    with transaction.atomic(), audit_purge(other):
        refused("DELETE FROM classrooms_auditentry WHERE organization_id = %s", [school.pk])
    assert AuditEntry.objects.filter(organization=school).count() == 3


def test_the_purge_setting_ends_with_its_transaction(school):
    with transaction.atomic():
        raw("SELECT set_config('kantoku.audit_purge', %s, true)", [str(school.pk)])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw("DELETE FROM classrooms_auditentry WHERE organization_id = %s", [school.pk])


def test_the_purge_deletes_its_school_and_the_chain_still_verifies(school):
    with transaction.atomic(), audit_purge(school):
        AuditEntry.objects.filter(organization=school).delete()
    entry = AuditEntry.record(organization=school, actor=None, action="class.create")
    assert entry.sequence == 4
    assert verify_chain(school.pk).ok


def test_the_data_deletion_of_a_terminated_school_goes_through_the_trigger(school):
    Organization.objects.filter(pk=school.pk).update(status=Organization.Status.TERMINATED)
    personal_data_delete(organization=school)
    assert list(AuditEntry.objects.filter(organization=school).values_list("action", flat=True)) == [
        "organization.data_deleted"
    ]
    assert verify_chain(school.pk).ok


# --- Concurrency ------------------------------------------------------------------------------


def in_threads(*calls) -> list[BaseException]:
    return list(at_once(dict(enumerate(calls)), timeout=30)[1].values())


def test_entries_written_at_once_never_fork_the_chain(school):
    admin = User.objects.get(login_id="sakura-admin")

    def write():
        for _ in range(5):
            with transaction.atomic():
                AuditEntry.record(organization=school, actor=admin, action="class.create")

    assert in_threads(*[write] * 8) == []
    sequences = list(
        AuditEntry.objects.filter(organization=school).order_by("sequence").values_list("sequence", flat=True)
    )
    assert sequences == list(range(1, 44))
    assert verify_chain(school.pk).ok


def test_suspending_someone_while_they_act_does_not_deadlock(school):
    """One transaction locks an account and then writes an entry; another writes an entry by that account.

    The second holds the chain's head while its foreign key check on the
    account waits at commit, unless `audit_chain.link` takes that share lock
    before the head: without it PostgreSQL detects a deadlock here every time.
    """
    admin = User.objects.get(login_id="sakura-admin")
    colleague = make_user("sakura-colleague", User.Role.ORG_ADMIN, school)
    locked = threading.Event()

    def suspend():
        with transaction.atomic():
            User.objects.select_for_update().get(pk=admin.pk)
            locked.set()
            time.sleep(HOLD_SECONDS)  # the other has taken the head by now, if it can
            AuditEntry.record(organization=school, actor=colleague, action="org_admin.suspend", target=admin)

    def act():
        locked.wait(timeout=10)
        with transaction.atomic():
            AuditEntry.record(organization=school, actor=admin, action="class.create")
            time.sleep(HOLD_SECONDS)

    assert in_threads(suspend, act) == []
    assert AuditEntry.objects.filter(organization=school).count() == 5
    assert verify_chain(school.pk).ok
