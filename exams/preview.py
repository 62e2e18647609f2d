"""The author's preview of a version as a pupil sees it (docs/design.md §3).

A preview draws from the version (draft or published) as an attempt would, but writes no row: the draw
lives in the author's browser session (`request.session`), the answers in the page, and the hand-in is
judged here with the scoring an attempt uses (`exams.services.question_points`), and stored nowhere.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from exams.models import AttemptQuestion, Choice, ExamVersion, Question
from exams.scoring import attempt_score
from exams.services import MAX_SHORT_ANSWER_LENGTH, choice_ids_of, draw_questions, question_points, shown_order

SESSION_KEY = "exam_previews"
KEPT_PREVIEWS = 5  # draws kept in the session at once (one per version, the newest ones)


@dataclass(frozen=True)
class PreviewDraw:
    """A preview's draw: which questions, in which order, each with its choice order (choice ids)."""

    token: str
    version_id: int
    rows: tuple[tuple[int, tuple[int, ...]], ...]  # (question id, choice ids in the order shown)

    def as_session(self) -> dict:
        return {"token": self.token, "rows": [[question_id, list(order)] for question_id, order in self.rows]}


def preview_draw(version: ExamVersion) -> PreviewDraw:
    """A fresh draw from the version, as `exams.services.attempts_start` draws an attempt's."""
    questions = list(version.questions.all())
    choice_ids = choice_ids_of(questions)
    rows = [
        (question.id, tuple(shown_order(question, choice_ids.get(question.id, []))))
        for question in draw_questions(questions, version.questions_per_attempt)
    ]
    return PreviewDraw(token=secrets.token_hex(8), version_id=version.pk, rows=tuple(rows))


def preview_keep(session, draw: PreviewDraw) -> None:
    """Keep the draw in the browser session (the newest few versions' draws)."""
    kept = {key: value for key, value in session.get(SESSION_KEY, {}).items() if key != str(draw.version_id)}
    kept[str(draw.version_id)] = draw.as_session()
    session[SESSION_KEY] = dict(list(kept.items())[-KEPT_PREVIEWS:])


def preview_of(session, version: ExamVersion) -> PreviewDraw | None:
    """The version's draw kept in this browser session, if any (its questions still in the version)."""
    kept = session.get(SESSION_KEY, {}).get(str(version.pk))
    if not isinstance(kept, dict):
        return None
    rows = tuple((int(question_id), tuple(int(i) for i in order)) for question_id, order in kept.get("rows", []))
    return PreviewDraw(token=str(kept.get("token", "")), version_id=version.pk, rows=rows)


def preview_question(version: ExamVersion, draw: PreviewDraw, position: int) -> tuple[Question, tuple[int, ...]]:
    """The drawn question at `position` and its choice order; LookupError when there is none."""
    if not 0 <= position < len(draw.rows):
        raise LookupError(position)
    question_id, order = draw.rows[position]
    question = version.questions.select_related("group").filter(pk=question_id).first()
    if question is None:
        raise LookupError(position)
    return question, order


@dataclass(frozen=True)
class PreviewMark:
    number: int
    kind: str
    answered: bool
    points: Fraction


@dataclass(frozen=True)
class PreviewResult:
    score: Decimal
    total: int
    passed: bool
    marks: tuple[PreviewMark, ...]

    @property
    def percent(self) -> int:
        return int(self.score * 100 // self.total) if self.total else 0


def preview_judge(version: ExamVersion, draw: PreviewDraw, answers: object) -> PreviewResult:
    """The score the answers would earn, as an attempt is scored (docs/design.md §3); nothing is stored.

    `answers` is what the page sends: a list of {position, choice} or {position, response}; anything
    else in it is ignored (an answer that is not one counts as no answer).
    """
    given = _answers_by_position(answers)
    questions = {question.pk: question for question in version.questions.all()}
    choices: dict[int, list[Choice]] = {}
    for choice in Choice.objects.filter(question__in=list(questions)).order_by("position", "pk"):
        choices.setdefault(choice.question_id, []).append(choice)
    marks = []
    for position, (question_id, order) in enumerate(draw.rows):
        question = questions.get(question_id)
        if question is None:
            continue
        answer, response = _answer_for(question, len(order), given.get(position))
        # An unsaved row: question_points reads only these fields.
        row = AttemptQuestion(position=position, question=question, choice_order=list(order), answer=answer)
        row.response = response
        marks.append(
            PreviewMark(
                number=position + 1,
                kind=question.get_kind_display(),
                answered=row.is_answered,
                points=question_points(row, choices.get(question_id, [])),
            )
        )
    score = attempt_score(mark.points for mark in marks)
    return PreviewResult(score=score, total=len(marks), passed=version.passes(score, len(marks)), marks=tuple(marks))


def _answers_by_position(answers: object) -> dict[int, dict]:
    if not isinstance(answers, list):
        return {}
    return {
        entry["position"]: entry
        for entry in answers[:1000]
        if isinstance(entry, dict) and type(entry.get("position")) is int
    }


def _answer_for(question: Question, size: int, entry: dict | None) -> tuple[int | None, object]:
    """(answer, response) as an attempt would hold them; None, None for no answer or one that is not one."""
    if entry is None:
        return None, None
    if question.kind == Question.Kind.SINGLE:
        choice = entry.get("choice")
        return (choice, None) if type(choice) is int and 0 <= choice < size else (None, None)
    response = entry.get("response")
    if question.kind == Question.Kind.SHORT:
        valid = isinstance(response, str) and len(response) <= MAX_SHORT_ANSWER_LENGTH
    else:
        valid = (
            isinstance(response, list)
            and all(type(index) is int and 0 <= index < size for index in response)
            and len(set(response)) == len(response)
        )
    return None, (response if valid else None)
