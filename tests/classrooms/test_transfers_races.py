"""A transfer racing with an enrollment or a running attempt (docs/design.md §2, §7).

Approving an examinee's departure effective today must leave nothing of them
active in the old organization, whatever order it runs in against teachers
enrolling them elsewhere or the examinee saving answers. The PostgreSQL tests
fire the calls at once from threads with their own connections (as in
`test_capacity_concurrency`); the unmarked ones play both orders one after the
other on any database.
"""

from __future__ import annotations

import threading
import time
from functools import partial

import pytest
from django.utils.translation import gettext

from classrooms import services
from classrooms import transfers as transfer_services
from classrooms.models import Enrollment, Transfer, User
from classrooms.schoolyear import today
from config.errors import ServiceError
from exams import services as exam_services
from exams.models import Attempt
from proctoring.models import ProctoredSession
from tests.classrooms.test_capacity_concurrency import RACE_WINDOW_SECONDS, run_concurrently
from tests.conftest import make_class, make_user

concurrent = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
sequential = pytest.mark.django_db


def depart_today(enrollment, teacher) -> Transfer:
    return transfer_services.transfer_file_examinee_out(
        enrollment=enrollment, effective_on=today(), reason="", by=teacher
    )


def not_a_member() -> str:
    return gettext("This examinee is not a member of your organization.")


def old_school_enrollments(examinee: User, organization):
    return Enrollment.objects.active_on(today()).filter(examinee=examinee, school_class__organization=organization)


@pytest.fixture
def running_attempt(proctored_session, examinee):
    ProctoredSession.objects.filter(pk=proctored_session.pk).update(status=ProctoredSession.Status.RUNNING)
    proctored_session.refresh_from_db()
    attempt, _created = exam_services.attempt_start(session=proctored_session, examinee=examinee)
    return attempt


@pytest.fixture
def finishes(monkeypatch) -> list[str]:
    """The reason of every call to `attempt_finish` that actually finished the attempt."""
    finish = exam_services.attempt_finish
    finished: list[str] = []
    lock = threading.Lock()

    def counted(*, attempt, reason, now=None):
        done = finish(attempt=attempt, reason=reason, now=now)
        if done:
            with lock:
                finished.append(reason)
        return done

    monkeypatch.setattr(exam_services, "attempt_finish", counted)
    return finished


# --- Departure and enrollment --------------------------------------------------------------------


@pytest.mark.parametrize("run", range(3))
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_no_old_school_enrollment_survives_a_departure_approved_during_enrollments(
    monkeypatch, run, organization, org_admin, teacher, enrollment, examinee, other_class, other_teacher
):
    # Pause between the enrollment's checks and its write (as the capacity tests do): without the
    # examinee's row lock the approval commits inside the pause and the new enrollment outlives it.
    check = services._check_capacity

    def check_then_pause(*args, **kwargs):
        check(*args, **kwargs)
        time.sleep(RACE_WINDOW_SECONDS)

    monkeypatch.setattr(services, "_check_capacity", check_then_pause)
    classes = [other_class]
    for number in range(2):
        colleague = make_user(f"sakura-extra{number}", User.Role.TEACHER, organization)
        classes.append(make_class(organization, colleague, f"6年{number + 1}組"))
    transfer = depart_today(enrollment, teacher)

    calls = [partial(transfer_services.transfer_approve, transfer=transfer, by=org_admin)] + [
        partial(services.enrollment_create, school_class=school_class, examinee=examinee, number=None, by=teacher)
        for school_class in classes
    ]
    successes, refusals, errors = run_concurrently(calls)

    assert errors == []
    assert successes + len(refusals) == len(calls)
    assert all(str(refusal) == not_a_member() for refusal in refusals)
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.APPROVED
    assert not old_school_enrollments(examinee, organization).exists()


