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

from badges import services as badge_services
from exams.models import Choice, Exam, ExamVersion, Passage, Question

FORMAT_V1 = "kantoku-exam/1"
FORMAT = "kantoku-exam/2"  # what export_exam writes; both are read
FORMATS = (FORMAT_V1, FORMAT)

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
# Format 2 (docs/exam-format.md): passages of their own, and a `type` per question with its own fields.
EXAM_FIELDS_V2 = {**EXAM_FIELDS, "passages": False}
PASSAGE_FIELDS = {"key": True, "title": False, "text": True}
QUESTION_FIELDS_V2 = {
    "single": {"key": True, "type": False, "passage": False, "prompt": True, "choices": True},
    "multiple": {"key": True, "type": True, "passage": False, "prompt": True, "choices": True, "credit": False},
    "short": {"key": True, "type": True, "passage": False, "prompt": True, "accepted": True},
    "ordering": {"key": True, "type": True, "passage": False, "prompt": True, "items": True},
}
CREDITS = ("all", "partial")
MAX_ACCEPTED, ACCEPTED_MAX_LENGTH = 20, 200
MIN_ITEMS, MAX_ITEMS = 3, 6
MAX_PASSAGES = MAX_QUESTIONS  # a passage needs a question; a format 1 export writes one per question


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
class PassageSpec:
    key: str
    title: str
    text: str


@dataclass(frozen=True)
class QuestionSpec:
    key: str
    passage: str  # format 1: the passage's text; format 2: the key of one of the document's passages
    prompt: str
    choices: tuple[ChoiceSpec, ...]  # an ordering question's items, in the right order
    kind: str = "single"
    credit: str = "all"
    accepted: tuple[str, ...] = ()


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
    passages: tuple[PassageSpec, ...] = ()
    format: str = FORMAT_V1


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
    version = data.get("format")
    _check_fields(data, "", EXAM_FIELDS_V2 if version == FORMAT else EXAM_FIELDS, problems)

    if "format" in data and version not in FORMATS:
        problems.append(f'format: must be "{FORMAT}" or "{FORMAT_V1}"{_got(version)}')
    code = _slug(data, "code", "", problems)
    title = _text(data, "title", "", problems, max_length=TITLE_MAX_LENGTH)
    description = _text(data, "description", "", problems, max_length=DESCRIPTION_MAX_LENGTH, optional=True)
    time_limit = _integer(data, "time_limit_minutes", "", problems, *TIME_LIMIT_RANGE)
    per_attempt = _integer(data, "questions_per_attempt", "", problems, 1, MAX_QUESTIONS_PER_ATTEMPT)
    pool = len(data["questions"]) if isinstance(data.get("questions"), list) else 0
    if per_attempt is not None and 0 < pool < per_attempt:
        problems.append(f"questions_per_attempt: must not be more than the number of questions ({pool})")
    pass_mark = _integer(data, "pass_mark_percent", "", problems, *PASS_MARK_RANGE)
    passages = _passages(data, problems) if version == FORMAT else []
    questions = _questions(data, problems, version == FORMAT, {passage.key for passage in passages})

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
        passages=tuple(passages),
        format=version,
    )


def _passages(data: dict, problems: list[str]) -> list[PassageSpec]:
    passages = data.get("passages", [])
    if not isinstance(passages, list) or len(passages) > MAX_PASSAGES:
        problems.append(f"passages: must be a list of at most {MAX_PASSAGES} passages{_got(passages)}")
        return []
    checked, keys = [], set()
    for index, passage in enumerate(passages):
        path = f"passages[{index}]"
        if not isinstance(passage, dict):
            problems.append(f"{path}: must be an object, not {_kind(passage)}")
            continue
        _check_fields(passage, path, PASSAGE_FIELDS, problems)
        key = _slug(passage, "key", path, problems)
        if key in keys:
            problems.append(f'{path}.key: "{key}" is the key of an earlier passage')
        keys.add(key)
        title = _text(passage, "title", path, problems, max_length=TITLE_MAX_LENGTH, optional=True)
        text = _text(passage, "text", path, problems, max_length=PASSAGE_MAX_LENGTH)
        checked.append(PassageSpec(key=key, title=title, text=text))
    return checked


def _questions(
    data: dict, problems: list[str], v2: bool = False, passage_keys: set | None = None
) -> list[QuestionSpec]:
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
        spec = (
            _question_v2(question, path, problems, passage_keys or set())
            if v2
            else _question_v1(question, path, problems)
        )
        if spec.key is not None:
            if spec.key in first_with_key:
                problems.append(f'{path}.key: "{spec.key}" is already the key of questions[{first_with_key[spec.key]}]')
            first_with_key.setdefault(spec.key, index)
        checked.append(spec)
    return checked


