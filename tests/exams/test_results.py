"""The examinee's own result page and their test history (exams/views/results.py)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from classrooms.models import User
from exams import services
from exams.models import Attempt, Choice, Question
from proctoring.models import ProctoredSession
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    """These tests read the page's words; the English source strings are the stable ones."""
    settings.LANGUAGE_CODE = "en"


def finished_attempt(
    session: ProctoredSession,
    examinee: User,
    *,
    score: int,
    total: int = 10,
    reason: str = Attempt.FinishReason.SUBMITTED,
    finished_at: datetime.datetime | None = None,
) -> Attempt:
    """A scored attempt written straight to the database, as attempt_finish leaves it."""
    finished_at = finished_at or timezone.now()
    return Attempt.objects.create(
        session=session,
        examinee=examinee,
        exam=session.exam,
        started_at=finished_at - datetime.timedelta(minutes=5),
        deadline=finished_at + datetime.timedelta(minutes=5),
        status=Attempt.Status.FINISHED,
        score=score,
        total=total,
        passed=session.exam.passes(score, total),
        finish_reason=reason,
        finished_at=finished_at,
    )


def another_session(proctored_session: ProctoredSession) -> ProctoredSession:
    return ProctoredSession.objects.create(
        school_class=proctored_session.school_class, exam=proctored_session.exam, teacher=proctored_session.teacher
    )


def result_url(attempt: Attempt) -> str:
    return reverse("exams:result", args=[attempt.pk])


# --- One result --------------------------------------------------------------------------------------


def test_it_shows_score_total_percent_and_that_the_examinee_passed(client_of, examinee, proctored_session):
    attempt = finished_attempt(proctored_session, examinee, score=8)
    response = client_of(examinee).get(result_url(attempt))
    assert response.status_code == 200
    page = response.content.decode()
    assert "8 out of 10" in page
    assert "80%" in page
    assert "You passed" in page
    assert "did not pass" not in page


def test_it_says_kindly_that_the_examinee_did_not_pass_when_below_the_pass_mark(client_of, examinee, proctored_session):
    attempt = finished_attempt(proctored_session, examinee, score=5)
    page = client_of(examinee).get(result_url(attempt)).content.decode()
    assert "You did not pass this time." in page
    assert "you can try again" in page
    assert "You passed" not in page


def test_it_rounds_the_percent_down_like_the_pass_mark(client_of, examinee, proctored_session):
    attempt = finished_attempt(proctored_session, examinee, score=2, total=3)
    page = client_of(examinee).get(result_url(attempt)).content.decode()
    assert "66%" in page
    assert "67%" not in page


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        (Attempt.FinishReason.SUBMITTED, "You handed in your answers yourself."),
        (Attempt.FinishReason.DEADLINE, "The time ran out"),
        (Attempt.FinishReason.SESSION_ENDED, "Your teacher ended the test"),
    ],
)
def test_it_says_how_the_test_ended(client_of, examinee, proctored_session, reason, words):
    attempt = finished_attempt(proctored_session, examinee, score=7, reason=reason)
    page = client_of(examinee).get(result_url(attempt)).content.decode()
    assert words in page


def test_it_shows_no_question_and_no_choice(client_of, examinee, proctored_session):
    Question.objects.filter(exam=proctored_session.exam).update(passage="むかしむかし、山の上に")
    attempt, _created = services.attempt_start(session=proctored_session, examinee=examinee)
    services.answer_save(attempt=attempt, position=0, choice=0, seq=1)
    services.attempt_finish(attempt=attempt, reason=Attempt.FinishReason.SUBMITTED)
    response = client_of(examinee).get(result_url(attempt))
    assert response.status_code == 200
    page = response.content.decode()
    assert "むかしむかし" not in page
    for prompt in Question.objects.filter(exam=proctored_session.exam).values_list("prompt", flat=True):
        assert prompt not in page
    for text in Choice.objects.filter(question__exam=proctored_session.exam).values_list("text", flat=True):
        assert text not in page


def test_it_sends_an_open_attempt_back_to_the_test(client_of, examinee, proctored_session):
    attempt, _created = services.attempt_start(session=proctored_session, examinee=examinee)
    response = client_of(examinee).get(result_url(attempt))
    assert response.status_code == 302
    assert response.url == f"/exam/attempts/{attempt.pk}/"


@pytest.mark.parametrize(
    "outsider",
    ["examinee_of_other_class", "foreign_examinee", "teacher", "other_teacher", "org_admin", "foreign_org_admin"],
)
def test_not_found_when_not_the_examinee_of_the_attempt(client_of, request, examinee, proctored_session, outsider):
    attempt = finished_attempt(proctored_session, examinee, score=8)
    response = client_of(request.getfixturevalue(outsider)).get(result_url(attempt))
    assert response.status_code == 404


def test_not_found_when_the_attempt_does_not_exist(client_of, examinee, proctored_session):
    attempt = finished_attempt(proctored_session, examinee, score=8)
    assert client_of(examinee).get(reverse("exams:result", args=[attempt.pk + 1])).status_code == 404


def test_anonymous_is_sent_to_sign_in_from_a_result(client, examinee, proctored_session):
    attempt = finished_attempt(proctored_session, examinee, score=8)
    response = client.get(result_url(attempt))
    assert response.status_code == 302
    assert response.url.startswith(reverse("classrooms:login"))


# --- History -----------------------------------------------------------------------------------------


def test_it_lists_the_examinees_finished_attempts_newest_first(client_of, examinee, proctored_session):
    now = timezone.now()
    finished_attempt(proctored_session, examinee, score=3, finished_at=now - datetime.timedelta(days=2))
    newer = another_session(proctored_session)
    finished_attempt(newer, examinee, score=9, finished_at=now - datetime.timedelta(days=1))
    results = list(client_of(examinee).get(reverse("exams:history")).context["results"])
    assert [result.score for result in results] == [9, 3]
    assert [result.percent for result in results] == [90, 30]


def test_history_links_each_result(client_of, examinee, proctored_session):
    attempt = finished_attempt(proctored_session, examinee, score=9)
    page = client_of(examinee).get(reverse("exams:history")).content.decode()
    assert f'href="{result_url(attempt)}"' in page


def test_history_leaves_out_an_open_attempt(client_of, examinee, proctored_session):
    services.attempt_start(session=proctored_session, examinee=examinee)
    response = client_of(examinee).get(reverse("exams:history"))
    assert list(response.context["results"]) == []
    assert "You have not finished a test yet." in response.content.decode()


def test_history_leaves_out_other_examinees_results(client_of, examinee, organization, proctored_session):
    classmate = make_user("sakura-classmate", User.Role.EXAMINEE, organization, name="高橋 三郎")
    finished_attempt(proctored_session, classmate, score=10)
    mine = finished_attempt(proctored_session, examinee, score=4)
    response = client_of(examinee).get(reverse("exams:history"))
    assert [result.pk for result in response.context["results"]] == [mine.pk]


@pytest.mark.parametrize("outsider", ["teacher", "org_admin", "foreign_teacher"])
def test_history_is_not_found_for_anyone_but_examinees(client_of, request, outsider):
    assert client_of(request.getfixturevalue(outsider)).get(reverse("exams:history")).status_code == 404


def test_anonymous_is_sent_to_sign_in_from_the_history(client):
    response = client.get(reverse("exams:history"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("classrooms:login"))
