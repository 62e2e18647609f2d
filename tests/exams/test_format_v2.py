"""Format 2 documents: passages and every question type; export and import back (docs/exam-format.md)."""

import io
import json

import pytest
from django.core.management import call_command

from exams.catalog import CatalogError, export_exam_document, load_exam_document, parse_exam_document
from exams.models import Question

V2 = {
    "format": "kantoku-exam/2",
    "code": "mixed-quiz",
    "title": "いろいろな問題",
    "time_limit_minutes": 15,
    "questions_per_attempt": 4,
    "pass_mark_percent": 60,
    "passages": [{"key": "swallow", "title": "ツバメ", "text": "ツバメは春に南の国から来る。"}],
    "questions": [
        {
            "key": "when",
            "passage": "swallow",
            "prompt": "ツバメはいつ来ますか。",
            "choices": [{"text": "春", "correct": True}, {"text": "秋"}],
        },
        {
            "key": "seasons",
            "type": "multiple",
            "credit": "partial",
            "prompt": "あたたかい季節をすべて選びなさい。",
            "choices": [{"text": "春", "correct": True}, {"text": "夏", "correct": True}, {"text": "冬"}],
        },
        {"key": "capital", "type": "short", "prompt": "日本の首都は。", "accepted": ["東京", "とうきょう"]},
        {"key": "order", "type": "ordering", "prompt": "小さい順に。", "items": ["一", "十", "百"]},
    ],
}


@pytest.mark.django_db
def test_a_v2_document_imports_passages_and_every_type():
    exam = load_exam_document(json.loads(json.dumps(V2)))
    version = exam.published_version()
    assert version.number == 1
    kinds = dict(version.questions.values_list("key", "kind"))
    assert kinds == {"when": "single", "seasons": "multiple", "capital": "short", "order": "ordering"}
    when = version.questions.get(key="when")
    assert when.group.text == "ツバメは春に南の国から来る。"
    assert version.questions.get(key="seasons").credit == Question.Credit.PARTIAL
    assert version.questions.get(key="capital").accepted_answers == ["東京", "とうきょう"]
    assert list(version.questions.get(key="order").choices.values_list("text", flat=True)) == ["一", "十", "百"]


@pytest.mark.django_db
def test_export_imports_back_to_the_same_document():
    exam = load_exam_document(json.loads(json.dumps(V2)))
    exported = export_exam_document(exam.published_version())
    assert parse_exam_document(exported) == parse_exam_document(json.loads(json.dumps(V2)))
    out = io.StringIO()
    call_command("export_exam", "mixed-quiz", stdout=out)
    assert json.loads(out.getvalue()) == exported


@pytest.mark.parametrize(
    ("question", "field"),
    [
        ({"key": "x", "type": "short", "prompt": "?", "accepted": []}, "accepted"),
        ({"key": "x", "type": "ordering", "prompt": "?", "items": ["a", "b"]}, "items"),
        ({"key": "x", "type": "multiple", "prompt": "?", "choices": [{"text": "a"}, {"text": "b"}]}, "choices"),
        ({"key": "x", "type": "essay", "prompt": "?"}, "type"),
        (
            {
                "key": "x",
                "passage": "nowhere",
                "prompt": "?",
                "choices": [{"text": "a", "correct": True}, {"text": "b"}],
            },
            "passage",
        ),
        ({"key": "x", "type": "short", "prompt": "?", "accepted": ["a"], "choices": []}, "choices"),
    ],
)
def test_v2_problems_name_the_field(question, field):
    document = {**V2, "questions_per_attempt": 1, "questions": [question]}
    with pytest.raises(CatalogError) as error:
        parse_exam_document(document)
    assert any(problem.startswith(f"questions[0].{field}") for problem in error.value.problems), error.value.problems


@pytest.mark.django_db
def test_a_v1_file_still_imports():
    with open("tests/exams/data/reading-format1.json", encoding="utf-8") as sample:
        data = json.load(sample)
    assert data["format"] == "kantoku-exam/1"
    exam = load_exam_document(data)
    version = exam.published_version()
    assert version.questions.count() == len(data["questions"])
    assert set(version.questions.values_list("kind", flat=True)) == {"single"}
