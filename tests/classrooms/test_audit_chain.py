"""The audit log is a hash chain per organization; audit_verify and the audit page find a forged row (docs/design.md §9)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import translation

from classrooms import services
from classrooms.audit_chain import audit_purge, verify_chain
from classrooms.models import (
    AUDIT_CHAIN_START,
    AuditChain,
    AuditEntry,
    audit_action_labels,
    audit_detail_declarations,
)
from tests.audit_guard import AuditGuard, forging, missing_labels

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(organization, org_admin, teacher, school_class):
    """Four entries in the organization's chain: a rename, a suspension, a reactivation, a rename."""
    services.class_rename(school_class=school_class, name="5年3組", by=teacher)
    services.user_set_active(user=teacher, active=False, by=org_admin)
    services.user_set_active(user=teacher, active=True, by=org_admin)
    services.class_rename(school_class=school_class, name="5年4組", by=teacher)
    return list(AuditEntry.objects.filter(organization=organization).order_by("sequence"))


def forge(sql: str, params: list) -> None:
    """What someone with write access to the database might do, past the application."""
    with forging(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def verify(code: str = "sakura") -> str:
    out = StringIO()
    call_command("audit_verify", "--organization", code, stdout=out)
    return out.getvalue()


def run_refused(code: str = "sakura") -> str:
    """audit_verify exits non-zero; the line that names the first broken link."""
    out = StringIO()
    with pytest.raises(CommandError, match="broken"):
        call_command("audit_verify", "--organization", code, stdout=out)
    [line] = [line for line in out.getvalue().splitlines() if "BROKEN" in line]
    return line


# --- The chain as written --------------------------------------------------------------------


def test_each_entry_links_to_the_previous_one_of_its_organization(chain):
    assert [entry.sequence for entry in chain] == [1, 2, 3, 4]
    assert chain[0].prev_hash == AUDIT_CHAIN_START
    assert [entry.prev_hash for entry in chain[1:]] == [entry.hash for entry in chain[:-1]]
    assert all(entry.hash == entry.compute_hash() for entry in chain)
    assert AuditChain.objects.get(key=chain[0].organization_id).head_hash == chain[-1].hash


def test_organizations_have_chains_of_their_own(chain, foreign_org_admin, foreign_teacher):
    services.user_set_active(user=foreign_teacher, active=False, by=foreign_org_admin)
    foreign = AuditEntry.objects.get(organization=foreign_teacher.memberships.get().organization)
    assert (foreign.sequence, foreign.prev_hash) == (1, AUDIT_CHAIN_START)


def test_entries_of_no_organization_form_their_own_chain(operator):
    first = AuditEntry.record(organization=None, actor=operator, action="class.create")
    second = AuditEntry.record(organization=None, actor=operator, action="class.create")
    assert (first.sequence, second.sequence, second.prev_hash) == (1, 2, first.hash)
    assert verify_chain(0).ok


def test_the_hash_covers_the_details_as_canonical_json(chain):
    entry = AuditEntry.objects.get(pk=chain[0].pk)
    canonical = json.loads(entry.canonical())
    assert canonical["details"] == {"previous": "5年1組"}
    assert canonical["at"].endswith("+00:00")
    assert entry.hash == chain[0].hash  # read back from the database, it still matches


def test_an_entry_cannot_be_bulk_created_updated_or_deleted_through_the_orm(chain):
    with pytest.raises(ValueError, match="one by one"):
        AuditEntry.objects.bulk_create([AuditEntry(action="class.create", actor_label="x")])
    with pytest.raises(ValueError, match="append-only"):
        AuditEntry.objects.filter(pk=chain[0].pk).update(action="class.create")
    with pytest.raises(ValueError, match="append-only"):
        AuditEntry.objects.filter(pk=chain[0].pk).delete()
    assert AuditEntry.objects.count() == 4


# --- audit_verify finds every kind of forgery ------------------------------------------------


def test_audit_verify_says_how_far_it_verified(chain):
    out = verify()
    assert "sakura: verified 4 entries up to" in out


def test_audit_verify_checks_every_chain_without_an_organization_given(chain, foreign_org_admin, foreign_teacher):
    services.user_set_active(user=foreign_teacher, active=False, by=foreign_org_admin)
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "sakura: verified 4 entries" in out.getvalue()
    assert "midori: verified 1 entries" in out.getvalue()


def test_a_changed_detail_is_found(chain):
    forge("UPDATE classrooms_auditentry SET details = %s WHERE id = %s", ['{"previous": "6年1組"}', chain[0].pk])
    line = run_refused()
    assert f"entry {chain[0].pk}, sequence 1: content changed" in line


def test_a_changed_action_is_found(chain):
    forge("UPDATE classrooms_auditentry SET action = 'teacher.reactivate' WHERE id = %s", [chain[1].pk])
    assert f"entry {chain[1].pk}, sequence 2: content changed" in run_refused()


def test_a_changed_entry_whose_hash_was_recomputed_breaks_the_next_link(chain):
    entry = AuditEntry.objects.get(pk=chain[1].pk)
    entry.action = "teacher.reactivate"
    forge(
        "UPDATE classrooms_auditentry SET action = %s, hash = %s WHERE id = %s",
        [entry.action, entry.compute_hash(), entry.pk],
    )
    assert f"entry {chain[2].pk}, sequence 3: link broken" in run_refused()


def test_a_deleted_entry_is_found(chain):
    forge("DELETE FROM classrooms_auditentry WHERE id = %s", [chain[1].pk])
    assert f"entry {chain[2].pk}, sequence 2: entry missing: sequence 2 to 2" in run_refused()


def test_a_deleted_newest_entry_is_found(chain):
    forge("DELETE FROM classrooms_auditentry WHERE id = %s", [chain[3].pk])
    assert "no entry, sequence 4: entry missing: sequence 4 to 4 (the newest)" in run_refused()


def test_an_inserted_entry_is_found(chain, organization):
    forge(
        "INSERT INTO classrooms_auditentry (organization_id, actor_label, action, target_type, target_id, target_label,"
        " details, at, sequence, prev_hash, hash) VALUES (%s, 'x', 'class.create', '', '', '', '{}', %s, 5, %s, %s)",
        [organization.pk, chain[3].at, chain[3].hash, "f" * 64],
    )
    assert "sequence 5: entry inserted: after the newest link" in run_refused()


def test_a_deleted_chain_head_is_found(chain):
    forge("DELETE FROM classrooms_auditchain WHERE key = %s", [chain[0].organization_id])
    assert f"entry {chain[0].pk}, sequence 1: entry inserted: after the newest link" in run_refused()


def test_reordered_entries_are_found(chain):
    # Swap two entries' places in the chain (sequence numbers, links and hashes), as a careful forger would.
    first, second = chain[1], chain[2]
    forge("UPDATE classrooms_auditentry SET sequence = sequence + 100 WHERE id IN (%s, %s)", [first.pk, second.pk])
    for entry, place in ((first, second), (second, first)):
        forge(
            "UPDATE classrooms_auditentry SET sequence = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [place.sequence, place.prev_hash, place.hash, entry.pk],
        )
    assert "sequence 2: content changed" in run_refused()


def test_entries_written_in_another_order_than_their_links_are_found(chain):
    # Row ids follow the order of writing: an entry that comes later in the chain but was written earlier.
    moved = AuditEntry.objects.get(pk=chain[3].pk)
    forge("DELETE FROM classrooms_auditentry WHERE id = %s", [moved.pk])
    forge(
        "INSERT INTO classrooms_auditentry (id, organization_id, actor_id, actor_label, action, target_type, target_id,"
            " target_label, details, at, sequence, prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [-moved.pk, moved.organization_id, moved.actor_id, moved.actor_label, moved.action, moved.target_type,
             moved.target_id, moved.target_label, json.dumps(moved.details), moved.at, moved.sequence,
             moved.prev_hash, moved.hash],
        )  # fmt: skip
    assert "sequence 4: reordered" in run_refused()


