"""Deleting a terminated school's personal data after the retention period touches that school only (§8.4)."""

from __future__ import annotations

import datetime
import json

import pytest
from django.apps import apps
from django.core.management import call_command

from classrooms.audit_chain import verify_chain
from classrooms.models import AuditEntry, Enrollment, Membership, Organization, Transfer, User
from classrooms.schoolyear import today
from exams.models import Attempt, Exam
from operations.deletion import organizations_due, personal_data_delete
from operations.models import DataExport
from tests.conftest import enroll, make_organization, make_user
from tests.operations.conftest import _finished_attempt, build_export, populate

# The process lease the socket fixtures renew: not a school's row.
NOT_COMPARED = {"sockets.ServerProcess"}


def snapshot() -> set[tuple]:
    """Every row of every table (link tables too), as comparable tuples."""

    def plain(value):
        return json.dumps(value, sort_keys=True, default=str) if isinstance(value, dict | list) else value

    rows = set()
    for model in apps.get_models(include_auto_created=True):
        if model._meta.label in NOT_COMPARED:
            continue
        names = [field.attname for field in model._meta.concrete_fields]
        rows |= {(model._meta.label, *map(plain, values)) for values in model.objects.values_list(*names)}
    return rows


def terminate(organization: Organization, ended_days_ago: int) -> None:
    Organization.objects.filter(pk=organization.pk).update(
        status=Organization.Status.TERMINATED, ended_on=today() - datetime.timedelta(days=ended_days_ago)
    )
    organization.refresh_from_db()


@pytest.fixture
def world(db, operator):
    """ALPHA ended 100 days ago (due), BRAVO 10 days ago (not yet), CHARLIE is active.

    A pupil who moved from ALPHA to CHARLIE has rows at both. Returns the schools, the mover, and the
    rows that belong to ALPHA alone: what was added by filling ALPHA, minus the exam catalog.
    """
    alpha = make_organization("alpha", "ALPHA学園")
    bravo = populate(make_organization("bravo", "BRAVO学園"), "BRAVO", operator)
    charlie = populate(make_organization("charlie", "CHARLIE学園"), "CHARLIE", operator)
    mover = make_user("mover-pupil", User.Role.EXAMINEE, charlie.organization, name="転校 太郎")
    enroll(charlie.school_class, mover, number=9)
    _finished_attempt(charlie.session, mover, score=3)
    Transfer.objects.create(
        kind=Transfer.Kind.EXAMINEE_IN,
        person=mover,
        from_organization=alpha,
        to_organization=charlie.organization,
        effective_on=today() - datetime.timedelta(days=30),
        status=Transfer.Status.APPROVED,
        history_consent=True,
        filed_by=charlie.teacher,
        decided_by=charlie.admin,
    )
    before_alpha = snapshot()

    filled = populate(alpha, "ALPHA", operator)
    Membership.objects.create(
        user=mover,
        organization=alpha,
        starts_on=today() - datetime.timedelta(days=400),
        ends_on=today() - datetime.timedelta(days=30),
    )
    Enrollment.objects.create(
        school_class=filled.school_class,
        examinee=mover,
        number=10,
        starts_on=today() - datetime.timedelta(days=400),
        ends_on=today() - datetime.timedelta(days=30),
    )
    _finished_attempt(filled.session, mover, score=2)
    build_export(alpha, filled.admin)
    catalog = {"exams.Exam", "exams.ExamVersion", "exams.Passage", "exams.Question", "exams.Choice"}
    # The badges' issuers, achievements and status lists stay, so the badges pupils hold still verify (§12).
    catalog |= {"badges.Issuer", "badges.Achievement", "badges.StatusList"}
    alpha_rows = {row for row in snapshot() - before_alpha if row[0] not in catalog}
    terminate(alpha, ended_days_ago=100)
    terminate(bravo.organization, ended_days_ago=10)
    return {"alpha": filled, "bravo": bravo, "charlie": charlie, "mover": mover, "alpha_rows": alpha_rows}


