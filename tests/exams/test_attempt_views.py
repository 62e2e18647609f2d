"""Taking a test over HTTP: entering, the waiting room, the attempt page, question fragments, submit.

Access: only the attempt's examinee gets anything; everyone else 404, anonymous to sign in.
Confidentiality (docs/design.md §3): no response shows a choice id or which choice is correct.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from classrooms.models import User
from exams.models import Attempt, AttemptQuestion, Choice, Exam, Question
from proctoring.models import ProctoredSession, Seat
from proctoring.services import seat_take, session_end, session_start
from tests.conftest import connect, enroll, make_user

pytestmark = pytest.mark.django_db


def start_attempt(session: ProctoredSession, examinee: User, teacher: User) -> Attempt:
    """The examinee takes a seat with a live socket, and the teacher starts the test."""
    seat, _attempt = seat_take(session=session, examinee=examinee)
    connect(seat, f"test-{examinee.pk}")
    if session.status == ProctoredSession.Status.OPEN:
        session_start(session=session, by=teacher)
    return Attempt.objects.get(session=session, examinee=examinee)


@pytest.fixture
def classmate(organization, school_class) -> User:
    user = make_user("sakura-pupil3", User.Role.EXAMINEE, organization, name="佐々木 三郎")
    enroll(school_class, user, number=2)
    return user


@pytest.fixture
def attempt(proctored_session, examinee, teacher) -> Attempt:
    return start_attempt(proctored_session, examinee, teacher)


def attempt_urls(attempt: Attempt):
    """(method, url) of every attempt view."""
    yield "get", reverse("exams:attempt", args=[attempt.pk])
    for position in range(attempt.total):
        yield "get", reverse("exams:question", args=[attempt.pk, position])
    yield "post", reverse("exams:answer_save", args=[attempt.pk])
    yield "post", reverse("exams:submit", args=[attempt.pk])


def assert_is_result_url(url: str, attempt: Attempt) -> None:
    assert url.startswith(f"/exam/attempts/{attempt.pk}/result")


# --- Access ----------------------------------------------------------------------------------


def test_the_attempts_examinee_gets_every_page(client_of, examinee, attempt):
    client = client_of(examinee)
    for method, url in attempt_urls(attempt):
        if method == "get":
            assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "outsider", ["classmate", "examinee_of_other_class", "teacher", "org_admin", "foreign_examinee", "operator"]
)
def test_anyone_else_gets_404_and_changes_nothing(request, client_of, attempt, outsider):
    client = client_of(request.getfixturevalue(outsider))
    for method, url in attempt_urls(attempt):
        data = {"position": 0, "choice": 1, "seq": 1} if "answers" in url else {}
        assert getattr(client, method)(url, data).status_code == 404, url
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.RUNNING
    assert not attempt.questions.filter(answer__isnull=False).exists()


def test_a_classmate_with_an_attempt_of_their_own_still_gets_404(
    client_of, proctored_session, teacher, attempt, classmate
):
    start_attempt(proctored_session, classmate, teacher)
    assert client_of(classmate).get(reverse("exams:attempt", args=[attempt.pk])).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, attempt):
    for method, url in attempt_urls(attempt):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("classrooms:login")), url


@pytest.mark.parametrize("outsider", ["examinee_of_other_class", "teacher", "org_admin", "foreign_examinee"])
def test_outsiders_cannot_enter_or_wait_in_a_session(request, client_of, proctored_session, outsider):
    client = client_of(request.getfixturevalue(outsider))
    assert client.post(reverse("exams:session_enter", args=[proctored_session.pk])).status_code == 404
    assert client.get(reverse("exams:waiting_room", args=[proctored_session.pk])).status_code == 404
    assert not Seat.objects.exists()


def test_anonymous_is_sent_to_sign_in_from_the_waiting_room(client, proctored_session):
    for response in (
        client.post(reverse("exams:session_enter", args=[proctored_session.pk])),
        client.get(reverse("exams:waiting_room", args=[proctored_session.pk])),
    ):
        assert response.status_code == 302
        assert response.url.startswith(reverse("classrooms:login"))


def test_session_enter_needs_post(client_of, examinee, proctored_session):
    response = client_of(examinee).get(reverse("exams:session_enter", args=[proctored_session.pk]))
    assert response.status_code == 405
    assert not Seat.objects.exists()


# --- Entering and waiting -------------------------------------------------------------------------


def test_entering_an_open_session_takes_a_seat_and_leads_to_the_waiting_room(client_of, examinee, proctored_session):
    response = client_of(examinee).post(reverse("exams:session_enter", args=[proctored_session.pk]))
    assert response.status_code == 302
    assert response.url == reverse("exams:waiting_room", args=[proctored_session.pk])
    assert Seat.objects.filter(session=proctored_session, examinee=examinee).exists()
    assert not Attempt.objects.exists()


def test_entering_a_running_session_starts_the_attempt_at_once(
    client_of, examinee, classmate, teacher, proctored_session
):
    start_attempt(proctored_session, classmate, teacher)  # the test started without us
    response = client_of(examinee).post(reverse("exams:session_enter", args=[proctored_session.pk]))
    attempt = Attempt.objects.get(session=proctored_session, examinee=examinee)
    assert response.status_code == 302
    assert response.url == reverse("exams:attempt", args=[attempt.pk])
    assert attempt.status == Attempt.Status.RUNNING
    assert attempt.total == proctored_session.exam.questions_per_attempt


def test_entering_an_ended_session_says_so_on_the_home_page(client_of, examinee, teacher, proctored_session):
    session_end(session=proctored_session, by=teacher)
    client = client_of(examinee)
    response = client.post(
        reverse("exams:session_enter", args=[proctored_session.pk]), follow=True, headers={"Accept-Language": "en"}
    )
    assert response.redirect_chain[-1][0] == reverse("classrooms:examinee_home")
    assert [str(m) for m in response.context["messages"]] == ["This test has ended."]
    assert not Seat.objects.exists()


def test_entering_a_second_session_while_in_another_is_refused(
    client_of, examinee, teacher, other_teacher, proctored_session, organization, exam
):
    from tests.conftest import make_class

    second_class = make_class(organization, other_teacher, "放課後クラス")
    enroll(second_class, examinee)
    second = ProctoredSession.objects.create(school_class=second_class, exam=exam, teacher=other_teacher)
    client = client_of(examinee)
    client.post(reverse("exams:session_enter", args=[proctored_session.pk]))
    response = client.post(
        reverse("exams:session_enter", args=[second.pk]), follow=True, headers={"Accept-Language": "en"}
    )
    assert response.redirect_chain[-1][0] == reverse("classrooms:examinee_home")
    assert "another test" in " ".join(str(m) for m in response.context["messages"])
    assert not Seat.objects.filter(session=second).exists()


def test_the_waiting_room_connects_to_the_sessions_socket(client_of, examinee, proctored_session):
    response = client_of(examinee).get(reverse("exams:waiting_room", args=[proctored_session.pk]))
    assert response.status_code == 200
    assert response.context["config"]["socket"] == f"/ws/exam/{proctored_session.pk}/"
    assert 'id="exam-config"' in response.content.decode()
    assert "no-cache" in response["Cache-Control"]


def test_the_waiting_room_leads_to_the_attempt_once_there_is_one(client_of, examinee, attempt, proctored_session):
    response = client_of(examinee).get(reverse("exams:waiting_room", args=[proctored_session.pk]))
    assert response.status_code == 302
    assert response.url == reverse("exams:attempt", args=[attempt.pk])


def test_the_waiting_room_of_an_ended_session_leads_home(client_of, examinee, teacher, proctored_session):
    session_end(session=proctored_session, by=teacher)
    response = client_of(examinee).get(reverse("exams:waiting_room", args=[proctored_session.pk]))
    assert response.status_code == 302
    assert response.url == reverse("classrooms:examinee_home")


# --- The attempt page ---------------------------------------------------------------------------


def test_the_attempt_page_has_the_clock_of_the_server_and_every_question_number(client_of, examinee, attempt):
    AttemptQuestion.objects.filter(attempt=attempt, position=0).update(answer=2, save_seq=7)
    response = client_of(examinee).get(reverse("exams:attempt", args=[attempt.pk]))
    assert response.status_code == 200
    config = response.context["config"]
    assert 0 < config["remainingMs"] <= attempt.exam.time_limit_minutes * 60 * 1000
    assert config["session"] == attempt.session_id
    assert config["paused"] is False
    assert config["maxSeq"] == 7  # a second device continues above the first one's numbers
    assert [q["number"] for q in response.context["questions"]] == list(range(1, attempt.total + 1))
    assert [q["answered"] for q in response.context["questions"]] == [True] + [False] * (attempt.total - 1)
    assert response.context["start"] == 1  # the first question without an answer
    assert "no-cache" in response["Cache-Control"]


def test_the_attempt_page_can_open_at_a_given_question(client_of, examinee, attempt):
    client = client_of(examinee)
    assert client.get(reverse("exams:attempt", args=[attempt.pk]), {"q": 3}).context["start"] == 2
    assert client.get(reverse("exams:attempt", args=[attempt.pk]), {"q": 99}).context["start"] == 0
    assert client.get(reverse("exams:attempt", args=[attempt.pk]), {"q": "x"}).context["start"] == 0


def test_a_paused_attempt_page_shows_the_overlay_and_a_standing_clock(client_of, examinee, attempt):
    Attempt.objects.filter(pk=attempt.pk).update(status=Attempt.Status.PAUSED, paused_at=timezone.now())
    response = client_of(examinee).get(reverse("exams:attempt", args=[attempt.pk]))
    assert response.context["config"]["paused"] is True
    assert re.search(r'id="paused-overlay"[^>]*>', response.content.decode()).group(0).count("hidden") == 0


def test_the_attempt_page_of_a_finished_attempt_leads_to_the_result(client_of, examinee, attempt):
    client = client_of(examinee)
    client.post(reverse("exams:submit", args=[attempt.pk]))
    response = client.get(reverse("exams:attempt", args=[attempt.pk]))
    assert response.status_code == 302
    assert_is_result_url(response.url, attempt)


def test_the_attempt_page_past_the_deadline_finishes_the_attempt(client_of, examinee, attempt):
    deadline = timezone.now() - datetime.timedelta(seconds=5)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=deadline)
    response = client_of(examinee).get(reverse("exams:attempt", args=[attempt.pk]))
    assert response.status_code == 302
    assert_is_result_url(response.url, attempt)
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.FINISHED
    assert attempt.finish_reason == Attempt.FinishReason.DEADLINE
    assert attempt.finished_at == deadline
    assert attempt.score == 0


# --- Question fragments -----------------------------------------------------------------------------


def radio_values(html: str) -> list[str]:
    return re.findall(r'<input type="radio" name="choice" value="([^"]*)"', html)


def test_a_question_shows_its_choices_in_the_attempts_order_by_index(client_of, examinee, attempt):
    client = client_of(examinee)
    for row in attempt.questions.select_related("question"):
        html = client.get(reverse("exams:question", args=[attempt.pk, row.position])).content.decode()
        texts = [Choice.objects.get(pk=pk).text for pk in row.choice_order]
        assert radio_values(html) == [str(i) for i in range(len(row.choice_order))]
        positions = [html.index(text) for text in texts]
        assert positions == sorted(positions)
        assert row.question.prompt in html
        assert "checked" not in html


def test_a_saved_answer_is_selected(client_of, examinee, attempt):
    AttemptQuestion.objects.filter(attempt=attempt, position=1).update(answer=3, save_seq=1)
    html = client_of(examinee).get(reverse("exams:question", args=[attempt.pk, 1])).content.decode()
    assert re.findall(r'value="(\d)" checked', html) == ["3"]


def test_a_question_beyond_the_attempt_is_404(client_of, examinee, attempt):
    assert client_of(examinee).get(reverse("exams:question", args=[attempt.pk, attempt.total])).status_code == 404


def test_a_paused_attempt_shows_no_question(client_of, examinee, attempt):
    Attempt.objects.filter(pk=attempt.pk).update(status=Attempt.Status.PAUSED, paused_at=timezone.now())
    row = attempt.questions.select_related("question").get(position=0)
    response = client_of(examinee).get(reverse("exams:question", args=[attempt.pk, 0]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "data-paused-position" in html
    assert row.question.prompt not in html
    assert not radio_values(html)


def test_a_question_of_a_finished_attempt_leads_to_the_result(client_of, examinee, attempt):
    client = client_of(examinee)
    client.post(reverse("exams:submit", args=[attempt.pk]))
    url = reverse("exams:question", args=[attempt.pk, 0])
    response = client.get(url)
    assert response.status_code == 302
    assert_is_result_url(response.url, attempt)
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert_is_result_url(response["HX-Redirect"], attempt)


# --- Submit -----------------------------------------------------------------------------------


def test_submit_finishes_and_scores_once(client_of, examinee, attempt):
    client = client_of(examinee)
    correct = {c.question_id: c.pk for c in Choice.objects.filter(is_correct=True)}
    row = attempt.questions.first()
    row.answer, row.save_seq = row.choice_order.index(correct[row.question_id]), 1
    row.save()
    response = client.post(reverse("exams:submit", args=[attempt.pk]))
    assert response.status_code == 302
    assert_is_result_url(response.url, attempt)
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.FINISHED
    assert attempt.finish_reason == Attempt.FinishReason.SUBMITTED
    assert attempt.score == 1
    first = (attempt.finished_at, attempt.score, attempt.passed)

    AttemptQuestion.objects.filter(attempt=attempt).update(answer=None)  # nothing may rescore it
    again = client.post(reverse("exams:submit", args=[attempt.pk]))
    assert_is_result_url(again.url, attempt)
    attempt.refresh_from_db()
    assert (attempt.finished_at, attempt.score, attempt.passed) == first
    assert attempt.finish_reason == Attempt.FinishReason.SUBMITTED


def test_submit_after_the_deadline_counts_as_the_deadline(client_of, examinee, attempt):
    deadline = timezone.now() - datetime.timedelta(minutes=1)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=deadline)
    client_of(examinee).post(reverse("exams:submit", args=[attempt.pk]))
    attempt.refresh_from_db()
    assert attempt.finish_reason == Attempt.FinishReason.DEADLINE
    assert attempt.finished_at == deadline


def test_submit_needs_post(client_of, examinee, attempt):
    assert client_of(examinee).get(reverse("exams:submit", args=[attempt.pk])).status_code == 405
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.RUNNING


# --- Confidentiality ----------------------------------------------------------------------------


@pytest.fixture
def secret_exam(db) -> Exam:
    """Choice ids far from any small number, so that one showing up anywhere is recognizable."""
    exam = Exam.objects.create(
        code="secret", title="ひみつの読解", time_limit_minutes=20, questions_per_attempt=4, pass_mark_percent=50
    )
    for number in range(4):
        question = Question.objects.create(
            exam=exam, key=f"s{number}", passage=f"本文{number}", prompt=f"しつもん{number}", position=number
        )
        for index in range(4):
            Choice.objects.create(
                pk=987_600 + number * 10 + index,
                question=question,
                text=f"こたえ{number}-{index}",
                is_correct=index == 2,
                position=index,
            )
    return exam


def exam_responses(client, attempt: Attempt, language: str) -> dict[str, str]:
    urls = [reverse("exams:attempt", args=[attempt.pk])]
    urls += [reverse("exams:question", args=[attempt.pk, p]) for p in range(attempt.total)]
    return {url: client.get(url, headers={"Accept-Language": language}).content.decode() for url in urls}


def mask_per_request_values(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value="*"', html)
    html = re.sub(r'"X-CSRFToken": "[^"]+"', '"X-CSRFToken": "*"', html)
    html = re.sub(r'"csrfToken": "[^"]+"', '"csrfToken": "*"', html)
    return re.sub(r'"remainingMs": \d+', '"remainingMs": *', html)


@pytest.mark.parametrize("language", ["en", "ja"])
def test_no_page_shows_a_choice_id_or_which_choice_is_correct(
    client_of, examinee, teacher, school_class, secret_exam, language
):
    session = ProctoredSession.objects.create(school_class=school_class, exam=secret_exam, teacher=teacher)
    attempt = start_attempt(session, examinee, teacher)
    AttemptQuestion.objects.filter(attempt=attempt, position=0).update(answer=1, save_seq=1)
    client = client_of(examinee)
    before = exam_responses(client, attempt, language)
    choice_ids = [str(pk) for pk in Choice.objects.filter(question__exam=secret_exam).values_list("pk", flat=True)]
    for url, html in before.items():
        assert not [pk for pk in choice_ids if pk in html], url
        assert "correct" not in html.lower(), url
        assert "正解" not in html, url
        assert "正答" not in html, url
    for row in attempt.questions.all():
        assert f"しつもん{row.question.position}" in before[reverse("exams:question", args=[attempt.pk, row.position])]

    # Another choice becomes the correct one: not one byte of any page may change.
    for question in Question.objects.filter(exam=secret_exam):
        question.choices.update(is_correct=False)
        question.choices.filter(position=0).update(is_correct=True)
    after = exam_responses(client, attempt, language)
    assert {url: mask_per_request_values(html) for url, html in after.items()} == {
        url: mask_per_request_values(html) for url, html in before.items()
    }