# --- The org admin's audit page --------------------------------------------------------------


def audit_page(client):
    return client.get(reverse("classrooms:orgadmin_audit_log"))


def test_the_audit_page_says_verified_up_to_the_newest_entry(client_of, org_admin, chain):
    with translation.override("ja"):
        response = audit_page(client_of(org_admin))
    assert response.context["chain"].ok
    content = response.content.decode()
    assert 'id="audit-verified"' in content
    assert "検証済み" in content


def test_the_audit_page_warns_about_a_changed_entry_even_after_a_verified_visit(client_of, org_admin, chain):
    client = client_of(org_admin)
    assert audit_page(client).context["chain"].ok
    forge("UPDATE classrooms_auditentry SET details = %s WHERE id = %s", ['{"previous": "x"}', chain[3].pk])

    response = audit_page(client)

    assert not response.context["chain"].ok
    assert response.context["chain"].broken.sequence == 4
    assert 'id="audit-broken"' in response.content.decode()


def test_the_audit_page_notices_a_deleted_older_entry_from_its_checkpoint(client_of, org_admin, chain):
    client = client_of(org_admin)
    audit_page(client)
    forge("DELETE FROM classrooms_auditentry WHERE id = %s", [chain[0].pk])
    assert audit_page(client).context["chain"].broken.kind == "missing"


