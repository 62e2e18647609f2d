"""An attempt is finished and scored exactly once, whatever races (docs/design.md §3).

A submit, the deadline and the proctor's `end` may arrive at the same moment,
and answer saves may arrive in any order. The PostgreSQL tests fire the calls
from threads, each with its own connection, released together by a barrier;
the SQLite tests run the same scenarios one after the other, so the default
suite covers the logic too. The last test restarts the "server" between
saving answers and reading them back.
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import random
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config.errors import ServiceError
from exams import services as exam_services
from exams.models import Attempt
from proctoring import realtime
from proctoring import services as proctoring_services
from proctoring.models import ProctoredSession
from tests.threads import at_once

PROJECT_DIR = Path(settings.BASE_DIR)
SUBMIT, DEADLINE, SESSION_END = "submit", "deadline", "session_end"


@pytest.fixture
def published(monkeypatch) -> list[tuple[str, dict]]:
    """What would go out on the channel layer, recorded on commit like `realtime.publish` does."""
    sent: list[tuple[str, dict]] = []
    lock = threading.Lock()

    def record(group: str, event: dict) -> None:
        def append() -> None:
            with lock:
                sent.append((group, event))

        transaction.on_commit(append)

    monkeypatch.setattr(realtime, "publish", record)
    return sent


def running_attempt(session: ProctoredSession, examinee, *, answers: dict[int, int]) -> Attempt:
    """Start the session and the examinee's attempt, and answer some questions (position → choice)."""
    ProctoredSession.objects.filter(pk=session.pk).update(status=ProctoredSession.Status.RUNNING)
    session.refresh_from_db()
    with transaction.atomic():
        attempt, _created = exam_services.attempt_start(session=session, examinee=examinee)
    for seq, (position, choice) in enumerate(answers.items(), start=1):
        exam_services.answer_save(attempt=attempt, position=position, choice=choice, seq=seq)
    return attempt


def correct_index(attempt: Attempt, position: int) -> int:
    """Where the correct choice of the question at `position` sits in this attempt's order."""
    row = attempt.questions.select_related("question").get(position=position)
    correct = row.question.choices.get(is_correct=True).pk
    return row.choice_order.index(correct)


def answered_attempt(session: ProctoredSession, examinee) -> tuple[Attempt, int]:
    """An attempt with two right answers and one wrong one, past its deadline. Returns (attempt, expected score)."""
    ProctoredSession.objects.filter(pk=session.pk).update(status=ProctoredSession.Status.RUNNING)
    with transaction.atomic():
        attempt, _created = exam_services.attempt_start(session=session, examinee=examinee)
    right_0, right_1, right_2 = (correct_index(attempt, position) for position in range(3))
    answers = {0: right_0, 1: right_1, 2: (right_2 + 1) % 4}
    for seq, (position, choice) in enumerate(answers.items(), start=1):
        exam_services.answer_save(attempt=attempt, position=position, choice=choice, seq=seq)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - datetime.timedelta(seconds=1))
    return Attempt.objects.get(pk=attempt.pk), 2


def finishing_calls(attempt: Attempt, session: ProctoredSession, teacher) -> dict[str, Callable[[], object]]:
    return {
        SUBMIT: lambda: exam_services.attempt_finish(attempt=attempt, reason=Attempt.FinishReason.SUBMITTED),
        DEADLINE: lambda: exam_services.attempt_finish_if_due(attempt=attempt),
        SESSION_END: lambda: proctoring_services.session_end(session=session, by=teacher),
    }


WINNER_REASON = {
    SUBMIT: Attempt.FinishReason.SUBMITTED,
    DEADLINE: Attempt.FinishReason.DEADLINE,
    SESSION_END: Attempt.FinishReason.SESSION_ENDED,
}


