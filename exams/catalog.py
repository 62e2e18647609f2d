"""Importing exams into the catalog from JSON documents (docs/design.md §3, format in docs/exam-format.md).

A document is checked whole before anything is written: `parse_exam_document`
either returns it or raises `CatalogError` listing every problem, each starting
with the JSON path of the field at fault (`questions[3].choices[1].text: ...`),
so an operator can fix a file in one go. `catalog_import` then writes any
number of documents in one transaction. Content already used in attempts never
changes under them: such an exam is refused and must come back under a new code.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from exams.models import Choice, Exam, ExamVersion, Question

FORMAT = "kantoku-exam/1"

CODE_MAX_LENGTH = 40
TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 2000
PROMPT_MAX_LENGTH = 2000
PASSAGE_MAX_LENGTH = 10000
CHOICE_MAX_LENGTH = 500
MIN_CHOICES, MAX_CHOICES = 2, 8
MAX_QUESTIONS = 1000
MAX_QUESTIONS_PER_ATTEMPT = 200  # Exam.questions_per_attempt's validator
TIME_LIMIT_RANGE = (1, 600)
PASS_MARK_RANGE = (0, 100)

SLUG_RE = re.compile(r"[-a-zA-Z0-9_]+\Z")  # what Django's SlugField accepts

# field name -> required?
EXAM_FIELDS = {
    "format": True,
    "code": True,
    "title": True,
    "description": False,
    "time_limit_minutes": True,
    "questions_per_attempt": True,
    "pass_mark_percent": True,
    "questions": True,
}
QUESTION_FIELDS = {"key": True, "passage": False, "prompt": True, "choices": True}
CHOICE_FIELDS = {"text": True, "correct": False}


class CatalogError(Exception):
    """A document (or a set of them) cannot be imported; `problems` says every reason."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ChoiceSpec:
    text: str
    correct: bool


@dataclass(frozen=True)
class QuestionSpec:
    key: str
    passage: str
    prompt: str
    choices: tuple[ChoiceSpec, ...]


@dataclass(frozen=True)
class ExamDocument:
    """A checked document: every rule of the format holds."""

    code: str
    title: str
    description: str
    time_limit_minutes: int
    questions_per_attempt: int
    pass_mark_percent: int
    questions: tuple[QuestionSpec, ...]


@dataclass(frozen=True)
class ImportResult:
    document: ExamDocument
    replaced: bool  # an exam with this code existed and its questions were replaced
    exam: Exam | None  # None in a dry run


class _JsonObject(dict):
    """A JSON object that remembers keys given more than once (json keeps only the last silently)."""

    repeated: tuple[str, ...] = ()


def _json_object(pairs: list[tuple[str, object]]) -> _JsonObject:
    result = _JsonObject(pairs)
    if len(result) < len(pairs):
        names = [name for name, _value in pairs]
        result.repeated = tuple(sorted({name for name in names if names.count(name) > 1}))
    return result


def read_exam_json(raw: bytes) -> object:
    """The JSON value of a UTF-8 file (a byte order mark is allowed), or CatalogError saying where it breaks."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CatalogError([f"not UTF-8 text (invalid byte at offset {error.start})"]) from None
    try:
        return json.loads(text, object_pairs_hook=_json_object)
    except json.JSONDecodeError as error:
        raise CatalogError([f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"]) from None
    except RecursionError:
        raise CatalogError(["invalid JSON: nested too deeply"]) from None


def load_exam_document(data: object) -> Exam:
    """Check one document and write it (creating the exam or replacing its questions)."""
    [result] = catalog_import(documents=[parse_exam_document(data)])
    return result.exam


# --- Checking ---------------------------------------------------------------------


def parse_exam_document(data: object) -> ExamDocument:
    """The document, checked against every rule of the format; CatalogError lists all problems found."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise CatalogError([f"document: must be a JSON object, not {_kind(data)}"])
    _check_fields(data, "", EXAM_FIELDS, problems)

    if "format" in data and data["format"] != FORMAT:
        problems.append(f'format: must be "{FORMAT}"{_got(data["format"])}')
    code = _slug(data, "code", "", problems)
    title = _text(data, "title", "", problems, max_length=TITLE_MAX_LENGTH)
    description = _text(data, "description", "", problems, max_length=DESCRIPTION_MAX_LENGTH, optional=True)
    time_limit = _integer(data, "time_limit_minutes", "", problems, *TIME_LIMIT_RANGE)
    per_attempt = _integer(data, "questions_per_attempt", "", problems, 1, MAX_QUESTIONS_PER_ATTEMPT)
    pool = len(data["questions"]) if isinstance(data.get("questions"), list) else 0
    if per_attempt is not None and 0 < pool < per_attempt:
        problems.append(f"questions_per_attempt: must not be more than the number of questions ({pool})")
    pass_mark = _integer(data, "pass_mark_percent", "", problems, *PASS_MARK_RANGE)
    questions = _questions(data, problems)

    if problems:
        raise CatalogError(problems)
    return ExamDocument(
        code=code,
        title=title,
        description=description,
        time_limit_minutes=time_limit,
        questions_per_attempt=per_attempt,
        pass_mark_percent=pass_mark,
        questions=tuple(questions),
    )


