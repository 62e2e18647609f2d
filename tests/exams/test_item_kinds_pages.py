"""Item analysis of every question kind on the class page, per version, across the school's classes,
in the operator's console and in the school's export (docs/design.md §3, §8.4).

The class of six is the one of tests/exams/test_item_kinds_statistics.py, sitting a real test; its
numbers are worked out by hand there.
"""

from __future__ import annotations

import csv
import io
import math

import pytest
from django.db import transaction
from django.urls import reverse

from classrooms.models import User
from exams import services
from exams.models import Attempt, Choice, Exam, Question
from exams.versions import exam_draft_next_version, version_publish
from proctoring.models import ProctoredSession
from tests.conftest import enroll, make_class, make_user
from tests.exams.conftest import new_draft

# Per pupil P1–P6 (None: no answer): as in test_item_kinds_statistics.py.
SINGLE = ["正", "正", "誤1", "正", "誤2", None]
MULTIPLE = [["春", "夏"], ["春"], ["春", "犬"], ["犬"], None, ["春", "夏", "犬"]]
SHORT = [
    "とうきょう",
    "トウキョウ",
    "きょうと",
    "京都",
    "キョウト",
    None,
]  # normalized: とうきょう ×2, きょうと ×2 + 京都
ORDER = [["一", "二", "三"], ["二", "一", "三"], ["一", "二", "三"], None, ["三", "二", "一"], ["一", "二", "三"]]


def _question(exam, version, key, kind, choices=(), **fields):
    question = Question.objects.create(
        exam=exam, version=version, key=key, prompt=f"設問{key}", kind=kind, position=len(key), **fields
    )
    for position, (text, correct) in enumerate(choices):
        Choice.objects.create(question=question, text=text, is_correct=correct, position=position)
    return question


@pytest.fixture
def mixed_exam(organization, teacher):
    exam, draft = new_draft(organization, teacher, code="mixed", title="いろいろな問題", questions_per_attempt=4)
    _question(exam, draft, "s", Question.Kind.SINGLE, [("正", True), ("誤1", False), ("誤2", False), ("誤3", False)])
    _question(
        exam,
        draft,
        "mm",
        Question.Kind.MULTIPLE,
        [("春", True), ("夏", True), ("犬", False), ("猫", False)],
        credit=Question.Credit.PARTIAL,
    )
    _question(exam, draft, "ttt", Question.Kind.SHORT, accepted_answers=["とうきょう"])
    _question(exam, draft, "oooo", Question.Kind.ORDERING, [("一", False), ("二", False), ("三", False)])
    version_publish(version=draft, by=teacher)
    return exam


def running(exam, school_class, teacher) -> ProctoredSession:
    return ProctoredSession.objects.create(
        school_class=school_class, exam=exam, teacher=teacher, status=ProctoredSession.Status.RUNNING
    )


def _indexes(row, texts):
    by_id = dict(Choice.objects.filter(question=row.question).values_list("pk", "text"))
    shown = [by_id[choice_id] for choice_id in row.choice_order]
    return [shown.index(text) for text in texts]


def sit(session, examinee, pupil: int) -> Attempt:
    """Pupil `pupil` (0–5) of the class of six answers every question as the tables above say."""
    with transaction.atomic():
        attempt, _created = services.attempt_start(session=session, examinee=examinee)
    for seq, row in enumerate(attempt.questions.select_related("question"), start=1):
        kind, position = row.question.kind, row.position
        if kind == Question.Kind.SINGLE and SINGLE[pupil] is not None:
            services.answer_save(attempt=attempt, position=position, seq=seq, choice=_indexes(row, [SINGLE[pupil]])[0])
        elif kind == Question.Kind.MULTIPLE and MULTIPLE[pupil] is not None:
            services.answer_save(attempt=attempt, position=position, seq=seq, response=_indexes(row, MULTIPLE[pupil]))
        elif kind == Question.Kind.SHORT and SHORT[pupil] is not None:
            services.answer_save(attempt=attempt, position=position, seq=seq, response=SHORT[pupil])
        elif kind == Question.Kind.ORDERING and ORDER[pupil] is not None:
            services.answer_save(attempt=attempt, position=position, seq=seq, response=_indexes(row, ORDER[pupil]))
    services.attempt_finish(attempt=attempt, reason=Attempt.FinishReason.SUBMITTED)
    return attempt