def assert_finished_once(attempt: Attempt, results: dict[str, object], published, expected_score: int) -> None:
    """One winner, one score, the winner's reason, and one `ended` told to the examinee's own group."""
    attempt.refresh_from_db()
    finished_by_call = [name for name in (SUBMIT, DEADLINE) if results[name] is True]
    assert all(results[name] in (True, False) for name in (SUBMIT, DEADLINE)), results
    assert len(finished_by_call) <= 1, f"finished twice: {finished_by_call}"
    winner = finished_by_call[0] if finished_by_call else SESSION_END
    assert attempt.status == Attempt.Status.FINISHED
    assert attempt.finish_reason == WINNER_REASON[winner]
    assert attempt.score == expected_score
    assert attempt.passed is attempt.exam.passes(expected_score, attempt.total)
    assert attempt.finished_at is not None
    own_group = attempt.session.examinee_group(attempt.examinee_id)
    ended = [event for group, event in published if group == own_group and event["frame"]["type"] == "ended"]
    assert [event["frame"]["reason"] for event in ended] == [WINNER_REASON[winner]]


def run_concurrently(calls: dict[str, Callable[[], object]]) -> tuple[dict[str, object], dict[str, BaseException]]:
    """Run every call at once, each with its own connection (tests/threads.py)."""
    return at_once(calls, timeout=30)


# --- On PostgreSQL: real concurrency --------------------------------------------------------

ROUNDS = 10  # a race may go either way: each round is a new session and attempt


def new_session(school_class, exam, teacher) -> ProctoredSession:
    return ProctoredSession.objects.create(school_class=school_class, exam=exam, teacher=teacher)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_submit_racing_the_deadline_finishes_the_attempt_once(school_class, exam, teacher, examinee, published):
    for _round in range(ROUNDS):
        session = new_session(school_class, exam, teacher)
        attempt, expected_score = answered_attempt(session, examinee)
        published.clear()
        calls = finishing_calls(attempt, session, teacher)

        results, errors = run_concurrently({name: calls[name] for name in (SUBMIT, DEADLINE)})

        assert errors == {}, f"a racing call failed: {errors!r}"
        assert sorted(results.values()) == [False, True], "exactly one call finishes the attempt"
        winner = SUBMIT if results[SUBMIT] else DEADLINE
        assert_finished_once(attempt, results | {SESSION_END: None}, published, expected_score)
        assert attempt.finish_reason == WINNER_REASON[winner]
        proctoring_services.session_end(session=session, by=teacher)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_submit_deadline_and_session_end_racing_finish_the_attempt_once(
    school_class, exam, teacher, examinee, published
):
    """Every path locks the session row before the attempt's: with the attempt first (as submit and the
    deadline once did, to number their broadcast), PostgreSQL aborts one of them with a deadlock.
    """
    for _round in range(ROUNDS):
        session = new_session(school_class, exam, teacher)
        attempt, expected_score = answered_attempt(session, examinee)
        published.clear()

        results, errors = run_concurrently(finishing_calls(attempt, session, teacher))

        assert errors == {}, f"a racing call failed: {errors!r}"
        assert_finished_once(attempt, results, published, expected_score)
        session.refresh_from_db()
        assert session.status == ProctoredSession.Status.ENDED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_answer_racing_the_session_end_is_either_scored_or_refused(school_class, exam, teacher, examinee):
    for _round in range(ROUNDS):
        session = new_session(school_class, exam, teacher)
        attempt = running_attempt(session, examinee, answers={})
        right = correct_index(attempt, 0)
        calls = {
            "answer": lambda attempt=attempt, right=right: exam_services.answer_save(
                attempt=attempt, position=0, choice=right, seq=1
            ),
            SESSION_END: lambda session=session: proctoring_services.session_end(session=session, by=teacher),
        }

        results, errors = run_concurrently(calls)

        refused = errors.pop("answer", None)
        assert errors == {}, f"the session end failed: {errors!r}"
        attempt.refresh_from_db()
        assert attempt.status == Attempt.Status.FINISHED
        if refused is None:
            assert results["answer"].applied
            assert attempt.score == 1, "an answer saved before the end is scored"
        else:
            assert isinstance(refused, ServiceError), f"the save failed: {refused!r}"
            assert refused.code == "finished"
            assert attempt.score == 0
            assert attempt.questions.get(position=0).answer is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_answer_saves_keep_the_one_with_the_highest_seq(proctored_session, examinee):
    attempt = running_attempt(proctored_session, examinee, answers={})
    seqs = list(range(1, 21))
    random.shuffle(seqs)  # the order the threads start in; the barrier releases them together
    calls = {
        f"seq-{seq}": (lambda seq=seq: exam_services.answer_save(attempt=attempt, position=0, choice=seq % 4, seq=seq))
        for seq in seqs
    }

    results, errors = run_concurrently(calls)

    assert errors == {}
    assert results["seq-20"].applied, "the newest save is never stale"
    row = attempt.questions.get(position=0)
    assert (row.save_seq, row.answer) == (20, 20 % 4)