def _questions(data: dict, problems: list[str]) -> list[QuestionSpec]:
    if "questions" not in data:
        return []
    questions = data["questions"]
    if not isinstance(questions, list) or not 1 <= len(questions) <= MAX_QUESTIONS:
        problems.append(f"questions: must be a list of 1 to {MAX_QUESTIONS} questions{_got(questions)}")
        return []
    checked = []
    first_with_key: dict[str, int] = {}
    for index, question in enumerate(questions):
        path = f"questions[{index}]"
        if not isinstance(question, dict):
            problems.append(f"{path}: must be an object, not {_kind(question)}")
            continue
        _check_fields(question, path, QUESTION_FIELDS, problems)
        key = _slug(question, "key", path, problems)
        if key is not None:
            if key in first_with_key:
                problems.append(f'{path}.key: "{key}" is already the key of questions[{first_with_key[key]}]')
            first_with_key.setdefault(key, index)
        passage = _text(question, "passage", path, problems, max_length=PASSAGE_MAX_LENGTH, optional=True)
        prompt = _text(question, "prompt", path, problems, max_length=PROMPT_MAX_LENGTH)
        choices = _choices(question, path, problems)
        checked.append(QuestionSpec(key=key, passage=passage, prompt=prompt, choices=tuple(choices)))
    return checked


def _choices(question: dict, path: str, problems: list[str]) -> list[ChoiceSpec]:
    if "choices" not in question:
        return []
    choices = question["choices"]
    path = f"{path}.choices"
    if not isinstance(choices, list) or not MIN_CHOICES <= len(choices) <= MAX_CHOICES:
        problems.append(f"{path}: must be a list of {MIN_CHOICES} to {MAX_CHOICES} choices{_got(choices)}")
        return []
    checked = []
    first_with_text: dict[str, int] = {}
    all_readable = True
    for index, choice in enumerate(choices):
        choice_path = f"{path}[{index}]"
        if not isinstance(choice, dict):
            problems.append(f"{choice_path}: must be an object, not {_kind(choice)}")
            all_readable = False
            continue
        _check_fields(choice, choice_path, CHOICE_FIELDS, problems)
        text = _text(choice, "text", choice_path, problems, max_length=CHOICE_MAX_LENGTH)
        if text is not None:
            if text in first_with_text:
                problems.append(f"{choice_path}.text: same text as {path}[{first_with_text[text]}]")
            first_with_text.setdefault(text, index)
        correct = choice.get("correct", False)
        if not isinstance(correct, bool):
            problems.append(f"{choice_path}.correct: must be true or false{_got(correct)}")
            all_readable = False
        checked.append(ChoiceSpec(text=text, correct=correct is True))
    marked = sum(choice.correct for choice in checked)
    if all_readable and marked != 1:
        problems.append(f'{path}: exactly one choice must have "correct": true (found {marked})')
    return checked


def _check_fields(data: dict, path: str, fields: dict[str, bool], problems: list[str]) -> None:
    problems.extend(f"{_join(path, name)}: given more than once" for name in getattr(data, "repeated", ()))
    for name, required in fields.items():
        if required and name not in data:
            problems.append(f"{_join(path, name)}: required")
    for name in data:
        if name not in fields:
            guess = difflib.get_close_matches(name, fields, n=1)
            hint = f' (did you mean "{guess[0]}"?)' if guess else f" (allowed: {', '.join(fields)})"
            problems.append(f"{_join(path, name)}: unknown field{hint}")