def test_the_audit_page_checks_only_what_is_new_after_a_checkpoint(client_of, org_admin, teacher, school_class, chain):
    client = client_of(org_admin)
    audit_page(client)
    services.class_rename(school_class=school_class, name="5年5組", by=teacher)
    hashed = []
    original = AuditEntry.compute_hash

    def counting(entry):
        hashed.append(entry.sequence)
        return original(entry)

    AuditEntry.compute_hash = counting
    try:
        assert audit_page(client).context["chain"].ok
    finally:
        AuditEntry.compute_hash = original
    assert hashed == [4, 5]  # the checkpoint's own entry (is it unchanged?) and the new one


# --- The one path that deletes audit entries -------------------------------------------------


def test_a_purge_deletes_only_its_organization_and_the_chain_goes_on(chain, organization, other_organization, operator):
    foreign = AuditEntry.record(organization=other_organization, actor=operator, action="class.create")
    with transaction.atomic(), audit_purge(organization):
        AuditEntry.objects.filter(organization=organization).delete()
        with pytest.raises(ValueError, match="append-only"):
            AuditEntry.objects.filter(pk=foreign.pk).delete()
    after = AuditEntry.record(organization=organization, actor=operator, action="class.create")
    assert (after.sequence, after.prev_hash) == (5, chain[-1].hash)
    assert verify_chain(organization.pk).ok
    assert AuditEntry.objects.filter(pk=foreign.pk).exists()


# --- The guard every test runs with (tests/conftest.py) can fail -----------------------------


class Executed:
    """Stands for the database: remembers the statements that reached it."""

    def __init__(self):
        self.statements: list[str] = []

    def __call__(self, sql, params, many, context):
        self.statements.append(sql)


def test_the_guard_refuses_an_update_and_a_delete_of_audit_rows():
    guard, database = AuditGuard(), Executed()
    for sql in (
        'UPDATE "classrooms_auditentry" SET "action" = %s WHERE "id" = %s',
        'DELETE FROM "classrooms_auditentry" WHERE "id" IN (%s)',
        "update classrooms_auditentry set hash = %s",
    ):
        with pytest.raises(AssertionError, match="changed the audit log"):
            guard(database, sql, ["x", 1], False, {})
    guard(database, 'UPDATE "classrooms_auditchain" SET "sequence" = %s', [1], False, {})
    assert len(guard.violations) == 3
    assert database.statements == ['UPDATE "classrooms_auditchain" SET "sequence" = %s']


def test_the_guard_lets_the_data_deletion_purge(chain, organization):
    guard = AuditGuard()
    with connection.execute_wrapper(guard), transaction.atomic(), audit_purge(organization):
        AuditEntry.objects.filter(organization=organization).delete()
    assert guard.violations == []
    assert not AuditEntry.objects.filter(organization=organization).exists()


def test_the_guard_finds_an_entry_without_words_for_the_org_admin():
    guard = AuditGuard()
    insert = 'INSERT INTO "classrooms_auditentry" ("actor_label", "action", "details") VALUES (%s, %s, %s)'
    guard(Executed(), insert, ["x", "class.create", '{"mood": "grumpy", "previous": "5年1組"}'], False, {})
    guard(Executed(), insert, [["x", "incident.report", '{"category": "nonsense"}']], True, {})
    assert guard.missing_labels() == [
        "class.create: detail key 'mood'",
        "incident.report: value 'nonsense' of 'category'",
    ]


# --- Labels ----------------------------------------------------------------------------------


def words(label) -> tuple[str, str]:
    with translation.override("en"):
        english = str(label)
    with translation.override("ja"):
        return english, str(label)


def test_every_declared_action_and_detail_has_japanese_words():
    """Each label beside the code that writes it is translated (an org admin reads Japanese, not codes)."""
    labels = dict(audit_action_labels())
    for code, keys in audit_detail_declarations().items():
        for key, (label, values) in keys.items():
            labels[f"{code}: {key}"] = label
            labels |= {f"{code}: {key}={value}": text for value, text in values.items()}
    assert len(labels) > 80
    untranslated = [name for name, label in labels.items() if len(set(words(label))) == 1]
    assert untranslated == []


def test_the_break_glass_reason_is_shown_in_words(client_of, organization, org_admin, operator):
    from messaging.models import BreakGlassAccess

    AuditEntry.record(
        organization=organization,
        actor=operator,
        action="message.break_glass",
        reason=BreakGlassAccess.Reason.SUPPORT_INQUIRY,
        reference="問い合わせ 123",
    )
    with translation.override("ja"):
        [row] = audit_page(client_of(org_admin)).context["rows"]
        reason, label = (
            AuditEntry.detail_label("reason", "message.break_glass"),
            str(BreakGlassAccess.Reason.SUPPORT_INQUIRY.label),
        )
    assert "support_inquiry" not in str(row.details)
    assert dict(row.details)[reason] == label
    assert (reason, label) == ("理由", "問い合わせ対応")
    assert missing_labels("message.break_glass", {"reason": "support_inquiry", "reference": "x"}) == []
