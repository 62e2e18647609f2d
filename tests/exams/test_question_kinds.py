"""Answers of every question kind saved and scored through the attempt services (docs/design.md §3)."""

from decimal import Decimal
from fractions import Fraction

import pytest
from django.urls import reverse

from config.errors import ServiceError
from exams.models import Attempt, Choice, Question
from exams.scoring import attempt_score, points_text
from exams.services import answer_save, attempt_finish, attempt_start, question_points
from exams.versions import version_publish
from proctoring.services import session_open
from tests.exams.conftest import new_draft


def _question(exam, version, key, kind, choices=(), **fields):
    question = Question.objects.create(exam=exam, version=version, key=key, prompt=key, kind=kind, **fields)
    for position, (text, correct) in enumerate(choices):
        Choice.objects.create(question=question, text=text, is_correct=correct, position=position)
    return question


@pytest.fixture
def mixed_attempt(organization, teacher, school_class, examinee):
    exam, draft = new_draft(organization, teacher, code="mixed", title="いろいろな問題", questions_per_attempt=4)
    _question(exam, draft, "multi", Question.Kind.MULTIPLE, [("春", True), ("夏", True), ("犬", False)])
    _question(exam, draft, "short", Question.Kind.SHORT, accepted_answers=["とうきょう"])
    _question(exam, draft, "order", Question.Kind.ORDERING, [("一", False), ("二", False), ("三", False)])
    _question(exam, draft, "single", Question.Kind.SINGLE, [("正", True), ("誤", False)])
    version_publish(version=draft, by=teacher)
    session = session_open(school_class=school_class, exam=exam, by=teacher)
    attempt, _created = attempt_start(session=session, examinee=examinee)
    return attempt


def _row(attempt, key):
    return attempt.questions.select_related("question").get(question__key=key)


def _indexes(row, texts):
    by_id = dict(Choice.objects.filter(question=row.question).values_list("pk", "text"))
    shown = [by_id[choice_id] for choice_id in row.choice_order]
    return [shown.index(text) for text in texts]


@pytest.mark.django_db
def test_every_kind_is_saved_and_scored(mixed_attempt):
    attempt = mixed_attempt
    multi, short, order, single = (_row(attempt, key) for key in ("multi", "short", "order", "single"))
    answer_save(attempt=attempt, position=multi.position, seq=1, response=_indexes(multi, ["夏", "春"]))
    answer_save(attempt=attempt, position=short.position, seq=2, response=" トウキョウ")
    answer_save(attempt=attempt, position=order.position, seq=3, response=_indexes(order, ["一", "二", "三"]))
    answer_save(attempt=attempt, position=single.position, seq=4, choice=_indexes(single, ["誤"])[0])
    attempt_finish(attempt=attempt, reason=Attempt.FinishReason.SUBMITTED)
    attempt.refresh_from_db()
    assert attempt.score == 3
    assert attempt.passed is True


@pytest.mark.django_db
def test_partial_credit_is_stated_on_the_question(mixed_attempt):
    attempt = mixed_attempt
    multi = _row(attempt, "multi")
    answer_save(attempt=attempt, position=multi.position, seq=1, response=_indexes(multi, ["春"]))
    multi.refresh_from_db()
    choices = list(Choice.objects.filter(question=multi.question))
    assert question_points(multi, choices) == 0  # all or nothing by default
    Question.objects.filter(key="multi").update(credit=Question.Credit.PARTIAL)
    multi = _row(attempt, "multi")
    assert question_points(multi, choices) == Fraction(1, 2)
    attempt_finish(attempt=attempt, reason=Attempt.FinishReason.SUBMITTED)
    attempt.refresh_from_db()
    assert attempt.score == Decimal("0.5")  # the half point counts


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "response"),
    [("multi", [0, 0]), ("multi", [7]), ("order", [0, 1]), ("order", "0,1,2"), ("short", "あ" * 201), ("short", 3)],
)
def test_a_response_that_does_not_fit_its_kind_is_refused(mixed_attempt, key, response):
    row = _row(mixed_attempt, key)
    with pytest.raises(ServiceError) as refused:
        answer_save(attempt=mixed_attempt, position=row.position, seq=1, response=response)
    assert refused.value.code == "bad_choice"
    row.refresh_from_db()
    assert row.response is None


@pytest.mark.django_db
def test_a_partial_point_counts_in_the_score_the_result_page_and_the_class_csv(
    mixed_attempt, client_of, teacher, examinee, school_class
):
    attempt = mixed_attempt
    Question.objects.filter(key="multi").update(credit=Question.Credit.PARTIAL)
    multi, short, single = (_row(attempt, key) for key in ("multi", "short", "single"))
    answer_save(attempt=attempt, position=multi.position, seq=1, response=_indexes(multi, ["春"]))  # half a point
    answer_save(attempt=attempt, position=short.position, seq=2, response="とうきょう")
    answer_save(attempt=attempt, position=single.position, seq=3, choice=_indexes(single, ["正"])[0])
    attempt_finish(attempt=attempt, reason=Attempt.FinishReason.SUBMITTED)
    attempt.refresh_from_db()
    assert (attempt.score, attempt.total, attempt.passed) == (Decimal("2.5"), 4, True)  # 62.5 % against 50 %

    page = client_of(examinee).get(reverse("exams:result", args=[attempt.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "2.5 out of 4" in page.content.decode()
    assert "62%" in page.content.decode()  # rounded down, as the pass mark compares
    csv = client_of(teacher).get(reverse("exams:class_results_export", args=[school_class.pk])).content.decode()
    assert ",2.5,4,62," in csv


def test_a_score_keeps_two_decimals_rounded_down_and_reads_without_trailing_zeros():
    assert attempt_score([Fraction(2, 3)]) == Decimal("0.66")
    assert attempt_score([Fraction(1, 2), Fraction(1, 3), Fraction(1, 6)]) == Decimal("1.00")  # summed exactly first
    assert [points_text(value) for value in (Decimal("7.00"), Decimal("7.50"), Decimal("0.66"), None)] == [
        "7",
        "7.5",
        "0.66",
        "",
    ]
