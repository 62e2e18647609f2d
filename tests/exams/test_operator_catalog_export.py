"""A school's data export never holds the operator's catalog's questions or choices (docs/design.md §3)."""

from __future__ import annotations

import csv
import io

import pytest

from exams.models import Exam
from tests.conftest import make_organization
from tests.operations.conftest import build_export, populate, zip_texts


@pytest.mark.django_db
def test_operator_catalog_questions_are_blank_in_a_schools_export(operator):
    alpha = populate(make_organization("alpha", "ALPHA学園"), "ALPHA", operator)
    Exam.objects.filter(code="alpha-exam").update(organization=None)  # the same test, now the operator's
    texts = zip_texts(build_export(alpha.organization, alpha.admin).path)
    answers = list(csv.DictReader(io.StringIO(texts["answers.csv"])))
    assert answers
    assert all(row["問題文"] == "" and row["選んだ答え"] == "" for row in answers)
    assert answers[0]["正誤"] == "正解"  # the pupil's own result stays
    assert "選択肢0-0" not in "".join(texts.values())