# --- On SQLite (the default suite): the same scenarios, one call after the other --------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("order", list(itertools.permutations([SUBMIT, DEADLINE, SESSION_END])))
def test_the_first_of_submit_deadline_and_session_end_finishes_the_attempt(
    order, proctored_session, examinee, teacher, published
):
    attempt, expected_score = answered_attempt(proctored_session, examinee)
    published.clear()
    calls = finishing_calls(attempt, proctored_session, teacher)

    results = {name: calls[name]() for name in order}

    assert_finished_once(attempt, results, published, expected_score)
    assert ProctoredSession.objects.get(pk=proctored_session.pk).status == ProctoredSession.Status.ENDED
    first = order[0]
    assert attempt.finish_reason == WINNER_REASON[first]
    if first != SESSION_END:
        assert results[first] is True


@pytest.mark.django_db
def test_a_deadline_finish_is_dated_at_the_deadline(proctored_session, examinee):
    attempt, _score = answered_attempt(proctored_session, examinee)

    assert exam_services.attempt_finish_if_due(attempt=attempt, now=attempt.deadline + datetime.timedelta(minutes=5))

    attempt.refresh_from_db()
    assert attempt.finished_at == attempt.deadline


@pytest.mark.django_db
def test_answers_are_not_saved_after_the_attempt_finished(proctored_session, examinee):
    attempt = running_attempt(proctored_session, examinee, answers={0: 1})
    exam_services.attempt_finish(attempt=attempt, reason=Attempt.FinishReason.SUBMITTED)
    score = Attempt.objects.get(pk=attempt.pk).score

    with pytest.raises(ServiceError) as refused:
        exam_services.answer_save(attempt=attempt, position=1, choice=0, seq=10)

    assert refused.value.code == "finished"
    assert attempt.questions.get(position=1).answer is None
    assert Attempt.objects.get(pk=attempt.pk).score == score


@pytest.mark.django_db
def test_a_save_past_the_deadline_finishes_the_attempt_instead(proctored_session, examinee):
    attempt = running_attempt(proctored_session, examinee, answers={0: 1})
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - datetime.timedelta(seconds=1))

    with pytest.raises(ServiceError) as refused:
        exam_services.answer_save(attempt=attempt, position=1, choice=0, seq=2)

    assert refused.value.code == "time_up"
    attempt.refresh_from_db()
    assert (attempt.status, attempt.finish_reason) == (Attempt.Status.FINISHED, Attempt.FinishReason.DEADLINE)
    assert attempt.questions.get(position=1).answer is None


@pytest.mark.django_db
def test_saves_arriving_in_any_order_keep_the_one_with_the_highest_seq(proctored_session, examinee):
    attempt = running_attempt(proctored_session, examinee, answers={})
    seqs = [*range(19, 10, -1), 20, *range(1, 11)]  # newer before older, 20 in the middle

    outcomes = {seq: exam_services.answer_save(attempt=attempt, position=0, choice=seq % 4, seq=seq) for seq in seqs}

    row = attempt.questions.get(position=0)
    assert (row.save_seq, row.answer) == (20, 20 % 4)
    after_20 = seqs[seqs.index(20) + 1 :]
    assert outcomes[20].applied
    assert not any(outcomes[seq].applied for seq in after_20), "an older save overwrote a newer one"