def test_only_the_terminated_school_past_its_deletion_date_is_due(world):
    assert organizations_due(today()) == [world["alpha"].organization]
    deletion_date = world["alpha"].organization.data_deletion_date()
    assert organizations_due(deletion_date) == []  # the deletion date itself: not yet
    assert organizations_due(deletion_date + datetime.timedelta(days=1)) == [world["alpha"].organization]


def test_a_dry_run_changes_nothing_and_says_what_would_go(world, capsys):
    before = snapshot()
    call_command("delete_terminated_data")
    assert snapshot() == before
    out = capsys.readouterr().out
    assert "ALPHA学園 (alpha)" in out
    assert "exams.Attempt: 3 would be deleted" in out
    assert "classrooms.User: 4 would be deleted" in out
    assert "BRAVO" not in out
    assert "Dry run: nothing was deleted" in out


def test_apply_deletes_exactly_the_schools_rows_and_nothing_else(world, django_capture_on_commit_callbacks):
    export_file = DataExport.objects.get(organization=world["alpha"].organization).path
    assert export_file.is_file()
    before = snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("delete_terminated_data", "--apply")
    after = snapshot()

    assert before - after == world["alpha_rows"]
    added = after - before
    # One new entry, and the head of the school's audit chain moved past it (docs/design.md §9).
    assert sorted(row[0] for row in added) == ["classrooms.AuditChain", "classrooms.AuditEntry"]
    entry = AuditEntry.objects.get(action="organization.data_deleted")
    assert entry.organization == world["alpha"].organization
    assert verify_chain(entry.organization_id).ok
    assert entry.details["deleted"]["classrooms.User"] == 4
    assert entry.details["deleted"]["exams.Attempt"] == 3
    assert entry.details["deleted"]["badges.Award"] == 2  # the badges of the two passes
    assert entry.details["accounts_kept"] == 1
    assert not export_file.exists()


def test_the_school_row_and_the_exam_catalog_stay(world):
    personal_data_delete(organization=world["alpha"].organization)
    alpha = Organization.objects.get(code="alpha")
    assert (alpha.name, alpha.status) == ("ALPHA学園", Organization.Status.TERMINATED)
    assert Exam.objects.filter(code="alpha-exam").exists()
    assert not User.objects.filter(login_id__startswith="alpha-").exists()


def test_a_pupil_who_moved_to_another_school_keeps_their_account_and_that_schools_data(world):
    mover = world["mover"]
    personal_data_delete(organization=world["alpha"].organization)
    assert User.objects.filter(pk=mover.pk).exists()
    assert list(Membership.objects.filter(user=mover).values_list("organization__code", flat=True)) == ["charlie"]
    assert list(
        Attempt.objects.filter(examinee=mover).values_list("session__school_class__organization__code", flat=True)
    ) == ["charlie"]
    arrival = Transfer.objects.get(person=mover)
    assert (arrival.from_organization.code, arrival.to_organization.code) == ("alpha", "charlie")


def test_a_second_run_finds_nothing_to_do(world, capsys):
    call_command("delete_terminated_data", "--apply")
    capsys.readouterr()
    before = snapshot()
    call_command("delete_terminated_data", "--apply")
    assert snapshot() == before
    assert "No organization is due" in capsys.readouterr().out


def test_a_late_date_brings_the_other_terminated_school_in(world, capsys):
    later = world["bravo"].organization.data_deletion_date() + datetime.timedelta(days=1)
    call_command("delete_terminated_data", "--apply", "--date", later.isoformat())
    assert not User.objects.filter(login_id__startswith="bravo-").exists()
    assert User.objects.filter(login_id__startswith="charlie-").count() == 4
    assert world["charlie"].organization not in organizations_due(later + datetime.timedelta(days=3650))