def _question_v1(question: dict, path: str, problems: list[str]) -> QuestionSpec:
    _check_fields(question, path, QUESTION_FIELDS, problems)
    key = _slug(question, "key", path, problems)
    passage = _text(question, "passage", path, problems, max_length=PASSAGE_MAX_LENGTH, optional=True)
    prompt = _text(question, "prompt", path, problems, max_length=PROMPT_MAX_LENGTH)
    choices = _choices(question, path, problems)
    return QuestionSpec(key=key, passage=passage, prompt=prompt, choices=tuple(choices))


def _question_v2(question: dict, path: str, problems: list[str], passage_keys: set) -> QuestionSpec:
    kind = question.get("type", "single")
    if kind not in QUESTION_FIELDS_V2:
        problems.append(f"{path}.type: must be one of {', '.join(QUESTION_FIELDS_V2)}{_got(kind)}")
        return QuestionSpec(key=None, passage="", prompt="", choices=())
    _check_fields(question, path, QUESTION_FIELDS_V2[kind], problems)
    key = _slug(question, "key", path, problems)
    passage = question.get("passage", "")
    if passage and passage not in passage_keys:
        problems.append(f"{path}.passage: must be the key of one of the passages{_got(passage)}")
    prompt = _text(question, "prompt", path, problems, max_length=PROMPT_MAX_LENGTH)
    credit = question.get("credit", "all")
    if credit not in CREDITS:
        problems.append(f'{path}.credit: must be "all" or "partial"{_got(credit)}')
    choices, accepted = [], []
    if kind in ("single", "multiple"):
        choices = _choices(question, path, problems, exactly_one=kind == "single")
    elif kind == "ordering":
        choices = _items(question, path, problems)
    else:
        accepted = _accepted(question, path, problems)
    return QuestionSpec(
        key=key,
        passage=passage if isinstance(passage, str) else "",
        prompt=prompt,
        choices=tuple(choices),
        kind=kind,
        credit=credit,
        accepted=tuple(accepted),
    )


def _items(question: dict, path: str, problems: list[str]) -> list[ChoiceSpec]:
    items = question.get("items")
    valid = isinstance(items, list) and MIN_ITEMS <= len(items) <= MAX_ITEMS
    texts = [item.strip() for item in items if isinstance(item, str)] if valid else []
    if not valid or len(texts) != len(items) or not all(texts) or len(set(texts)) != len(texts):
        problems.append(
            f"{path}.items: must be a list of {MIN_ITEMS} to {MAX_ITEMS} different texts, in the right order"
            f"{_got(items)}"
        )
        return []
    return [ChoiceSpec(text=text[:CHOICE_MAX_LENGTH], correct=False) for text in texts]


def _accepted(question: dict, path: str, problems: list[str]) -> list[str]:
    accepted = question.get("accepted")
    valid = isinstance(accepted, list) and 1 <= len(accepted) <= MAX_ACCEPTED
    texts = [text.strip() for text in accepted if isinstance(text, str)] if valid else []
    if not valid or len(texts) != len(accepted) or not all(texts) or max(map(len, texts)) > ACCEPTED_MAX_LENGTH:
        problems.append(
            f"{path}.accepted: must be a list of 1 to {MAX_ACCEPTED} non-empty answers of at most "
            f"{ACCEPTED_MAX_LENGTH} characters{_got(accepted)}"
        )
        return []
    return texts