def _text(data: dict, name: str, path: str, problems: list[str], *, max_length: int, optional: bool = False):
    """The field's text without surrounding white space; an optional field may be missing or empty."""
    if name not in data:
        return "" if optional else None
    value = data[name]
    text = value.strip() if isinstance(value, str) else None
    if text is None or len(text) > max_length or (not text and not optional):
        requirement = "a string" if optional else "a non-empty string"
        got = f" (got {len(text)} characters)" if text else _got(value)
        problems.append(f"{_join(path, name)}: must be {requirement} of at most {max_length} characters{got}")
        return None
    return text


def _slug(data: dict, name: str, path: str, problems: list[str]) -> str | None:
    if name not in data:
        return None
    value = data[name]
    if not isinstance(value, str) or not SLUG_RE.match(value) or len(value) > CODE_MAX_LENGTH:
        problems.append(
            f'{_join(path, name)}: must be a slug of at most {CODE_MAX_LENGTH} characters (letters a–z, digits, "-" '
            f'and "_"){_got(value)}'
        )
        return None
    return value


def _integer(data: dict, name: str, path: str, problems: list[str], low: int, high: int) -> int | None:
    if name not in data:
        return None
    value = data[name]
    # bool is a subclass of int in Python, but `true` is not a number in JSON.
    if type(value) is not int or not low <= value <= high:
        problems.append(f"{_join(path, name)}: must be a whole number from {low} to {high}{_got(value)}")
        return None
    return value


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return "an object"


def _got(value: object) -> str:
    if type(value) in (int, float):
        return f" (got {value})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:40] + "…"
        return f" (got {json.dumps(shown, ensure_ascii=False)})" if value.strip() else " (got an empty string)"
    return f" (got {_kind(value)})"


# --- Writing ----------------------------------------------------------------------


def catalog_import(*, documents: Sequence[ExamDocument], dry_run: bool = False) -> list[ImportResult]:
    """Write every document in one transaction, or none of them.

    A document whose code exists replaces that exam's settings and questions,
    unless the exam has been taken in an attempt: then CatalogError, for every
    such exam, and nothing is written. With `dry_run`, the same checks run and
    nothing is written either way.
    """
    codes = [document.code for document in documents]
    repeated = sorted({code for code in codes if codes.count(code) > 1})
    if repeated:
        raise CatalogError([f'code "{code}": given by more than one document' for code in repeated])
    with transaction.atomic():
        # The lock keeps two imports of the same exam apart.
        existing = {exam.code: exam for exam in Exam.objects.select_for_update().filter(code__in=codes)}
        used = set(Exam.objects.filter(code__in=codes, attempts__isnull=False).values_list("code", flat=True))
        if used:
            raise CatalogError(
                [
                    f'code "{code}": the exam 「{existing[code].title}」 has been taken in attempts, so its content '
                    "must not change; import the new version under a new code (and mark the old exam as not "
                    "available in the operator console)"
                    for code in sorted(used)
                ]
            )
        return [
            ImportResult(
                document=document,
                replaced=document.code in existing,
                exam=None if dry_run else _write(document, existing.get(document.code)),
            )
            for document in documents
        ]


def _write(document: ExamDocument, exam: Exam | None) -> Exam:
    settings = {
        "title": document.title,
        "description": document.description,
        "time_limit_minutes": document.time_limit_minutes,
        "questions_per_attempt": document.questions_per_attempt,
        "pass_mark_percent": document.pass_mark_percent,
    }
    if exam is None:
        exam = Exam.objects.create(code=document.code, **settings)
    else:
        for name, value in settings.items():
            setattr(exam, name, value)
        exam.save(update_fields=list(settings))
        exam.versions.all().delete()  # cascades to questions and choices; no attempt refers to them (checked above)
    version = ExamVersion.objects.create(
        exam=exam, number=1, status=ExamVersion.Status.PUBLISHED, published_at=timezone.now(), **settings
    )
    for position, spec in enumerate(document.questions):
        question = Question.objects.create(
            exam=exam, version=version, key=spec.key, passage=spec.passage, prompt=spec.prompt, position=position
        )
        Choice.objects.bulk_create(
            Choice(question=question, text=choice.text, is_correct=choice.correct, position=index)
            for index, choice in enumerate(spec.choices)
        )
    return exam
