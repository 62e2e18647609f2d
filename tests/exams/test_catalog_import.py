"""Importing exams from JSON documents (exams/catalog.py) and the `import_exam` command."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

import exams
from exams.catalog import CatalogError, load_exam_document, parse_exam_document, read_exam_json
from exams.models import Attempt, Choice, Exam, Question
from proctoring.models import ProctoredSession

pytestmark = pytest.mark.django_db

SAMPLES = sorted((Path(exams.__file__).parent / "samples").glob("*.json"))
MISSING = object()


def small_document(code: str = "reading-test") -> dict:
    return {
        "format": "kantoku-exam/1",
        "code": code,
        "title": "読み取りテスト",
        "description": "テスト用",
        "time_limit_minutes": 10,
        "questions_per_attempt": 2,
        "pass_mark_percent": 60,
        "questions": [
            {
                "key": f"q{number}",
                "passage": "むかしむかし、あるところに。",
                "prompt": f"問題{number}",
                "choices": [{"text": "ア", "correct": True}, {"text": "イ"}, {"text": "ウ", "correct": False}],
            }
            for number in (1, 2, 3)
        ],
    }


def changed(document: dict, path: tuple, value) -> dict:
    """A copy of the document with the field at `path` set to `value` (or removed, for MISSING)."""
    document = copy.deepcopy(document)
    *parents, last = path
    target = document
    for step in parents:
        target = target[step]
    if value is MISSING:
        del target[last]
    else:
        target[last] = value
    return document


def counts() -> tuple[int, int, int]:
    return Exam.objects.count(), Question.objects.count(), Choice.objects.count()


def problems_of(data) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        load_exam_document(data)
    return caught.value.problems


def write(tmp_path: Path, name: str, data) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def run_import(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_exam", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_import_expecting_failure(*args) -> str:
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_exam", *map(str, args), stdout=io.StringIO(), stderr=err)
    return err.getvalue()


@pytest.fixture
def taken_exam(school_class, teacher, examinee) -> Exam:
    """An exam with one attempt: its content must not change any more."""
    exam = load_exam_document(small_document())
    session = ProctoredSession.objects.create(school_class=school_class, exam=exam, teacher=teacher)
    Attempt.objects.create(session=session, examinee=examinee, exam=exam, deadline=timezone.now())
    return exam


# --- The samples --------------------------------------------------------------------


def test_it_ships_two_samples():
    assert [path.name for path in SAMPLES] == ["mixed-quiz.json", "reading-spring.json"]


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda path: path.stem)
def test_it_imports_a_sample_with_every_question_and_choice(sample):
    data = json.loads(sample.read_text(encoding="utf-8"))

    exam = load_exam_document(data)

    assert exam.code == sample.stem
    assert (exam.time_limit_minutes, exam.questions_per_attempt, exam.pass_mark_percent) == (
        data["time_limit_minutes"],
        data["questions_per_attempt"],
        60,
    )
    questions = list(exam.questions.prefetch_related("choices"))
    assert len(questions) == len(data["questions"]) >= 8
    for question, given in zip(questions, data["questions"], strict=True):
        assert (question.key, question.kind) == (given["key"], given["type"])
        if "choices" in given:
            assert [(choice.text, choice.is_correct) for choice in question.choices.all()] == [
                (choice["text"], choice.get("correct", False)) for choice in given["choices"]
            ]
        else:
            texts = [choice.text for choice in question.choices.all()]
            assert texts == given.get("items", [])
            assert question.accepted_answers == given.get("accepted", [])


def test_it_imports_both_samples_in_one_run_with_a_line_each():
    out, _err = run_import(*SAMPLES)

    assert counts() == (2, 18, 55)
    lines = out.splitlines()
    assert [line.split(" 「")[0] for line in lines] == ["created: mixed-quiz", "created: reading-spring"]
    assert "9 questions, 9 per attempt, 15 min, pass mark 60%" in lines[0]
    assert "9 questions, 6 per attempt, 15 min, pass mark 60%" in lines[1]


# --- Re-import ----------------------------------------------------------------------


def test_reimport_replaces_settings_and_questions_when_the_exam_is_unused():
    exam = load_exam_document(small_document())
    new_version = small_document()
    new_version["title"] = "読み取りテスト 改訂版"
    new_version["questions"] = new_version["questions"][:2]
    new_version["questions"][1]["key"] = "q9"

    again = load_exam_document(new_version)

    assert again.pk == exam.pk
    exam.refresh_from_db()
    assert exam.title == "読み取りテスト 改訂版"
    assert list(exam.questions.values_list("key", flat=True)) == ["q1", "q9"]
    assert counts() == (1, 2, 6)


def test_reimport_is_refused_when_the_exam_has_been_taken(taken_exam):
    new_version = changed(small_document(), ("questions", 0, "prompt"), "書きかえた問題")

    [problem] = problems_of(new_version)

    assert problem.startswith('code "reading-test":')
    assert "new code" in problem
    assert list(Question.objects.values_list("prompt", flat=True)) == ["問題1", "問題2", "問題3"]
    assert counts() == (1, 3, 9)


def test_a_taken_exam_can_come_back_under_a_new_code(taken_exam):
    load_exam_document(small_document(code="reading-test-2"))

    assert set(Exam.objects.values_list("code", flat=True)) == {"reading-test", "reading-test-2"}


def test_the_command_imports_nothing_when_one_exam_has_been_taken(taken_exam, tmp_path):
    taken = write(tmp_path, "taken.json", small_document())

    err = run_import_expecting_failure(SAMPLES[0], taken)

    assert 'code "reading-test":' in err
    assert counts() == (1, 3, 9)


# --- Validation ---------------------------------------------------------------------

VIOLATIONS = [
    # (what is wrong, where, the bad value) -> the path expected in the problem
    ("format-wrong", ("format",), "kantoku-exam/3", "format"),
    ("format-missing", ("format",), MISSING, "format"),
    ("code-not-a-slug", ("code",), "reading spring", "code"),
    ("code-too-long", ("code",), "a" * 41, "code"),
    ("code-a-number", ("code",), 7, "code"),
    ("title-missing", ("title",), MISSING, "title"),
    ("title-empty", ("title",), "", "title"),
    ("title-blank", ("title",), "　 ", "title"),
    ("title-too-long", ("title",), "あ" * 201, "title"),
    ("description-a-number", ("description",), 3, "description"),
    ("time-limit-zero", ("time_limit_minutes",), 0, "time_limit_minutes"),
    ("time-limit-too-long", ("time_limit_minutes",), 601, "time_limit_minutes"),
    ("time-limit-a-string", ("time_limit_minutes",), "10", "time_limit_minutes"),
    ("time-limit-a-fraction", ("time_limit_minutes",), 10.0, "time_limit_minutes"),
    ("time-limit-a-boolean", ("time_limit_minutes",), True, "time_limit_minutes"),
    ("time-limit-missing", ("time_limit_minutes",), MISSING, "time_limit_minutes"),
    ("pass-mark-negative", ("pass_mark_percent",), -1, "pass_mark_percent"),
    ("pass-mark-over-100", ("pass_mark_percent",), 101, "pass_mark_percent"),
    ("pass-mark-a-boolean", ("pass_mark_percent",), False, "pass_mark_percent"),
    ("per-attempt-zero", ("questions_per_attempt",), 0, "questions_per_attempt"),
    ("per-attempt-more-than-the-pool", ("questions_per_attempt",), 4, "questions_per_attempt"),
    ("per-attempt-a-boolean", ("questions_per_attempt",), True, "questions_per_attempt"),
    ("questions-empty", ("questions",), [], "questions"),
    ("questions-an-object", ("questions",), {"q1": {}}, "questions"),
    ("question-a-string", ("questions", 1), "問題", "questions[1]"),
    ("key-repeated", ("questions", 2, "key"), "q1", "questions[2].key"),
    ("key-not-a-slug", ("questions", 0, "key"), "問1", "questions[0].key"),
    ("key-too-long", ("questions", 0, "key"), "q" * 41, "questions[0].key"),
    ("key-missing", ("questions", 0, "key"), MISSING, "questions[0].key"),
    ("prompt-missing", ("questions", 1, "prompt"), MISSING, "questions[1].prompt"),
    ("prompt-empty", ("questions", 1, "prompt"), "", "questions[1].prompt"),
    ("prompt-too-long", ("questions", 1, "prompt"), "あ" * 2001, "questions[1].prompt"),
    ("prompt-a-list", ("questions", 1, "prompt"), ["問題"], "questions[1].prompt"),
    ("passage-too-long", ("questions", 2, "passage"), "あ" * 10001, "questions[2].passage"),
    ("passage-null", ("questions", 2, "passage"), None, "questions[2].passage"),
    ("choices-missing", ("questions", 0, "choices"), MISSING, "questions[0].choices"),
    ("choices-only-one", ("questions", 0, "choices"), [{"text": "ア", "correct": True}], "questions[0].choices"),
    (
        "choices-nine",
        ("questions", 0, "choices"),
        [{"text": "ア", "correct": True}, *({"text": str(number)} for number in range(8))],
        "questions[0].choices",
    ),
    ("choices-none-correct", ("questions", 0, "choices", 0, "correct"), False, "questions[0].choices"),
    ("choices-two-correct", ("questions", 0, "choices", 1, "correct"), True, "questions[0].choices"),
    ("correct-a-string", ("questions", 0, "choices", 1, "correct"), "false", "questions[0].choices[1].correct"),
    ("correct-a-number", ("questions", 0, "choices", 1, "correct"), 0, "questions[0].choices[1].correct"),
    ("choice-a-string", ("questions", 0, "choices", 2), "ウ", "questions[0].choices[2]"),
    ("choice-text-missing", ("questions", 1, "choices", 2, "text"), MISSING, "questions[1].choices[2].text"),
    ("choice-text-empty", ("questions", 1, "choices", 2, "text"), " ", "questions[1].choices[2].text"),
    ("choice-text-too-long", ("questions", 1, "choices", 2, "text"), "あ" * 501, "questions[1].choices[2].text"),
    ("choice-text-repeated", ("questions", 1, "choices", 2, "text"), "イ", "questions[1].choices[2].text"),
    ("choice-text-repeated-spaced", ("questions", 1, "choices", 2, "text"), " イ ", "questions[1].choices[2].text"),
    ("unknown-field", ("author",), "山田", "author"),
    ("unknown-question-field", ("questions", 0, "explanation"), "解説", "questions[0].explanation"),
    ("unknown-choice-field", ("questions", 0, "choices", 1, "is_correct"), False, "questions[0].choices[1].is_correct"),
]


@pytest.mark.parametrize(
    ("path", "value", "expected"), [case[1:] for case in VIOLATIONS], ids=[case[0] for case in VIOLATIONS]
)
def test_nothing_is_written_when_a_rule_is_broken(path, value, expected):
    load_exam_document(small_document())  # the version in the catalog, which must survive untouched
    before = counts()

    [problem] = problems_of(changed(small_document(), path, value))

    assert problem.startswith(f"{expected}: ")
    assert counts() == before
    assert Exam.objects.get().title == "読み取りテスト"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("code",), "a" * 40),
        (("title",), "あ" * 200),
        (("description",), MISSING),
        (("time_limit_minutes",), 1),
        (("time_limit_minutes",), 600),
        (("pass_mark_percent",), 0),
        (("pass_mark_percent",), 100),
        (("questions_per_attempt",), 3),
        (("questions", 0, "key"), "Q_1-a"),
        (("questions", 0, "passage"), MISSING),
        (("questions", 0, "passage"), ""),
        (("questions", 0, "passage"), "あ" * 10000),
        (("questions", 0, "prompt"), "あ" * 2000),
        (("questions", 0, "choices", 1, "text"), "あ" * 500),
        (("questions", 0, "choices"), [{"text": "ア", "correct": True}, {"text": "イ"}]),
        (("questions", 0, "choices"), [{"text": str(number), "correct": number == 7} for number in range(8)]),
    ],
)
def test_it_accepts_values_at_the_limits(path, value):
    assert load_exam_document(changed(small_document(), path, value)).questions.count() == 3


def test_it_reports_every_problem_at_once():
    document = changed(small_document(), ("time_limit_minutes",), 0)
    document = changed(document, ("questions", 1, "choices", 0, "text"), "")
    document = changed(document, ("pass_mark_percentage",), 60)

    problems = problems_of(changed(document, ("pass_mark_percent",), MISSING))

    assert [problem.split(":")[0] for problem in problems] == [
        "pass_mark_percent",
        "pass_mark_percentage",
        "time_limit_minutes",
        "questions[1].choices[0].text",
    ]
    assert 'did you mean "pass_mark_percent"?' in problems[1]
    assert counts() == (0, 0, 0)


def test_it_rejects_a_document_that_is_not_an_object():
    assert problems_of([small_document()]) == ["document: must be a JSON object, not a list of 1"]


def test_it_rejects_a_field_given_twice():
    text = json.dumps(small_document(), ensure_ascii=False).replace('"title":', '"title": "一", "title":', 1)

    with pytest.raises(CatalogError) as caught:
        parse_exam_document(read_exam_json(text.encode()))

    assert caught.value.problems == ["title: given more than once"]


# --- The command's files ------------------------------------------------------------


def test_nothing_is_imported_when_the_second_file_is_bad(tmp_path):
    good = write(tmp_path, "good.json", small_document(code="good"))
    bad = write(tmp_path, "bad.json", changed(small_document(code="bad"), ("questions", 2, "choices", 1, "text"), ""))

    err = run_import_expecting_failure(good, bad)

    assert f"{bad}: questions[2].choices[1].text: must be a non-empty string" in err
    assert counts() == (0, 0, 0)


def test_it_prints_the_problems_of_every_file(tmp_path):
    first = write(tmp_path, "first.json", changed(small_document(code="first"), ("title",), ""))
    second = write(tmp_path, "second.json", changed(small_document(code="second"), ("questions_per_attempt",), 9))

    err = run_import_expecting_failure(first, second)

    assert f"{first}: title:" in err
    assert f"{second}: questions_per_attempt:" in err


def test_it_reports_the_line_and_column_of_a_json_syntax_error(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "format": "kantoku-exam/1",\n  "code": "x"\n  "title": "t"\n}\n', encoding="utf-8")

    err = run_import_expecting_failure(SAMPLES[0], broken)

    assert f"{broken}: invalid JSON at line 4, column 3" in err
    assert counts() == (0, 0, 0)


def test_it_accepts_a_byte_order_mark(tmp_path):
    with_bom = tmp_path / "bom.json"
    with_bom.write_bytes(b"\xef\xbb\xbf" + json.dumps(small_document(), ensure_ascii=False).encode())

    run_import(with_bom)

    assert Exam.objects.get().questions.count() == 3


def test_it_rejects_a_file_that_is_not_utf8(tmp_path):
    shift_jis = tmp_path / "sjis.json"
    shift_jis.write_bytes(json.dumps(small_document(), ensure_ascii=False).encode("cp932"))

    err = run_import_expecting_failure(shift_jis)

    assert f"{shift_jis}: not UTF-8 text" in err


def test_it_reports_a_missing_file(tmp_path):
    err = run_import_expecting_failure(SAMPLES[0], tmp_path / "nowhere.json")

    assert f"{tmp_path / 'nowhere.json'}: cannot be read" in err
    assert counts() == (0, 0, 0)


def test_it_refuses_two_files_with_the_same_code(tmp_path):
    first = write(tmp_path, "first.json", small_document())
    second = write(tmp_path, "second.json", small_document())

    err = run_import_expecting_failure(first, second)

    assert f'{second}: code "reading-test" is also the code of {first}' in err
    assert counts() == (0, 0, 0)


def test_dry_run_writes_nothing(tmp_path):
    load_exam_document(small_document())
    fewer_questions = changed(small_document(), ("questions",), small_document()["questions"][:2])
    new_version = write(tmp_path, "new.json", fewer_questions)

    out, _err = run_import("--dry-run", new_version, *SAMPLES)

    assert counts() == (1, 3, 9)
    assert out.splitlines()[0].startswith("would be replaced: reading-test")
    assert out.splitlines()[1].startswith("would be created: mixed-quiz")
    assert out.splitlines()[-1] == "Dry run: nothing was written."


def test_dry_run_still_reports_problems(tmp_path, taken_exam):
    err = run_import_expecting_failure("--dry-run", write(tmp_path, "again.json", small_document()))

    assert 'code "reading-test":' in err