def sit_class_of_six(session, school_class, prefix: str, pupils=range(6)) -> list[Attempt]:
    attempts = []
    for pupil in pupils:
        person = make_user(
            f"{prefix}-{pupil + 1}", User.Role.EXAMINEE, school_class.organization, name=f"{prefix}{pupil}"
        )
        enroll(school_class, person, number=pupil + 1)
        attempts.append(sit(session, person, pupil))
    return attempts


@pytest.fixture
def sat(mixed_exam, school_class, teacher):
    session = running(mixed_exam, school_class, teacher)
    sit_class_of_six(session, school_class, "pupil")
    return session


def class_page(client_of, user, school_class, session=None, **extra):
    query = "" if session is None else f"?session={session.pk}"
    return client_of(user).get(reverse("exams:class_results", args=[school_class.pk]) + query, **extra)


def items_by_kind(items):
    return {item.kind: item for item in items}


def test_the_class_page_analyses_every_kind_as_computed_by_hand(client_of, teacher, school_class, sat):
    response = class_page(client_of, teacher, school_class, sat)
    items = items_by_kind(response.context["items"])
    single, multiple, short, ordering = (items[kind] for kind in ("single", "multiple", "short", "ordering"))
    assert [item.position for item in response.context["items"]] == [1, 2, 3, 4]  # the version's own order
    assert (single.asked, single.correct, single.unanswered) == (6, 3, 1)
    assert [choice.count for choice in single.choices] == [3, 1, 1, 0]
    assert single.discrimination == pytest.approx(1 / math.sqrt(9.5))
    # multiple choice with partial credit: 1 + .5 + .5 earned; ticks 春 4, 夏 2, 犬 3, 猫 0; the scores from scoring
    assert (multiple.correct, multiple.percent_correct, multiple.unanswered) == (pytest.approx(2.0), 33, 1)
    assert [(choice.text, choice.count, choice.percent) for choice in multiple.choices] == [
        ("春", 4, 66),
        ("夏", 2, 33),
        ("犬", 3, 50),
        ("猫", 0, 0),
    ]
    assert multiple.discrimination == pytest.approx(11 / (4 * math.sqrt(10)))
    assert [(flag.code, flag.option.text) for flag in multiple.flags] == [("wrong_ticked_over_key", "犬")]
    # short answer: compared normalized (トウキョウ is とうきょう); 京都 is its own answer
    assert (short.correct, short.unanswered) == (2, 1)
    assert [(choice.text, choice.correct, choice.count) for choice in short.choices] == [
        ("きょうと", False, 2),
        ("とうきょう", True, 2),
        ("京都", False, 1),
    ]
    assert short.flags == []  # きょうと (2) not more often than right answers (2)
    assert [(choice.order, choice.count) for choice in ordering.choices] == [("right", 3), ("other", 2)]
    assert (ordering.correct, ordering.unanswered, ordering.flags) == (3, 1, [])


