"""The editor and its ways in as a Japanese teacher or operator reads them (docs/design.md §3, "The editor").

Each test is a stumble found by scripts/authoring_walkthrough.py, walking issue 13's Done-when in ja.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from config.errors import ServiceError
from exams import versions
from exams.models import Question
from tests.conftest import make_exam
from tests.exams.conftest import new_draft
from tests.exams.test_item_analysis import pupil, running, sit

pytestmark = pytest.mark.django_db

JA = {"accept-language": "ja"}


def test_the_box_that_marks_a_correct_choice_says_correct_not_correct_rate(client_of, organization, teacher):
    """「正答率」 (the item analysis's column) beside a choice's box read as a rate, not as 'this one is right'."""
    exam, draft = new_draft(organization, teacher, code="walk", title="春の読解", questions_per_attempt=1)
    question = versions.question_add(version=draft, by=teacher, kind=Question.Kind.SINGLE, passage=None)
    versions.question_update(
        question=question, by=teacher, prompt="春に咲く花は？", choices=[("桜", True), ("ひまわり", False)]
    )
    page = client_of(teacher).get(reverse("exams:write_exam", args=[exam.pk]), headers=JA).content.decode()
    boxes = re.findall(r'<label class="editor-correct">.*?</label>', page, flags=re.S)
    assert len(boxes) == 2
    for box in boxes:
        assert "正解" in box
        assert "正答率" not in box
    versions.version_publish(version=draft, by=teacher)
    page = client_of(teacher).get(reverse("exams:write_exam", args=[exam.pk]), headers=JA).content.decode()
    assert "<strong>✓ 正解</strong>" in page  # the published version's read-only view marks the key the same way
    assert "正答率" not in page


def test_the_consoles_first_page_leads_to_the_operators_editor_and_import(client_of, operator):
    """An operator signs in on /operator/; the catalog's editor is a site page, so the console links to it."""
    page = client_of(operator).get(reverse("admin:index"), headers=JA).content.decode()
    section = re.search(r'<section class="module console-tests".*?</section>', page, flags=re.S).group(0)
    assert "運営のテスト" in section
    assert f'href="{reverse("exams:write_list")}"' in section
    assert f'href="{reverse("exams:exam_import_json")}"' in section
    assert "ファイルからテストを取り込む" in section


def _passage_quiz(organization, teacher, *, drawn: int):
    """A passage with furigana in its title and three single-choice questions on it, `drawn` a pupil."""
    exam, draft = new_draft(organization, teacher, code="passage", title="春の読解", questions_per_attempt=drawn)
    passage = versions.passage_add(version=draft, by=teacher, title="｜春《はる》の校庭", text="桜が咲きます。")
    for prompt in ("一つめ", "二つめ", "三つめ"):
        question = versions.question_add(version=draft, by=teacher, kind=Question.Kind.SINGLE, passage=passage)
        versions.question_update(
            question=question, by=teacher, prompt=prompt, passage=passage, choices=[("はい", True), ("いいえ", False)]
        )
    return exam, draft


def test_a_passage_longer_than_the_draw_is_a_problem_before_publishing(client_of, organization, teacher):
    """Three questions on a passage and two drawn: the passage never fits a draw, and pupils got nothing."""
    exam, draft = _passage_quiz(organization, teacher, drawn=2)
    with translation.override("en"):
        assert versions.version_problems(draft) == [
            "Passage “春の校庭” has 3 questions, more than the 2 drawn for each pupil: it would never be drawn. "
            "Draw more questions, or move some off the passage."
        ]
    with pytest.raises(ServiceError):
        versions.version_publish(version=draft, by=teacher)
    page = client_of(teacher).get(reverse("exams:write_problems", args=[exam.pk]), headers=JA).content.decode()
    assert "本文「春の校庭」の問題は3問で、一人あたりの出題数（2問）より多いため、この本文は出題されません。" in page
    assert "《" not in page  # the passage's title in the one-line panel is plain

    versions.version_settings_update(version=draft, by=teacher, **{**_settings(draft), "questions_per_attempt": 3})
    draft.refresh_from_db()
    assert versions.version_problems(draft) == []


def _settings(version) -> dict:
    return {name: getattr(version, name) for name in version.SETTINGS}


def test_with_too_few_answers_the_flags_column_says_it_is_not_checked_yet(client_of, teacher, school_class):
    """Three pupils, as in the walk: no flag can show yet, and an empty column read as 'nothing to check'."""
    exam = make_exam(code="three-pupils", questions=2, per_attempt=2, organization=school_class.organization)
    session = running(exam, school_class, teacher)
    for number in (1, 2, 3):
        sit(session, pupil(school_class, f"pupil-{number}", number), {"q0": number != 3, "q1": number == 1})
    url = reverse("exams:class_results", args=[school_class.pk]) + f"?session={session.pk}"
    html = client_of(teacher).get(url, headers=JA).content.decode()
    assert html.count("まだ判定していません（5件の回答から判定します）") == 2
    for number in (4, 5):
        sit(session, pupil(school_class, f"pupil-{number}", number), {"q0": True, "q1": False})
    html = client_of(teacher).get(url, headers=JA).content.decode()
    assert "まだ判定していません" not in html  # five answers: the flags are computed, and say what they find


def test_the_list_of_tests_says_whose_they_are_in_plain_japanese(client_of, teacher, operator):
    """It read 「学校のテスト一覧のテストです」: 'the tests of the list of tests'."""
    for user, words in ((teacher, "この学校のテストです。"), (operator, "運営のテストです。")):
        page = client_of(user).get(reverse("exams:write_list"), headers=JA).content.decode()
        assert words in page
        assert "テスト一覧のテスト" not in page
