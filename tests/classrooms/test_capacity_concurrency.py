"""The capacity rules of docs/design.md §2 hold under concurrent requests.

Each test fires many service calls at once from threads, each with its own
database connection, released together by a barrier. Only PostgreSQL shows
real row-lock contention, so these run there (`make test` provides one). With
the row locks of `classrooms.services._lock_for_enrollment` removed, the
counts below overshoot the limits and these tests fail.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

import pytest

from classrooms import services
from classrooms.models import Enrollment, Membership, SchoolClass, User
from classrooms.schoolyear import today
from classrooms.services import TEACHER_CAPACITY, RosterRow, enrollment_create, examinees_issue
from config.errors import ServiceError
from tests.conftest import enroll, make_class, make_user
from tests.threads import at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RACE_WINDOW_SECONDS = 0.05


@pytest.fixture(autouse=True)
def wide_race_window(monkeypatch):
    """Pause between the capacity check and the writes that follow it.

    With the locks, the pause only serializes (it is taken while holding
    them); without them, every concurrent call passes its check before any
    writes, so a missing lock fails these tests every time rather than now
    and then. This widens a window; it waits for nothing.
    """
    check = services._check_capacity

    def check_then_pause(*args, **kwargs):
        check(*args, **kwargs)
        time.sleep(RACE_WINDOW_SECONDS)

    monkeypatch.setattr(services, "_check_capacity", check_then_pause)


def run_concurrently(calls: list[Callable[[], object]]) -> tuple[int, list[ServiceError], list[BaseException]]:
    """Run every call at once (tests/threads.py). Returns (successes, ServiceError refusals, any other exceptions)."""
    results, failures = at_once(dict(enumerate(calls)), timeout=60)
    refusals = [error for error in failures.values() if isinstance(error, ServiceError)]
    errors = [error for error in failures.values() if not isinstance(error, ServiceError)]
    return len(results), refusals, errors


def active_enrollments(school_class: SchoolClass) -> int:
    return Enrollment.objects.active_on(today()).filter(school_class=school_class).count()


def distinct_examinees_of(teacher: User) -> int:
    return (
        Enrollment.objects.active_on(today())
        .filter(school_class__teacher=teacher)
        .values("examinee_id")
        .distinct()
        .count()
    )


def enrolling(examinee: User, *, into: SchoolClass, by: User) -> Callable[[], Enrollment]:
    return partial(enrollment_create, school_class=into, examinee=examinee, number=None, by=by)


def make_examinees(organization, prefix: str, count: int) -> list[User]:
    return [make_user(f"{prefix}{index:02d}", User.Role.EXAMINEE, organization) for index in range(count)]


def test_a_class_never_exceeds_its_capacity_when_60_enroll_at_once(organization, teacher):
    school_class = make_class(organization, teacher, "5年1組")
    examinees = make_examinees(organization, "pupil", 60)

    successes, refusals, errors = run_concurrently(
        [enrolling(examinee, into=school_class, by=teacher) for examinee in examinees]
    )

    assert errors == []
    assert (successes, len(refusals)) == (SchoolClass.CAPACITY, 60 - SchoolClass.CAPACITY)
    assert active_enrollments(school_class) == SchoolClass.CAPACITY
    assert all(str(SchoolClass.CAPACITY) in str(refusal) for refusal in refusals)


def test_a_teacher_never_exceeds_40_examinees_across_classes_enrolled_at_once(organization, teacher):
    # Class A already holds 25. Then, at once: 30 newcomers spread over nine
    # other classes of the same teacher (3 or 4 each, so no class is near its own
    # limit and only the teacher's limit can refuse), and 5 of class A's
    # examinees into class B, who do not add to the teacher's distinct count.
    class_a, *other_classes = [make_class(organization, teacher, f"5年{number}組") for number in range(1, 11)]
    already_in_a = make_examinees(organization, "a-pupil", 25)
    for examinee in already_in_a:
        enroll(class_a, examinee)
    newcomers = make_examinees(organization, "new-pupil", 30)

    calls = [
        enrolling(examinee, into=other_classes[index % len(other_classes)], by=teacher)
        for index, examinee in enumerate(newcomers)
    ] + [enrolling(examinee, into=other_classes[0], by=teacher) for examinee in already_in_a[:5]]
    successes, refusals, errors = run_concurrently(calls)

    assert errors == []
    assert distinct_examinees_of(teacher) == TEACHER_CAPACITY
    # 15 newcomers fit (25 + 15 = 40); the 5 from class A always fit.
    assert (successes, len(refusals)) == (15 + 5, 15)
    moved = Enrollment.objects.active_on(today()).filter(examinee__in=already_in_a[:5], school_class=other_classes[0])
    assert moved.count() == 5


def test_concurrent_bulk_issues_fill_a_class_only_with_whole_batches(organization, teacher):
    # Four batches of 15 into an empty class of 40: two fit (30), a third would
    # make 45, so two batches are refused whole and leave nothing behind.
    school_class = make_class(organization, teacher, "5年1組")

    def batch(label: str) -> Callable[[], object]:
        rows = [RosterRow(name=f"{label} {index}") for index in range(15)]
        return partial(examinees_issue, school_class=school_class, rows=rows, by=teacher)

    successes, refusals, errors = run_concurrently([batch(label) for label in "ABCD"])

    assert errors == []
    assert (successes, len(refusals)) == (2, 2)
    assert active_enrollments(school_class) == 30
    examinee_ids = Membership.objects.filter(organization=organization, user__role=User.Role.EXAMINEE).values("user_id")
    assert User.objects.filter(pk__in=examinee_ids).count() == 30
    names = set(User.objects.filter(role=User.Role.EXAMINEE).values_list("name", flat=True))
    assert len({name.split()[0] for name in names}) == 2  # exactly two whole batches, no partial one