@sequential
def test_an_enrollment_after_the_approval_is_refused(
    organization, org_admin, teacher, enrollment, examinee, other_class
):
    transfer_services.transfer_approve(transfer=depart_today(enrollment, teacher), by=org_admin)
    with pytest.raises(ServiceError) as refusal:
        services.enrollment_create(school_class=other_class, examinee=examinee, number=None, by=teacher)
    assert str(refusal.value) == not_a_member()
    assert not old_school_enrollments(examinee, organization).exists()


@sequential
def test_an_enrollment_before_the_approval_ends_with_it(
    organization, org_admin, teacher, enrollment, examinee, other_class
):
    transfer = depart_today(enrollment, teacher)
    services.enrollment_create(school_class=other_class, examinee=examinee, number=None, by=teacher)
    transfer_services.transfer_approve(transfer=transfer, by=org_admin)
    assert not old_school_enrollments(examinee, organization).exists()


# --- Departure and a running attempt -------------------------------------------------------------


def saving_until_refused(attempt: Attempt, positions: range, first_seq: int) -> tuple[list[tuple[int, int, int]], str]:
    """Save answers in turn until the attempt refuses; returns the applied (position, choice, seq) and the refusal code."""
    applied = []
    for step in range(2000):
        position = positions[step % len(positions)]
        choice, seq = step % 4, first_seq + step
        try:
            outcome = exam_services.answer_save(attempt=attempt, position=position, choice=choice, seq=seq)
        except ServiceError as refusal:
            return applied, refusal.code
        if outcome.applied:
            applied.append((position, choice, seq))
    return applied, "never refused"


def assert_saved_answers_kept(attempt: Attempt, applied: list[tuple[int, int, int]]) -> None:
    last = {position: (choice, seq) for position, choice, seq in sorted(applied, key=lambda save: save[2])}
    rows = {row.position: (row.answer, row.save_seq) for row in attempt.questions.all()}
    for position, saved in last.items():
        assert rows[position] == saved


@pytest.mark.parametrize("run", range(3))
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_departure_approved_during_answer_saves_ends_the_attempt_once(
    run, finishes, org_admin, teacher, enrollment, running_attempt
):
    transfer = depart_today(enrollment, teacher)
    results: dict[str, tuple[list[tuple[int, int, int]], str]] = {}

    def save_and_keep(device: str, positions: range) -> None:
        results[device] = saving_until_refused(running_attempt, positions, 1)

    # Two devices of the examinee save answers (each its own questions) while the org admin approves.
    calls = [
        partial(save_and_keep, "tablet", range(2)),
        partial(save_and_keep, "laptop", range(2, 4)),
        partial(transfer_services.transfer_approve, transfer=transfer, by=org_admin),
    ]
    successes, refusals, errors = run_concurrently(calls)

    assert (successes, refusals, errors) == (3, [], [])
    running_attempt.refresh_from_db()
    assert running_attempt.status == Attempt.Status.FINISHED
    assert running_attempt.finish_reason == Attempt.FinishReason.TRANSFERRED
    assert finishes == [Attempt.FinishReason.TRANSFERRED]  # exactly once
    # Each device went on saving until refused because the test was over, and every save applied is kept.
    assert {code for _applied, code in results.values()} == {"finished"}
    assert_saved_answers_kept(running_attempt, [save for applied, _code in results.values() for save in applied])


@sequential
def test_saves_before_the_approval_are_kept_and_after_it_refused(
    finishes, org_admin, teacher, enrollment, running_attempt
):
    exam_services.answer_save(attempt=running_attempt, position=0, choice=2, seq=1)
    transfer_services.transfer_approve(transfer=depart_today(enrollment, teacher), by=org_admin)
    with pytest.raises(ServiceError) as refusal:
        exam_services.answer_save(attempt=running_attempt, position=1, choice=3, seq=2)
    assert refusal.value.code == "finished"
    running_attempt.refresh_from_db()
    assert running_attempt.finish_reason == Attempt.FinishReason.TRANSFERRED
    assert finishes == [Attempt.FinishReason.TRANSFERRED]
    rows = {row.position: row.answer for row in running_attempt.questions.all()}
    assert (rows[0], rows[1]) == (2, None)
