"""Regrading: a wrong key corrected on a published version, its results scored again (docs/design.md §3).

Exactly the finished, non-revoked attempts of that version that drew the question are scored again, once;
running attempts, revoked results and another version's attempts are untouched. Pupils see a neutral
note, teachers the author's reason too.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from badges.models import Award
from classrooms.models import AuditEntry, User
from config.errors import ServiceError
from exams.models import Attempt, Choice, Question, Regrade
from exams.regrade import question_regrade
from exams.services import answer_save, attempt_finish, attempts_start
from exams.versions import exam_draft_next_version, version_publish
from proctoring.models import ProctoredSession
from proctoring.services import result_revoke, session_open
from tests.conftest import enroll, make_exam, make_user
from tests.exams.conftest import new_draft
from tests.exams.test_attempt_races import ROUNDS, published, run_concurrently, running_attempt  # noqa: F401

pytestmark = pytest.mark.django_db

REASON = "選択肢Bも正しい読み方です"


def _question(exam, version, key, kind, choices=(), **fields):
    question = Question.objects.create(exam=exam, version=version, key=key, prompt=key, kind=kind, **fields)
    for position, (text, correct) in enumerate(choices):
        Choice.objects.create(question=question, text=text, is_correct=correct, position=position)
    return question


@pytest.fixture
def world(organization, teacher, school_class, examinee):
    """A published school test of three questions (all drawn); five pupils: two finished, one running,
    one revoked, and one who sat the next version.
    """
    exam, draft = new_draft(organization, teacher, code="regrade", title="読みのテスト", questions_per_attempt=3)
    single = _question(exam, draft, "single", "single", [("A", True), ("B", False), ("C", False)])
    short = _question(exam, draft, "short", "short", accepted_answers=["はる"])
    order = _question(exam, draft, "order", "ordering", [("一", False), ("二", False), ("三", False)])
    version_publish(version=draft, by=teacher)
    pupils = [examinee] + [make_user(f"pupil{n}", User.Role.EXAMINEE, organization) for n in range(1, 5)]
    for number, pupil in enumerate(pupils[1:], start=2):
        enroll(school_class, pupil, number=number)
    session = session_open(school_class=school_class, exam=exam, by=teacher)
    attempts = attempts_start(session=session, examinee_ids=[pupil.pk for pupil in pupils[:4]])
    for attempt in attempts:  # everyone answers B, which the corrected key will count right
        _answer(attempt, single, "B")
    finished, second, running, revoked = attempts
    for attempt in (finished, second):
        attempt_finish(attempt=attempt, reason=Attempt.FinishReason.SUBMITTED)
    result_revoke(attempt=revoked, by=teacher, reason="カンニング")
    # The next version, sat by the fifth pupil (answering B too).
    next_draft = exam_draft_next_version(exam=exam, by=teacher)
    version_publish(version=next_draft, by=teacher)
    later = ProctoredSession.objects.create(school_class=school_class, exam=exam, teacher=teacher)
    [other] = attempts_start(session=later, examinee_ids=[pupils[4].pk])
    _answer(other, next_draft.questions.get(key="single"), "B")
    attempt_finish(attempt=other, reason=Attempt.FinishReason.SUBMITTED)
    return {
        "exam": exam,
        "version": draft,
        "single": single,
        "short": short,
        "order": order,
        "finished": finished,
        "second": second,
        "running": running,
        "revoked": revoked,
        "other": other,
        "pupils": pupils,
    }


def _answer(attempt, question, text):
    row = attempt.questions.get(question=question)
    index = [Choice.objects.get(pk=pk).text for pk in row.choice_order].index(text)
    answer_save(attempt=attempt, position=row.position, seq=row.save_seq + 1, choice=index)


def _state(*attempts):
    rows = Attempt.objects.filter(pk__in=[a.pk for a in attempts]).order_by("pk")
    return [(a.status, a.score, a.passed, a.regraded_at) for a in rows]


def _b_is_right(world, **extra):
    b = world["single"].choices.get(text="B")
    return question_regrade(question=world["single"], correct=[b.pk], reason=REASON, by=extra.pop("by", None), **extra)


def test_exactly_the_finished_unrevoked_attempts_of_the_version_are_scored_again(world, teacher):
    untouched = _state(world["running"], world["revoked"], world["other"])
    assert [a.score for a in Attempt.objects.filter(pk__in=[world["finished"].pk, world["second"].pk])] == [0, 0]

    regrade = _b_is_right(world, by=teacher)

    assert regrade.rescored == 2
    for key in ("finished", "second"):
        attempt = Attempt.objects.get(pk=world[key].pk)
        assert (attempt.score, attempt.passed, attempt.regrade_id) == (1, False, regrade.pk)
        assert attempt.regraded_at == regrade.at
    assert _state(world["running"], world["revoked"], world["other"]) == untouched
    assert Choice.objects.get(question=world["single"], text="B").is_correct
    assert not Choice.objects.get(question=world["single"], text="A").is_correct
    assert (regrade.key_before, regrade.key_after, regrade.reason) == (["A"], ["B"], REASON)
    entry = AuditEntry.objects.get(action="exam.regrade")
    assert entry.details["reason"] == REASON
    assert entry.details["rescored"] == 2
    assert entry.organization_id == world["exam"].organization_id


def test_the_same_correction_twice_changes_nothing_the_second_time(world, teacher):
    first = _b_is_right(world, by=teacher)
    after_first = _state(world["finished"], world["second"])
    assert _b_is_right(world, by=teacher) is None
    assert _state(world["finished"], world["second"]) == after_first
    assert Regrade.objects.count() == 1
    assert AuditEntry.objects.filter(action="exam.regrade").count() == 1
    assert Attempt.objects.get(pk=world["finished"].pk).regrade_id == first.pk


def test_a_short_answer_and_an_ordering_are_corrected_too(world, teacher):
    regrade = question_regrade(question=world["short"], accepted=["はる", " 春 ", ""], reason=REASON, by=teacher)
    assert Question.objects.get(pk=world["short"].pk).accepted_answers == ["はる", "春"]
    assert regrade.key_after == ["はる", "春"]
    choices = list(world["order"].choices.order_by("position"))
    wanted = [choices[2].pk, choices[0].pk, choices[1].pk]
    regrade = question_regrade(question=world["order"], order=wanted, reason=REASON, by=teacher)
    assert list(world["order"].choices.order_by("position").values_list("pk", flat=True)) == wanted
    assert regrade.key_after == ["三", "一", "二"]


@pytest.mark.parametrize(
    ("key", "kwargs", "code"),
    [
        ("single", {"correct": []}, "bad_key"),
        ("single", {"correct": "two"}, "bad_key"),
        ("short", {"accepted": ["  "]}, "bad_key"),
        ("order", {"order": []}, "bad_key"),
        ("single", {"correct": "B", "reason": "  "}, "bad_reason"),
    ],
)
def test_a_correction_that_is_not_one_is_refused(world, teacher, key, kwargs, code):
    choices = {c.text: c.pk for c in Choice.objects.filter(question=world["single"])}
    if kwargs.get("correct") == "two":
        kwargs["correct"] = [choices["A"], choices["B"]]
    elif kwargs.get("correct") == "B":
        kwargs["correct"] = [choices["B"]]
    kwargs.setdefault("reason", REASON)
    with pytest.raises(ServiceError) as refused:
        question_regrade(question=world[key], by=teacher, **kwargs)
    assert refused.value.code == code
    assert not Regrade.objects.exists()


def test_a_draft_is_not_regraded(world, teacher):
    draft = exam_draft_next_version(exam=world["exam"], by=teacher)
    question = draft.questions.get(key="single")
    with pytest.raises(ServiceError) as refused:
        question_regrade(question=question, correct=[question.choices.get(text="B").pk], reason=REASON, by=teacher)
    assert refused.value.code == "draft"


# --- Through the browser -------------------------------------------------------------------------


def _url(world, question="single"):
    version = world["version"]
    return reverse("exams:question_regrade", args=[version.exam_id, version.number, world[question].pk])


def test_the_author_corrects_the_key_through_the_form(world, client_of, teacher):
    client = client_of(teacher)
    page = client.get(_url(world))
    assert page.status_code == 200
    assert "A" in page.content.decode()
    b = world["single"].choices.get(text="B")
    response = client.post(_url(world), {"correct": b.pk, "reason": REASON}, follow=True)
    assert "2" in " ".join(str(m) for m in response.context["messages"])
    assert REASON in response.content.decode()  # the corrections of this question are listed
    assert Attempt.objects.get(pk=world["finished"].pk).score == 1
    refused = client.post(_url(world), {"correct": b.pk, "reason": ""})
    assert refused.status_code == 200
    assert Regrade.objects.count() == 1


def test_an_ordering_through_the_form(world, client_of, teacher):
    choices = list(world["order"].choices.order_by("position"))
    client = client_of(teacher)
    ranks = {f"rank_{choices[0].pk}": 2, f"rank_{choices[1].pk}": 2, f"rank_{choices[2].pk}": 1}
    assert client.post(_url(world, "order"), {**ranks, "reason": REASON}).status_code == 200  # 2 twice
    ranks[f"rank_{choices[1].pk}"] = 3
    assert client.post(_url(world, "order"), {**ranks, "reason": REASON}).status_code == 302
    assert list(world["order"].choices.order_by("position").values_list("text", flat=True)) == ["三", "一", "二"]


def test_only_the_author_side_may_regrade(world, client_of, org_admin, foreign_teacher, operator, examinee):
    for user in (org_admin, foreign_teacher, operator, examinee):
        client = client_of(user)
        assert client.get(_url(world)).status_code == 404, user
        b = world["single"].choices.get(text="B")
        assert client.post(_url(world), {"correct": b.pk, "reason": REASON}).status_code == 404, user
        client.logout()
    assert not Regrade.objects.exists()


def test_pupils_see_a_neutral_note_and_teachers_the_reason(world, client_of, teacher, school_class):
    _b_is_right(world, by=teacher)
    pupil = client_of(world["pupils"][0])
    result = pupil.get(reverse("exams:result", args=[world["finished"].pk])).content.decode()
    history = pupil.get(reverse("exams:history")).content.decode()
    for html in (result, history):
        assert 'class="regrade-note"' in html
        assert REASON not in html
    pupil.logout()
    url = reverse("exams:class_results", args=[school_class.pk])
    teacher_page = client_of(teacher).get(url, {"session": world["finished"].session_id}).content.decode()
    assert REASON in teacher_page
    assert teacher_page.count('class="regrade-note"') == 2  # the two results scored again, not the others
    enrollment = school_class.enrollments.get(examinee=world["pupils"][0])
    history_url = reverse("exams:examinee_history", args=[school_class.pk, enrollment.pk])
    assert REASON in client_of(teacher).get(history_url).content.decode()


def test_the_class_csv_says_which_results_were_regraded_and_why(world, client_of, teacher, school_class):
    _b_is_right(world, by=teacher)
    url = reverse("exams:class_results_export", args=[school_class.pk])
    text = client_of(teacher).get(url, {"session": world["finished"].session_id}).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    regraded = {row["利用者ID"]: (row["得点"], row["修正の理由"], bool(row["採点の修正"])) for row in rows}
    assert regraded == {
        world["pupils"][0].login_id: ("1", REASON, True),
        world["pupils"][1].login_id: ("1", REASON, True),
    }


def test_an_operator_corrects_a_key_of_the_operator_catalog(client_of, operator, teacher):
    exam = make_exam(code="catalog-test")
    question = exam.questions.order_by("position").first()
    url = reverse("exams:question_regrade", args=[exam.pk, 1, question.pk])
    assert client_of(teacher).get(url).status_code == 404  # no teacher writes the operator's catalog
    client = client_of(operator)
    second = question.choices.order_by("position")[1]
    assert client.post(url, {"correct": second.pk, "reason": REASON}).status_code == 302
    entry = AuditEntry.objects.get(action="exam.regrade")
    assert entry.organization is None
    assert entry.details["key_after"] == [second.text]


def test_the_console_lists_the_operators_corrections_read_only_and_not_a_schools(world, client_of, operator, teacher):
    _b_is_right(world, by=teacher)  # a school's own test
    exam = make_exam(code="catalog-test")
    question = exam.questions.order_by("position").first()
    second = question.choices.order_by("position")[1]
    ours = question_regrade(question=question, correct=[second.pk], reason="運営の訂正", by=operator)
    client = client_of(operator)
    listing = client.get(reverse("admin:exams_regrade_changelist")).content.decode()
    assert reverse("admin:exams_regrade_change", args=[ours.pk]) in listing
    school_regrade = Regrade.objects.exclude(pk=ours.pk).get()
    assert reverse("admin:exams_regrade_change", args=[school_regrade.pk]) not in listing
    page = client.get(reverse("admin:exams_regrade_change", args=[ours.pk])).content.decode()
    assert "運営の訂正" in page
    assert 'name="reason"' not in page  # nothing to edit
    assert client.get(reverse("admin:exams_regrade_change", args=[school_regrade.pk])).status_code == 302  # not found


# --- On PostgreSQL: a regrade racing a hand-in ---------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("published")
def test_a_regrade_racing_a_hand_in_leaves_the_score_of_the_final_key(school_class, teacher, examinee):
    """Whichever comes first, the attempt ends scored with the corrected key: finished before the regrade
    takes its locks, it is scored again; after, it reads the new key.
    """
    exam = make_exam(code="race", questions=1, per_attempt=1)
    question = exam.questions.get()
    first, second = question.choices.order_by("position")[:2]
    for round_number in range(ROUNDS):
        session = ProctoredSession.objects.create(school_class=school_class, exam=exam, teacher=teacher)
        attempt = running_attempt(session, examinee, answers={})
        row = attempt.questions.get()
        answer_save(attempt=attempt, position=0, seq=1, choice=row.choice_order.index(second.pk))
        key = second if round_number % 2 == 0 else first

        results, errors = run_concurrently(
            {
                "hand_in": lambda attempt=attempt: attempt_finish(
                    attempt=attempt, reason=Attempt.FinishReason.SUBMITTED
                ),
                "regrade": lambda key=key: question_regrade(
                    question=question, correct=[key.pk], reason=REASON, by=teacher
                ),
            }
        )

        assert errors == {}, f"a racing call failed: {errors!r}"
        attempt.refresh_from_db()
        assert attempt.status == Attempt.Status.FINISHED
        assert attempt.score == (1 if key == second else 0)
        assert (attempt.regraded_at is not None) == (results["regrade"].rescored == 1)
        Award.objects.filter(attempt__examinee=examinee).delete()  # a pass's badge (docs/design.md §12)
        Attempt.objects.filter(examinee=examinee).delete()
