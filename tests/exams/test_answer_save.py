"""Saving answers: idempotent, ordered by the browser's seq, refused after the end (docs/design.md §3).

Through the service and through POST /exam/attempts/<id>/answers/ (JSON or form).
"""

from __future__ import annotations

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from exams import services
from exams.models import Attempt, AttemptQuestion, Choice
from proctoring.models import ProctoredSession
from proctoring.services import seat_take, session_start
from tests.conftest import connect

pytestmark = pytest.mark.django_db


@pytest.fixture
def attempt(proctored_session, examinee, teacher) -> Attempt:
    seat, _attempt = seat_take(session=proctored_session, examinee=examinee)
    connect(seat, "test")
    session_start(session=proctored_session, by=teacher)
    return Attempt.objects.get(session=proctored_session, examinee=examinee)


def row(attempt: Attempt, position: int = 0) -> AttemptQuestion:
    return AttemptQuestion.objects.get(attempt=attempt, position=position)


def answers(attempt: Attempt) -> list[tuple[int | None, int]]:
    return list(attempt.questions.order_by("position").values_list("answer", "save_seq"))


def post_json(client, attempt: Attempt, body) -> tuple[int, dict]:
    response = client.post(
        reverse("exams:answer_save", args=[attempt.pk]),
        data=json.dumps(body),
        content_type="application/json",
        headers={"Accept-Language": "en"},
    )
    return response.status_code, response.json()


# --- The service ---------------------------------------------------------------------------


def test_it_saves_an_answer(attempt):
    outcome = services.answer_save(attempt=attempt, position=0, choice=2, seq=1)
    assert outcome.applied
    assert outcome.position == 0
    saved = row(attempt)
    assert (saved.answer, saved.save_seq) == (2, 1)
    assert saved.answered_at is not None


def test_saving_the_same_answer_again_changes_nothing(attempt):
    services.answer_save(attempt=attempt, position=0, choice=2, seq=1)
    first = row(attempt)
    outcome = services.answer_save(attempt=attempt, position=0, choice=2, seq=1)
    assert not outcome.applied
    again = row(attempt)
    assert (again.answer, again.save_seq, again.answered_at) == (first.answer, first.save_seq, first.answered_at)


def test_an_older_save_arriving_late_does_not_overwrite_a_newer_one(attempt):
    services.answer_save(attempt=attempt, position=0, choice=3, seq=5)
    outcome = services.answer_save(attempt=attempt, position=0, choice=1, seq=4)
    assert not outcome.applied
    assert (row(attempt).answer, row(attempt).save_seq) == (3, 5)


def test_clearing_an_answer(attempt):
    services.answer_save(attempt=attempt, position=0, choice=3, seq=1)
    assert services.answer_save(attempt=attempt, position=0, choice=None, seq=2).applied
    assert (row(attempt).answer, row(attempt).save_seq) == (None, 2)


# --- Over HTTP ------------------------------------------------------------------------------


def test_it_saves_an_answer_sent_as_json(client_of, examinee, attempt):
    status, body = post_json(client_of(examinee), attempt, {"position": 1, "choice": 2, "seq": 1})
    assert status == 200
    assert body == {"saved": True, "applied": True, "position": 1, "seq": 1}
    assert (row(attempt, 1).answer, row(attempt, 1).save_seq) == (2, 1)


def test_it_saves_an_answer_sent_as_a_form(client_of, examinee, attempt):
    response = client_of(examinee).post(
        reverse("exams:answer_save", args=[attempt.pk]), {"position": "2", "choice": "0", "seq": "3"}
    )
    assert response.status_code == 200
    assert response.json()["saved"] is True
    assert (row(attempt, 2).answer, row(attempt, 2).save_seq) == (0, 3)


def test_the_same_save_twice_is_saved_once(client_of, examinee, attempt):
    client = client_of(examinee)
    assert post_json(client, attempt, {"position": 0, "choice": 1, "seq": 1})[1]["applied"] is True
    first = row(attempt)
    status, body = post_json(client, attempt, {"position": 0, "choice": 1, "seq": 1})
    assert status == 200
    assert body["saved"] is True
    assert body["applied"] is False
    assert row(attempt).answered_at == first.answered_at


def test_an_older_save_arriving_late_over_http_does_not_overwrite(client_of, examinee, attempt):
    client = client_of(examinee)
    post_json(client, attempt, {"position": 0, "choice": 3, "seq": 8})
    status, body = post_json(client, attempt, {"position": 0, "choice": 0, "seq": 7})
    # The browser may forget the stale save: the newer one is on the server already.
    assert status == 200
    assert body == {"saved": True, "applied": False, "position": 0, "seq": 7}
    assert (row(attempt).answer, row(attempt).save_seq) == (3, 8)


@pytest.mark.parametrize("cleared", [None, ""])
def test_clearing_an_answer_over_http(client_of, examinee, attempt, cleared):
    client = client_of(examinee)
    post_json(client, attempt, {"position": 0, "choice": 3, "seq": 1})
    if cleared is None:
        status, body = post_json(client, attempt, {"position": 0, "choice": None, "seq": 2})
    else:  # a form sends an empty field
        response = client.post(reverse("exams:answer_save", args=[attempt.pk]), {"position": 0, "choice": "", "seq": 2})
        status, body = response.status_code, response.json()
    assert status == 200
    assert body["applied"] is True
    assert (row(attempt).answer, row(attempt).save_seq) == (None, 2)