def _choices(question: dict, path: str, problems: list[str], *, exactly_one: bool = True) -> list[ChoiceSpec]:
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
    if all_readable and exactly_one and marked != 1:
        problems.append(f'{path}: exactly one choice must have "correct": true (found {marked})')
    elif all_readable and marked < 1:
        problems.append(f'{path}: at least one choice must have "correct": true')
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
    unless the exam has been used in a session: then CatalogError, for every
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
        # A session pins a version (docs/design.md §3): even one nobody started yet keeps it.
        used = set(Exam.objects.filter(code__in=codes, sessions__isnull=False).values_list("code", flat=True))
        if used:
            raise CatalogError(
                [
                    f'code "{code}": the exam 「{existing[code].title}」 has been used in test sessions, '
                    "so its content must not change; import the new version under a new code (and mark the old "
                    "exam as not available in the operator console)"
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
    _write_content(document, exam, version)
    if exam.organization_id is None:  # an operator test always awards the operator's badge (docs/design.md §12)
        badge_services.operator_achievement(version)
    return exam


def _write_content(document: ExamDocument, exam: Exam, version: ExamVersion) -> None:
    """The document's passages and questions, into an empty version."""
    passages = {
        spec.key: Passage.objects.create(version=version, key=spec.key, title=spec.title, text=spec.text, position=i)
        for i, spec in enumerate(document.passages)
    }
    v2 = document.format == FORMAT
    for position, spec in enumerate(document.questions):
        question = Question.objects.create(
            exam=exam,
            version=version,
            key=spec.key,
            passage="" if v2 else spec.passage,
            group=passages.get(spec.passage) if v2 else None,
            kind=spec.kind,
            credit=spec.credit,
            accepted_answers=list(spec.accepted),
            prompt=spec.prompt,
            position=position,
        )
        Choice.objects.bulk_create(
            Choice(question=question, text=choice.text, is_correct=choice.correct, position=index)
            for index, choice in enumerate(spec.choices)
        )


def catalog_import_draft(*, document: ExamDocument, organization, created_by=None) -> Exam:
    """A new test from a checked document, as a draft (version 1) in `organization`'s catalog (None: the
    operator's): the browser's import (docs/exam-format.md). Nothing existing is replaced: when the code is
    taken, the first free `code-2`, `code-3`… is used. Call inside a transaction.
    """
    settings = {
        "title": document.title,
        "description": document.description,
        "time_limit_minutes": document.time_limit_minutes,
        "questions_per_attempt": document.questions_per_attempt,
        "pass_mark_percent": document.pass_mark_percent,
    }
    exam = Exam.objects.create(
        organization=organization, created_by=created_by, code=free_code(document.code), **settings
    )
    _write_content(document, exam, ExamVersion.objects.create(exam=exam, number=1, **settings))
    return exam


def free_code(code: str) -> str:
    """`code` if no exam has it, else the first free `code-n` (n from 2), within the code's length."""
    taken = set(Exam.objects.filter(code__startswith=code[: CODE_MAX_LENGTH - 4]).values_list("code", flat=True))
    candidate, number = code, 1
    while candidate in taken:
        number += 1
        suffix = f"-{number}"
        candidate = code[: CODE_MAX_LENGTH - len(suffix)] + suffix
    return candidate


# --- Exporting --------------------------------------------------------------------


def export_exam_document(version: ExamVersion) -> dict:
    """A version as a format 2 document, which imports back to the same content (docs/exam-format.md).

    A question imported from format 1 keeps its own passage text (`Question.passage`): it is written
    as a passage of its own that only this question stands under, so it is still shown with that
    question and drawn alone (docs/design.md §3, passages).
    """
    document = {"format": FORMAT, "code": version.exam.code}
    document.update({name: getattr(version, name) for name in ExamVersion.SETTINGS})
    passages = [
        {"key": passage.key, **({"title": passage.title} if passage.title else {}), "text": passage.text}
        for passage in version.passages.all()
    ]
    used_keys = {passage["key"] for passage in passages}
    questions = []
    for question in version.questions.select_related("group").prefetch_related("choices"):
        own_passage = None
        if not question.group_id and question.passage.strip():
            own_passage = _own_passage_key(question.key, used_keys)
            passages.append({"key": own_passage, "text": question.passage.strip()})
        questions.append(_export_question(question, own_passage))
    document["passages"] = passages
    document["questions"] = questions
    if not document["description"]:
        del document["description"]
    return document


def _own_passage_key(question_key: str, used_keys: set[str]) -> str:
    """A passage key for a format 1 question's own text: `<question key>-text`, unique in the document."""
    number = 1
    while True:
        suffix = "-text" if number == 1 else f"-text{number}"
        key = question_key[: CODE_MAX_LENGTH - len(suffix)] + suffix
        if key not in used_keys:
            used_keys.add(key)
            return key
        number += 1


def _export_question(question: Question, own_passage: str | None = None) -> dict:
    exported = {"key": question.key, "type": question.kind}
    if question.group_id:
        exported["passage"] = question.group.key
    elif own_passage:
        exported["passage"] = own_passage
    exported["prompt"] = question.prompt
    choices = list(question.choices.all())
    if question.kind == Question.Kind.SHORT:
        exported["accepted"] = list(question.accepted_answers)
    elif question.kind == Question.Kind.ORDERING:
        exported["items"] = [choice.text for choice in choices]
    else:
        exported["choices"] = [{"text": c.text, **({"correct": True} if c.is_correct else {})} for c in choices]
    if question.kind == Question.Kind.MULTIPLE:
        exported["credit"] = question.credit
    return exported