@pytest.mark.django_db
def test_saving_the_same_answer_again_is_harmless(proctored_session, examinee):
    attempt = running_attempt(proctored_session, examinee, answers={0: 2})

    again = exam_services.answer_save(attempt=attempt, position=0, choice=3, seq=1)

    assert not again.applied
    assert attempt.questions.get(position=0).answer == 2


# --- A server restart: another process saves, the "restarted server" reads --------------------

SAVE_ANSWERS = textwrap.dedent(
    """
    import json
    import django
    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from classrooms.models import User
    from exams import services as exam_services
    from proctoring import services as proctoring_services
    from tests.conftest import enroll, make_class, make_exam, make_organization, make_user

    call_command("migrate", verbosity=0)
    organization = make_organization("sakura", "さくら小学校")
    teacher = make_user("sakura-teacher", User.Role.TEACHER, organization)
    pupil = make_user("sakura-pupil", User.Role.EXAMINEE, organization)
    school_class = make_class(organization, teacher, "5年1組")
    enroll(school_class, pupil, number=1)
    session = proctoring_services.session_open(school_class=school_class, exam=make_exam(), by=teacher)
    proctoring_services.session_start(session=session, by=teacher)
    _seat, attempt = proctoring_services.seat_take(session=session, examinee=pupil)  # joins the running test
    exam_services.answer_save(attempt=attempt, position=0, choice=2, seq=1)
    exam_services.answer_save(attempt=attempt, position=3, choice=1, seq=2)
    attempt.refresh_from_db()
    print(json.dumps({
        "attempt": attempt.pk,
        "deadline": attempt.deadline.isoformat(),
        "remaining_ms": attempt.remaining().total_seconds() * 1000,
    }))
    """
)

READ_BACK = textwrap.dedent(
    """
    import json
    import sys
    import django
    django.setup()
    from exams.models import Attempt
    from proctoring.live import examinee_state

    attempt = Attempt.objects.select_related("session").get(pk=int(sys.argv[1]))
    state = examinee_state(attempt.session, attempt.examinee_id)
    print(json.dumps({
        "status": attempt.status,
        "deadline": attempt.deadline.isoformat(),
        "answers": {row.position: row.answer for row in attempt.questions.all() if row.answer is not None},
        "state": state,
    }))
    """
)


def run_python(code: str, *args: str, database: Path) -> dict:
    environment = {
        key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL", "SQLITE_PATH"}
    }
    environment |= {"DJANGO_SETTINGS_MODULE": "config.settings", "SQLITE_PATH": str(database), "DEBUG": "true"}
    finished = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code, *args],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout.strip().splitlines()[-1])


def test_a_restarted_server_resumes_the_attempt_with_its_answers_and_remaining_time(tmp_path):
    database = tmp_path / "kantoku.sqlite3"

    before = run_python(SAVE_ANSWERS, database=database)
    after = run_python(READ_BACK, str(before["attempt"]), database=database)

    assert after["status"] == "running"
    assert after["answers"] == {"0": 2, "3": 1}
    assert after["deadline"] == before["deadline"], "the deadline is kept by the server, not restarted"
    state = after["state"]
    assert state["type"] == "state"
    assert state["attempt"]["id"] == before["attempt"]
    assert datetime.datetime.fromisoformat(state["deadline"]) == datetime.datetime.fromisoformat(before["deadline"])
    remaining_before, remaining_after = before["remaining_ms"], state["attempt"]["remaining_ms"]
    assert 0 < remaining_after <= remaining_before, "the clock continues: no time is given back by a restart"
    assert remaining_before - remaining_after < 60_000, "and none is lost but the seconds the restart took"