BAD_JSON_BODIES = {
    "position-missing": {"choice": 1, "seq": 1},
    "seq-missing": {"position": 0, "choice": 1},
    "choice-missing": {"position": 0, "seq": 1},  # absent is not "clear"
    "position-negative": {"position": -1, "choice": 1, "seq": 1},
    "position-beyond": {"position": 5, "choice": 1, "seq": 1},
    "choice-negative": {"position": 0, "choice": -1, "seq": 1},
    "choice-beyond": {"position": 0, "choice": 4, "seq": 1},
    "choice-a-string": {"position": 0, "choice": "1", "seq": 1},
    "choice-a-boolean": {"position": 0, "choice": True, "seq": 1},
    "choice-a-list": {"position": 0, "choice": [1], "seq": 1},
    "seq-zero": {"position": 0, "choice": 1, "seq": 0},
    "seq-negative": {"position": 0, "choice": 1, "seq": -3},
    "seq-too-large": {"position": 0, "choice": 1, "seq": 2**31},
    "seq-a-string": {"position": 0, "choice": 1, "seq": "2"},
    "not-an-object": [0, 1, 1],
}


@pytest.mark.parametrize("body", BAD_JSON_BODIES.values(), ids=BAD_JSON_BODIES.keys())
def test_bad_input_is_refused_and_nothing_is_saved(client_of, examinee, attempt, body):
    before = answers(attempt)
    status, reply = post_json(client_of(examinee), attempt, body)
    assert status == 400
    assert reply["saved"] is False
    assert answers(attempt) == before


@pytest.mark.parametrize(
    "data",
    [{"position": "x", "choice": "1", "seq": "1"}, {"position": "0", "choice": "a", "seq": "1"}, {"position": "0"}],
)
def test_bad_form_input_is_refused_and_nothing_is_saved(client_of, examinee, attempt, data):
    before = answers(attempt)
    response = client_of(examinee).post(reverse("exams:answer_save", args=[attempt.pk]), data)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert answers(attempt) == before


def test_a_body_that_is_not_json_is_refused(client_of, examinee, attempt):
    response = client_of(examinee).post(
        reverse("exams:answer_save", args=[attempt.pk]), data="{position: 0", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"


def test_saving_after_the_deadline_finishes_the_attempt_once(client_of, examinee, attempt):
    correct = {c.question_id: c.pk for c in Choice.objects.filter(is_correct=True)}
    first = row(attempt)
    services.answer_save(
        attempt=attempt, position=0, choice=first.choice_order.index(correct[first.question_id]), seq=1
    )
    deadline = timezone.now() - datetime.timedelta(seconds=1)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=deadline)

    client = client_of(examinee)
    status, body = post_json(client, attempt, {"position": 1, "choice": 0, "seq": 2})
    assert status == 410
    assert body["error"] == "time_up"
    assert body["result_url"].startswith(f"/exam/attempts/{attempt.pk}/result")
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.FINISHED
    assert attempt.finish_reason == Attempt.FinishReason.DEADLINE
    assert (attempt.score, attempt.finished_at) == (1, deadline)
    assert row(attempt, 1).answer is None  # too late: not saved

    status, body = post_json(client, attempt, {"position": 2, "choice": 0, "seq": 3})
    assert status == 410
    assert body["error"] == "finished"
    again = Attempt.objects.get(pk=attempt.pk)
    assert (again.score, again.finished_at, again.finish_reason) == (1, deadline, Attempt.FinishReason.DEADLINE)
    assert Attempt.objects.filter(examinee=examinee, status=Attempt.Status.FINISHED).count() == 1


def test_saving_while_paused_is_refused_for_now(client_of, examinee, attempt):
    services.attempt_pause(attempt=attempt)
    status, body = post_json(client_of(examinee), attempt, {"position": 0, "choice": 1, "seq": 1})
    assert status == 409
    assert body["error"] == "paused"
    assert row(attempt).answer is None
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.PAUSED


def test_saving_after_submit_is_refused_with_the_result(client_of, examinee, attempt):
    client = client_of(examinee)
    client.post(reverse("exams:submit", args=[attempt.pk]))
    status, body = post_json(client, attempt, {"position": 0, "choice": 1, "seq": 1})
    assert status == 410
    assert body["error"] == "finished"
    assert body["result_url"].startswith(f"/exam/attempts/{attempt.pk}/result")
    assert row(attempt).answer is None


def test_saving_after_the_proctor_ended_the_session_is_refused(client_of, examinee, teacher, attempt):
    from proctoring.services import session_end

    session_end(session=ProctoredSession.objects.get(pk=attempt.session_id), by=teacher)
    status, body = post_json(client_of(examinee), attempt, {"position": 0, "choice": 1, "seq": 1})
    assert status == 410
    assert body["error"] == "finished"


def test_answer_save_needs_post(client_of, examinee, attempt):
    assert client_of(examinee).get(reverse("exams:answer_save", args=[attempt.pk])).status_code == 405


def test_an_examinee_taken_out_of_the_class_can_no_longer_answer(client_of, attempt, examinee):
    from classrooms.models import Enrollment
    from classrooms.schoolyear import today

    Enrollment.objects.filter(examinee=examinee).update(ends_on=today())
    status = client_of(examinee).post(
        reverse("exams:answer_save", args=[attempt.pk]),
        data=json.dumps({"position": 0, "choice": 1, "seq": 1}),
        content_type="application/json",
    )
    assert status.status_code == 404
    assert row(attempt).answer is None