def test_the_class_page_draws_bars_and_tables_for_every_kind_in_japanese(client_of, teacher, school_class, sat):
    html = class_page(client_of, teacher, school_class, sat, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert html.count('class="choice-bars"') == 4
    assert html.count('<table class="choice-counts">') == 4
    assert "style=" not in html
    for words in ("複数選択問題", "記述(短答)問題", "並べ替え問題", "正しい順", "ちがう順", "無回答", "(2/6)", "第1版"):
        assert words in html, words
    assert "誤答の「犬」が正答の選択肢より多く選ばれています。" in html


def test_a_class_that_sat_two_versions_gets_a_table_per_version(client_of, teacher, school_class, sat, mixed_exam):
    draft = exam_draft_next_version(exam=mixed_exam, by=teacher)
    version_publish(version=draft, by=teacher)
    ProctoredSession.objects.filter(pk=sat.pk).update(status=ProctoredSession.Status.ENDED)
    second = running(mixed_exam, school_class, teacher)
    assert second.version.number == 2
    sit_class_of_six(second, school_class, "again", pupils=[0, 1])
    response = client_of(teacher).get(reverse("exams:class_results", args=[school_class.pk]) + "?session=")
    groups = response.context["item_groups"]
    assert [(group.exam.code, group.number, len(group.items)) for group in groups] == [("mixed", 1, 4), ("mixed", 2, 4)]
    assert [item.asked for item in groups[0].items] == [6, 6, 6, 6]
    assert [item.asked for item in groups[1].items] == [2, 2, 2, 2]  # version 2's questions are other questions
    assert {item.version for item in groups[1].items} == {2}
    html = response.content.decode()
    assert "いろいろな問題 第1版" in html
    assert "いろいろな問題 第2版" in html


def version_url(exam, number: int) -> str:
    return reverse("exams:version_analysis", args=[exam.pk, number])


@pytest.fixture
def two_classes(sat, mixed_exam, organization, other_teacher, other_class):
    """The class of six, and two pupils of another class of the school (their P1 and P2 answers)."""
    sit_class_of_six(running(mixed_exam, other_class, other_teacher), other_class, "other", pupils=[0, 1])
    return mixed_exam


def test_the_school_page_puts_every_class_of_the_version_together(
    client_of, teacher, org_admin, two_classes, school_class, other_class
):
    response = client_of(teacher).get(version_url(two_classes, 1))
    assert response.status_code == 200
    analysis = response.context["analysis"]
    assert analysis.count == 8
    assert {(row.name, row.count) for row in analysis.classes} == {(school_class.name, 6), (other_class.name, 2)}
    single = items_by_kind(analysis.items)["single"]
    assert (single.asked, single.correct) == (8, 5)  # 3 of the six, and both of the other class
    assert "設問s" in response.content.decode()
    assert client_of(org_admin).get(version_url(two_classes, 1)).status_code == 200


def test_the_school_page_is_404_for_another_school_a_colleague_and_a_missing_version(
    client_of, foreign_teacher, foreign_org_admin, examinee, organization, mixed_exam, sat
):
    url = version_url(mixed_exam, 1)
    assert client_of(foreign_teacher).get(url).status_code == 404
    assert client_of(foreign_org_admin).get(url).status_code == 404
    assert client_of(examinee).get(url).status_code == 404
    colleague = make_user("colleague", User.Role.TEACHER, organization)
    make_class(organization, colleague, "2年1組")
    assert client_of(colleague).get(url).status_code == 404  # neither wrote it nor had a class sit it
    assert client_of(
        User.objects.get(login_id="teacher") if User.objects.filter(login_id="teacher").exists() else colleague
    )
    assert client_of(sat.teacher).get(version_url(mixed_exam, 2)).status_code == 404


def test_an_operator_catalog_test_shows_teachers_rates_only(client_of, teacher, school_class, sat, mixed_exam):
    Exam.objects.filter(pk=mixed_exam.pk).update(organization=None)
    for response in (
        client_of(teacher).get(version_url(mixed_exam, 1)),
        class_page(client_of, teacher, school_class, sat),
    ):
        assert response.status_code == 200
        html = response.content.decode()
        assert "識別力" in html or "Discrimination" in html
        for text in ["設問s", "設問mm", "春", "犬", "とうきょう", "きょうと", "京都"]:
            assert text not in html, text
        assert 'class="choice-bars"' not in html
        assert "choice-counts" not in html


def test_the_operator_console_is_per_version_newest_first(client_of, operator, teacher, school_class, sat, mixed_exam):
    draft = exam_draft_next_version(exam=mixed_exam, by=teacher)
    version_publish(version=draft, by=teacher)
    ProctoredSession.objects.filter(pk=sat.pk).update(status=ProctoredSession.Status.ENDED)
    sit_class_of_six(running(mixed_exam, school_class, teacher), school_class, "again")
    url = reverse("admin:exams_exam_item_analysis", args=[mixed_exam.pk])
    newest = client_of(operator).get(url)
    assert (newest.context["version"].number, newest.context["versions"]) == (2, [2, 1])
    assert newest.context["analysis"].count == 6
    assert {item.version for item in newest.context["analysis"].items} == {2}
    first = client_of(operator).get(url + "?version=1").context["analysis"]
    assert {item.version for item in first.items} == {1}
    assert client_of(operator).get(url + "?version=7").status_code == 404
    short = items_by_kind(first.items)["short"]
    # typed by fewer than five pupils: never shown alone to the operator, only as "other answers" and "<5"
    assert [(choice.text, choice.other, choice.shown) for choice in short.choices] == [
        ("とうきょう", False, "<5"),
        ("", True, "<5"),
    ]
    html = client_of(operator).get(url + "?version=1").content.decode()
    for words in ("京都", "きょうと"):  # pupils' own words typed by fewer than five
        assert words not in html
    assert '<option value="1" selected>第1版</option>' in html
    assert '<option value="2">第2版</option>' in html


# --- The school's export: answers.csv -------------------------------------------------------------


def test_the_export_writes_every_kinds_answer_and_its_item_score(organization, org_admin, sat):
    from tests.operations.conftest import build_export, zip_texts

    texts = zip_texts(build_export(organization, org_admin).path)
    rows = list(csv.DictReader(io.StringIO(texts["answers.csv"])))
    assert len(rows) == 24
    by_key = {}
    for row in rows:
        by_key.setdefault(row["問題キー"], []).append(row)
    first_pupil = {key: answers[0] for key, answers in by_key.items()}  # P1, the first attempt
    second_pupil = {key: answers[1] for key, answers in by_key.items()}
    fifth = {key: answers[4] for key, answers in by_key.items()}
    assert (first_pupil["s"]["選んだ答え"], first_pupil["s"]["正誤"], first_pupil["s"]["得点"]) == ("正", "正解", "1")
    assert (first_pupil["mm"]["選んだ答え"], first_pupil["mm"]["得点"]) == ("春 / 夏", "1")
    assert (second_pupil["mm"]["選んだ答え"], second_pupil["mm"]["正誤"], second_pupil["mm"]["得点"]) == (
        "春",
        "部分正解",
        "0.5",
    )
    assert (second_pupil["ttt"]["選んだ答え"], second_pupil["ttt"]["正誤"]) == ("トウキョウ", "正解")
    assert (second_pupil["oooo"]["選んだ答え"], second_pupil["oooo"]["正誤"]) == ("二 → 一 → 三", "不正解")
    assert (fifth["mm"]["選んだ答え"], fifth["mm"]["正誤"], fifth["mm"]["得点"]) == ("", "未回答", "0")
    assert first_pupil["oooo"]["選んだ答え"] == "一 → 二 → 三"


def test_the_export_neutralizes_a_typed_formula_and_blanks_operator_catalog_answers(
    organization, org_admin, sat, mixed_exam
):
    from exams.models import AttemptQuestion
    from tests.operations.conftest import build_export, zip_texts

    AttemptQuestion.objects.filter(question__kind=Question.Kind.SHORT, response="京都").update(response="=1+1")
    rows = list(csv.DictReader(io.StringIO(zip_texts(build_export(organization, org_admin).path)["answers.csv"])))
    assert "'=1+1" in [row["選んだ答え"] for row in rows]
    Exam.objects.filter(pk=mixed_exam.pk).update(organization=None)
    texts = zip_texts(build_export(organization, org_admin).path)
    rows = list(csv.DictReader(io.StringIO(texts["answers.csv"])))
    assert all(row["選んだ答え"] == "" and row["問題文"] == "" for row in rows)
    assert {row["得点"] for row in rows} == {"0", "0.5", "1"}  # the pupils' own scores stay
    for text in ("とうきょう", "トウキョウ", "春 / 夏", "一 → 二"):
        assert text not in texts["answers.csv"]
