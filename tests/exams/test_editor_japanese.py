"""The editor and its ways in as a Japanese teacher or operator reads them (docs/design.md §3, "The editor").

Each test is a stumble found by scripts/authoring_walkthrough.py, walking issue 13's Done-when in ja.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from exams import versions
from exams.models import Question
from tests.exams.conftest import new_draft

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
