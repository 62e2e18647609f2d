"""The class results page per question: correct rates, choices picked, who did not sit (docs/design.md §3)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from classrooms.models import User
from exams import services
from exams.models import Attempt, Choice
from proctoring.models import ProctoredSession
from tests.conftest import enroll, make_exam, make_user


@pytest.fixture
def session(school_class, teacher):
    exam = make_exam(code="two-questions", questions=2, per_attempt=2)
    return ProctoredSession.objects.create(
        school_class=school_class, exam=exam, teacher=teacher, status=ProctoredSession.Status.RUNNING
    )


def pupil(school_class, login_id: str, number: int) -> User:
    person = make_user(login_id, User.Role.EXAMINEE, school_class.organization, name=login_id)
    enroll(school_class, person, number=number)
    return person


def sit(session, examinee, answers: dict[str, bool | None]) -> Attempt:
    """An attempt of `examinee` answering each question (by key) right (True), wrong (False) or not at all."""
    with transaction.atomic():
        attempt, _created = services.attempt_start(session=session, examinee=examinee)
    for row in attempt.questions.select_related("question"):
        given = answers[row.question.key]
        if given is None:
            continue
        correct = {choice.pk for choice in Choice.objects.filter(question=row.question, is_correct=True)}
        index = next(i for i, choice_id in enumerate(row.choice_order) if (choice_id in correct) == given)
        services.answer_save(attempt=attempt, position=row.position, choice=index, seq=1)
    services.attempt_finish(attempt=attempt, reason=Attempt.FinishReason.SUBMITTED)
    return attempt


def page(client_of, teacher, school_class, session):
    url = reverse("exams:class_results", args=[school_class.pk]) + f"?session={session.pk}"
    return client_of(teacher).get(url)


def test_each_question_shows_its_correct_rate_and_the_choices_picked(client_of, teacher, school_class, session):
    sit(session, pupil(school_class, "pupil-a", 1), {"q0": True, "q1": True})
    sit(session, pupil(school_class, "pupil-b", 2), {"q0": False, "q1": None})
    first, second = page(client_of, teacher, school_class, session).context["items"]
    assert (first.prompt, first.asked, first.correct, first.unanswered, first.percent_correct) == ("問0", 2, 1, 0, 50)
    assert (second.prompt, second.asked, second.correct, second.unanswered) == ("問1", 2, 1, 1)
    assert [c.count for c in first.choices if c.correct] == [1]
    assert sum(c.count for c in first.choices) + first.unanswered == first.asked
    assert sum(c.count for c in second.choices) + second.unanswered == second.asked


def test_pupils_who_did_not_sit_the_test_are_listed(client_of, teacher, school_class, session):
    sit(session, pupil(school_class, "pupil-a", 1), {"q0": True, "q1": True})
    away = pupil(school_class, "pupil-away", 2)
    response = page(client_of, teacher, school_class, session)
    assert [enrollment.examinee for enrollment in response.context["absentees"]] == [away]
    assert "pupil-away" in response.content.decode()


def test_a_revoked_result_leaves_the_question_counts(client_of, teacher, school_class, session):
    from proctoring.services import result_revoke

    sit(session, pupil(school_class, "pupil-a", 1), {"q0": True, "q1": True})
    revoked = sit(session, pupil(school_class, "pupil-b", 2), {"q0": False, "q1": False})
    result_revoke(attempt=revoked, by=teacher, reason="copied")
    first, _second = page(client_of, teacher, school_class, session).context["items"]
    assert (first.asked, first.correct) == (1, 1)
