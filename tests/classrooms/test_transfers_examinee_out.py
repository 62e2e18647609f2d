"""An examinee leaves (docs/design.md §7): filed by their teacher, approved by the org admin, effective on its date."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from classrooms import services
from classrooms import transfers as transfer_services
from classrooms.models import AuditEntry, Enrollment, Membership, Transfer, User
from classrooms.schoolyear import today
from config.errors import ServiceError
from exams import services as exam_services
from exams.models import Attempt
from proctoring.models import ProctoredSession
from tests.conftest import freeze

pytestmark = pytest.mark.django_db


def file_transfer(enrollment, teacher, days_ahead: int = 7) -> Transfer:
    return transfer_services.transfer_file_examinee_out(
        enrollment=enrollment, effective_on=today() + datetime.timedelta(days=days_ahead), reason="引っ越し", by=teacher
    )


# --- Filing -------------------------------------------------------------------------------------


def test_it_files_a_transfer_from_the_roster(client_of, teacher, enrollment, examinee):
    url = reverse("classrooms:teacher_examinee_transfer_out", args=[enrollment.school_class_id, enrollment.pk])
    day = today() + datetime.timedelta(days=10)
    response = client_of(teacher).post(url, {"effective_on": day.isoformat(), "reason": "move"})
    assert response.status_code == 302
    transfer = Transfer.objects.get(person=examinee)
    assert transfer.kind == Transfer.Kind.EXAMINEE_OUT
    assert transfer.status == Transfer.Status.PENDING
    assert transfer.effective_on == day
    assert transfer.filed_by == teacher
    assert AuditEntry.objects.filter(action="transfer.examinee_out.file").exists()
    # Filing alone changes nothing.
    assert Membership.objects.active_on(day).filter(user=examinee).exists()


def test_a_date_in_the_past_is_refused(client_of, teacher, enrollment):
    url = reverse("classrooms:teacher_examinee_transfer_out", args=[enrollment.school_class_id, enrollment.pk])
    day = today() - datetime.timedelta(days=1)
    response = client_of(teacher).post(url, {"effective_on": day.isoformat(), "reason": ""})
    assert response.status_code == 200
    assert not Transfer.objects.exists()


def test_a_second_pending_transfer_is_refused(teacher, enrollment):
    file_transfer(enrollment, teacher)
    with pytest.raises(ServiceError):
        file_transfer(enrollment, teacher, days_ahead=8)


def test_the_filing_form_is_for_the_class_teacher_only(
    client, client_of, enrollment, other_teacher, foreign_teacher, org_admin, examinee
):
    url = reverse("classrooms:teacher_examinee_transfer_out", args=[enrollment.school_class_id, enrollment.pk])
    assert client.get(url).status_code == 302  # anonymous: sign in
    for outsider in (other_teacher, foreign_teacher, org_admin, examinee):
        assert client_of(outsider).get(url).status_code == 404


# --- Deciding -----------------------------------------------------------------------------------


def test_only_the_org_admin_of_the_organization_decides(
    client, client_of, teacher, enrollment, foreign_org_admin, other_teacher
):
    transfer = file_transfer(enrollment, teacher)
    urls = [
        reverse(name, args=[transfer.pk])
        for name in ("classrooms:orgadmin_transfer_approve", "classrooms:orgadmin_transfer_reject")
    ]
    for url in urls:
        assert client.post(url).status_code == 302  # anonymous: sign in
    for url in urls:
        for outsider in (foreign_org_admin, teacher, other_teacher):
            assert client_of(outsider).post(url).status_code == 404
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.PENDING


def test_rejection_changes_nothing(client_of, teacher, enrollment, org_admin, examinee):
    transfer = file_transfer(enrollment, teacher)
    client_of(org_admin).post(reverse("classrooms:orgadmin_transfer_reject", args=[transfer.pk]))
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.REJECTED
    assert transfer.decided_by == org_admin
    enrollment.refresh_from_db()
    assert enrollment.ends_on is None
    assert AuditEntry.objects.filter(action="transfer.examinee_out.reject").exists()


def test_approval_ends_membership_and_enrollments_on_the_date(
    client_of, teacher, enrollment, org_admin, examinee, other_class
):
    other = Enrollment.objects.create(school_class=other_class, examinee=examinee, starts_on=today())
    transfer = file_transfer(enrollment, teacher)
    client_of(org_admin).post(reverse("classrooms:orgadmin_transfer_approve", args=[transfer.pk]))
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.APPROVED
    assert transfer.decided_by == org_admin
    for row in (enrollment, other):
        row.refresh_from_db()
        assert row.ends_on == transfer.effective_on
    membership = Membership.objects.get(user=examinee)
    assert membership.ends_on == transfer.effective_on
    assert User.objects.filter(pk=examinee.pk, is_active=True).exists()  # the account is kept
    assert AuditEntry.objects.filter(action="transfer.examinee_out.approve").exists()


def test_a_decided_transfer_cannot_be_decided_again(teacher, enrollment, org_admin):
    transfer = file_transfer(enrollment, teacher)
    transfer_services.transfer_approve(transfer=transfer, by=org_admin)
    with pytest.raises(ServiceError):
        transfer_services.transfer_reject(transfer=transfer, by=org_admin)


# --- Visibility before and after the date ------------------------------------------------------


def test_the_old_organization_sees_the_examinee_until_the_date_only(
    monkeypatch, client_of, teacher, enrollment, org_admin, examinee, school_class, running_attempt
):
    exam_services.attempt_finish(attempt=running_attempt, reason=Attempt.FinishReason.SUBMITTED)
    transfer = file_transfer(enrollment, teacher)
    transfer_services.transfer_approve(transfer=transfer, by=org_admin)
    roster = reverse("classrooms:teacher_roster", args=[school_class.pk])
    export = reverse("classrooms:teacher_roster_export", args=[school_class.pk])
    results = reverse("exams:class_results", args=[school_class.pk])
    classes = reverse("classrooms:orgadmin_class_list")
    detail = reverse("classrooms:orgadmin_class_detail", args=[school_class.pk])
    transfers = reverse("classrooms:orgadmin_transfer_list")

    freeze(monkeypatch, transfer.effective_on - datetime.timedelta(days=1))
    as_teacher = client_of(teacher)
    assert examinee.name in as_teacher.get(roster).content.decode()
    assert examinee.login_id in as_teacher.get(export).content.decode("utf-8-sig")
    assert examinee.name in as_teacher.get(results).content.decode()
    as_admin = client_of(org_admin)
    assert as_admin.get(classes).context["classes"].get(pk=school_class.pk).examinee_count == 1
    assert examinee.name in as_admin.get(detail).content.decode()
    assert examinee.name in as_admin.get(transfers).content.decode()

    freeze(monkeypatch, transfer.effective_on)
    as_teacher = client_of(teacher)
    assert examinee.name not in as_teacher.get(roster).content.decode()
    assert examinee.login_id not in as_teacher.get(export).content.decode("utf-8-sig")
    assert examinee.name not in as_teacher.get(results).content.decode()
    as_admin = client_of(org_admin)
    assert as_admin.get(classes).context["classes"].get(pk=school_class.pk).examinee_count == 0
    assert examinee.name not in as_admin.get(detail).content.decode()
    page = as_admin.get(transfers)
    assert examinee.name not in page.content.decode()
    assert page.context["decided"][0].transfer.is_completed_on(transfer.effective_on)


def test_the_examinee_keeps_history_but_cannot_sign_in_to_the_old_school(
    monkeypatch, client_of, teacher, enrollment, org_admin, examinee
):
    transfer = file_transfer(enrollment, teacher)
    transfer_services.transfer_approve(transfer=transfer, by=org_admin)
    freeze(monkeypatch, transfer.effective_on)
    response = client_of(examinee).get(reverse("classrooms:examinee_home"))
    assert response.status_code == 302  # no active membership: signed out
    assert Enrollment.objects.filter(examinee=examinee).exists()  # nothing deleted


# --- A running attempt -------------------------------------------------------------------------


@pytest.fixture
def running_attempt(proctored_session, examinee):
    ProctoredSession.objects.filter(pk=proctored_session.pk).update(status=ProctoredSession.Status.RUNNING)
    proctored_session.refresh_from_db()
    attempt, _created = exam_services.attempt_start(session=proctored_session, examinee=examinee)
    return attempt


def test_approval_effective_today_finishes_the_running_attempt(teacher, enrollment, org_admin, running_attempt):
    transfer = file_transfer(enrollment, teacher, days_ahead=0)
    # An enrollment starting today cannot end today; this one started 30 days ago.
    transfer_services.transfer_approve(transfer=transfer, by=org_admin)
    running_attempt.refresh_from_db()
    assert running_attempt.status == Attempt.Status.FINISHED
    assert running_attempt.finish_reason == Attempt.FinishReason.TRANSFERRED


def test_a_later_date_leaves_the_attempt_until_the_command_runs_on_the_date(
    monkeypatch, teacher, enrollment, org_admin, running_attempt
):
    transfer = file_transfer(enrollment, teacher, days_ahead=1)
    transfer_services.transfer_approve(transfer=transfer, by=org_admin)
    running_attempt.refresh_from_db()
    assert running_attempt.status == Attempt.Status.RUNNING
    assert exam_services.attempts_finish_departed() == 0
    freeze(monkeypatch, transfer.effective_on)
    assert exam_services.attempts_finish_departed() == 1
    running_attempt.refresh_from_db()
    assert running_attempt.finish_reason == Attempt.FinishReason.TRANSFERRED


# --- The transfers page -------------------------------------------------------------------------


def test_the_transfers_page_is_the_org_admins(client, client_of, org_admin, foreign_org_admin, teacher, enrollment):
    transfer = file_transfer(enrollment, teacher)
    url = reverse("classrooms:orgadmin_transfer_list")
    assert client.get(url).status_code == 302
    assert client_of(teacher).get(url).status_code == 404
    page = client_of(foreign_org_admin).get(url)
    assert page.status_code == 200
    assert not page.context["pending"]
    page = client_of(org_admin).get(url)
    assert [row.transfer for row in page.context["pending"]] == [transfer]
    assert page.context["pending"][0].decidable


def test_an_enrollment_made_after_approval_still_ends_with_the_membership(
    monkeypatch, client_of, teacher, other_teacher, enrollment, org_admin, examinee, other_class
):
    transfer = file_transfer(enrollment, teacher)
    transfer_services.transfer_approve(transfer=transfer, by=org_admin)
    services.enrollment_create(school_class=other_class, examinee=examinee, number=None, by=other_teacher)
    roster = reverse("classrooms:teacher_roster", args=[other_class.pk])
    assert examinee.name in client_of(other_teacher).get(roster).content.decode()
    freeze(monkeypatch, transfer.effective_on)
    assert examinee.name not in client_of(other_teacher).get(roster).content.decode()


def test_session_reports_and_messages_stop_naming_the_examinee_on_the_date(
    monkeypatch, client_of, teacher, enrollment, org_admin, examinee, running_attempt, proctored_session
):
    from messaging import services as messaging_services

    exam_services.attempt_finish(attempt=running_attempt, reason=Attempt.FinishReason.SUBMITTED)
    messaging_services.message_send(by=teacher, recipient=examinee, body="がんばったね")
    transfer = file_transfer(enrollment, teacher)
    transfer_services.transfer_approve(transfer=transfer, by=org_admin)
    report = reverse("proctoring:session_report", args=[proctored_session.pk])
    export = reverse("proctoring:session_report_export", args=[proctored_session.pk])
    inbox = reverse("messaging:inbox")

    freeze(monkeypatch, transfer.effective_on - datetime.timedelta(days=1))
    as_teacher = client_of(teacher)
    assert examinee.name in as_teacher.get(report).content.decode()
    assert examinee.name in as_teacher.get(export).content.decode("utf-8-sig")
    assert examinee.name in as_teacher.get(inbox).content.decode()

    freeze(monkeypatch, transfer.effective_on)
    as_teacher = client_of(teacher)
    response = as_teacher.get(report)
    assert examinee.name not in response.content.decode()
    rows = response.context["report"].examinees
    assert len(rows) == 1
    assert not rows[0].named
    assert examinee.name not in as_teacher.get(export).content.decode("utf-8-sig")
    assert examinee.name not in as_teacher.get(inbox).content.decode()
