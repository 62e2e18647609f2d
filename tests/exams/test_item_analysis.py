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


def running(exam, school_class, teacher) -> ProctoredSession:
    return ProctoredSession.objects.create(
        school_class=school_class, exam=exam, teacher=teacher, status=ProctoredSession.Status.RUNNING
    )


@pytest.fixture
def session(school_class, teacher):
    exam = make_exam(code="two-questions", questions=2, per_attempt=2, organization=school_class.organization)
    return running(exam, school_class, teacher)


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


def sit_choosing(session, examinee, letters: dict[str, str]) -> Attempt:
    """An attempt answering each question (by key) with the choice at that letter (A = the correct one) or "-"."""
    with transaction.atomic():
        attempt, _created = services.attempt_start(session=session, examinee=examinee)
    for row in attempt.questions.select_related("question"):
        letter = letters[row.question.key]
        if letter == "-":
            continue
        wanted = Choice.objects.get(question=row.question, position="ABCD".index(letter)).pk
        services.answer_save(attempt=attempt, position=row.position, choice=row.choice_order.index(wanted), seq=1)
    services.attempt_finish(attempt=attempt, reason=Attempt.FinishReason.SUBMITTED)
    return attempt


# The class of six of tests/exams/test_item_statistics.py (q1–q3 there are q0–q2 here): per question,
# each pupil's letter in turn.
SIX = {"q0": "AAABAC", "q1": "BBABBA", "q2": "AABC-D"}


def sit_class(session, school_class, prefix: str, answers: dict[str, str]) -> list[Attempt]:
    """Pupils `prefix`-1, -2, … of the class, each sitting the test with their letter of every question."""
    count = len(next(iter(answers.values())))
    return [
        sit_choosing(
            session,
            pupil(school_class, f"{prefix}-{number + 1}", number + 1),
            {key: letters[number] for key, letters in answers.items()},
        )
        for number in range(count)
    ]


@pytest.fixture
def class_of_six(school_class, teacher):
    """The class of tests/exams/test_item_statistics.py, taking the test for real: q1 of that file is q0 here."""
    exam = make_exam(code="three-questions", questions=3, per_attempt=3, organization=school_class.organization)
    session = running(exam, school_class, teacher)
    sit_class(session, school_class, "pupil", SIX)
    return session


def test_the_page_gives_discrimination_and_flags_of_a_hand_computed_class(
    client_of, teacher, school_class, class_of_six
):
    response = page(client_of, teacher, school_class, class_of_six)
    first, second, third = response.context["items"]
    assert first.discrimination == pytest.approx(0.25)  # the arithmetic is in test_item_statistics.py
    assert second.discrimination == pytest.approx(-(3**0.5) / 4)
    assert third.discrimination == pytest.approx(0.0)
    assert (first.upper_lower, second.upper_lower) == (pytest.approx(2 / 3), pytest.approx(0.0))
    assert [flag.code for flag in second.flags] == ["negative_discrimination", "distractor_beats_key"]
    assert (first.flags, third.flags) == ([], [])
    assert [choice.count for choice in second.choices] == [2, 4, 0, 0]
    html = response.content.decode()
    assert html.count('class="item-flag"') == 1  # the icon and 要確認, on the second question only
    assert "識別力がマイナスです。" in html
    assert "誤答の「選択肢1-1」が正解より多く選ばれています。" in html
    assert "-0.43" in html
    assert "0.25" in html


def test_the_item_analysis_is_in_japanese_with_bars_and_no_inline_style(client_of, teacher, school_class, class_of_six):
    url = reverse("exams:class_results", args=[school_class.pk]) + f"?session={class_of_six.pk}"
    html = client_of(teacher).get(url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    for label in ("識別力", "正答率", "選択率", "要確認", "点双列相関", "上位・下位27%の差"):
        assert label in html
    assert html.count('class="choice-bars"') == 3
    assert "style=" not in html


def test_another_schools_teacher_gets_404_for_the_class_results(client_of, foreign_teacher, school_class, class_of_six):
    url = reverse("exams:class_results", args=[school_class.pk]) + f"?session={class_of_six.pk}"
    assert client_of(foreign_teacher).get(url).status_code == 404


def test_a_test_of_the_operators_catalog_shows_rates_but_no_question_choice_or_key(
    client_of, teacher, school_class, class_of_six
):
    """Proctors must not learn a certification test's questions or key (docs/design.md §3)."""
    from exams.models import Choice, Exam

    exam = Exam.objects.get(code="three-questions")
    Exam.objects.filter(pk=exam.pk).update(organization=None)
    content = client_of(teacher).get(reverse("exams:class_results", args=[school_class.pk])).content.decode()
    assert "識別力" in content
    for text in Choice.objects.filter(question__exam=exam).values_list("text", flat=True):
        assert text not in content
    assert "問0" not in content
    assert 'class="choice-bars"' not in content  # nor the picks, which would mark the key with ✓
    assert "choice-counts" not in content
