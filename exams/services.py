"""Attempts: drawing questions, saving answers, finishing and scoring exactly once.

The server keeps the clock. Every change here happens in one transaction
holding the attempt's row lock, so a submit, the deadline and the proctor's
end can race freely: the first to take the lock finishes the attempt, the
others see it finished and change nothing.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from badges import services as badge_services
from classrooms.access import roster_of
from config.errors import ServiceError
from exams import scoring
from exams.models import Attempt, AttemptQuestion, Choice, Question
from proctoring import realtime
from proctoring.models import ProctoredSession

_random = random.SystemRandom()

# An AttemptQuestion with an answer of any kind.
ANSWERED = Q(answer__isnull=False) | Q(response__isnull=False)


def _lock_session_of(attempt: Attempt) -> None:
    """Take the session's row lock before the attempt's.

    Every change that announces an event needs the session row (its seq), so
    every path locks session first, then attempt: a submit racing the deadline
    and the proctor's end cannot deadlock.
    """
    ProctoredSession.objects.select_for_update().filter(pk=attempt.session_id).values_list("pk", flat=True).get()


def attempt_start(*, session, examinee, now: datetime.datetime | None = None) -> tuple[Attempt, bool]:
    """The examinee's attempt in this session, created with its own draw if it does not exist.

    Returns (attempt, created). Idempotent: a reconnect or a second device gets
    the same attempt. Call inside a transaction that holds the session's lock.
    """
    existing = Attempt.objects.filter(session=session, examinee=examinee).first()
    if existing is not None:
        return existing, False
    [attempt] = attempts_start(session=session, examinee_ids=[examinee.pk], now=now)
    return attempt, True


def attempts_start(*, session, examinee_ids: list[int], now: datetime.datetime | None = None) -> list[Attempt]:
    """New attempts, each with its own draw, for examinees of the session who have none yet (the
    start of a class: a constant number of queries for 40). Returns the ones created. Call inside
    a transaction that holds the session's lock.
    """
    now = now or timezone.now()
    have = set(
        Attempt.objects.filter(session=session, examinee_id__in=examinee_ids).values_list("examinee_id", flat=True)
    )
    new_ids = [examinee_id for examinee_id in dict.fromkeys(examinee_ids) if examinee_id not in have]
    if not new_ids:
        return []
    version = session.version
    questions = list(version.questions.all())
    choice_ids = choice_ids_of(questions)
    draws = [draw_questions(questions, version.questions_per_attempt) for _ in new_ids]
    # A pupil's standing accommodation from the roster stretches their time limit (docs/design.md §4).
    multipliers = dict(
        roster_of(session.school_class).filter(examinee_id__in=new_ids).values_list("examinee_id", "time_multiplier")
    )
    attempts = Attempt.objects.bulk_create(
        Attempt(
            session=session,
            examinee_id=examinee_id,
            exam_id=version.exam_id,
            version=version,
            started_at=now,
            deadline=now + version.time_limit * float(multipliers.get(examinee_id, 1)),
            total=len(drawn),
        )
        for examinee_id, drawn in zip(new_ids, draws, strict=True)
    )
    rows = []
    for attempt, drawn in zip(attempts, draws, strict=True):
        for position, question in enumerate(drawn):
            order = shown_order(question, choice_ids.get(question.id, []))
            rows.append(AttemptQuestion(attempt=attempt, position=position, question=question, choice_order=order))
    AttemptQuestion.objects.bulk_create(rows)
    return attempts


def choice_ids_of(questions: list) -> dict[int, list[int]]:
    """Each question's choice ids in their authored order (for ordering questions, the right order)."""
    choice_ids: dict[int, list[int]] = {}
    for choice in Choice.objects.filter(question__in=questions).only("id", "question_id"):
        choice_ids.setdefault(choice.question_id, []).append(choice.id)
    return choice_ids


def shown_order(question, choice_ids: list[int]) -> list[int]:
    """The choices in a random order for one pupil. An ordering question is never shown already in its
    right order: the pupil would have nothing to do, and could not tell the page it is their answer.
    """
    order = choice_ids[:]
    _random.shuffle(order)
    if question.kind == Question.Kind.ORDERING and len(order) > 1:
        while order == choice_ids:
            _random.shuffle(order)
    return order


def draw_questions(questions: list, count: int) -> list:
    """A random draw of `count` questions; the questions of one passage come together (docs/design.md §3).

    Units (a lone question, or a passage with all its questions in their order) are taken in a random
    order; a unit that would go past `count` is passed over, so a draw may hold fewer questions
    when passages do not fit exactly.
    """
    units: dict[tuple[str, int], list] = {}
    for question in sorted(questions, key=lambda question: (question.position, question.pk)):
        unit = ("passage", question.group_id) if question.group_id else ("question", question.pk)
        units.setdefault(unit, []).append(question)
    order = list(units.values())
    _random.shuffle(order)
    drawn: list = []
    for unit in order:
        if len(drawn) + len(unit) <= count:
            drawn.extend(unit)
    return drawn


@dataclass(frozen=True)
class SaveOutcome:
    """What became of one answer save: `applied` is False for a stale (older) save."""

    attempt: Attempt
    position: int
    applied: bool


def answer_save(
    *, attempt: Attempt, position: int, seq: int, choice: int | None = None, response: object = None
) -> SaveOutcome:
    """Record the examinee's answer to one question.

    Idempotent and ordered: `seq` is the browser's per-attempt sequence number;
    the answer with the highest seq wins, whatever order the saves arrive in.
    A single-choice answer is `choice`, an index into the question's choice
    order; the other kinds give `response` (docs/design.md §3): multiple choice
    a list of distinct indexes, ordering every index once in the pupil's order,
    short answer the text. None clears the answer.
    Past the deadline nothing is saved and the attempt is finished instead.
    """
    with transaction.atomic():
        _lock_session_of(attempt)
        attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
        refusal = _refusal(attempt)
        applied = False
        if refusal is None:
            row = attempt.questions.select_for_update().select_related("question").filter(position=position).first()
            refusal = _answer_refusal(row, choice, response)
            if refusal is None and seq > row.save_seq:
                applied = True
                _apply_answer(attempt, row, choice, response, seq)
    if refusal is not None:
        if refusal.code == "time_up":
            attempt_finish(attempt=attempt, reason=Attempt.FinishReason.DEADLINE)
        raise refusal
    return SaveOutcome(attempt=attempt, position=position, applied=applied)


MAX_SHORT_ANSWER_LENGTH = 200


def _answer_refusal(row: AttemptQuestion | None, choice: int | None, response: object) -> ServiceError | None:
    if row is None:
        return ServiceError(_("There is no such question."), code="bad_question")
    size, kind = len(row.choice_order), row.question.kind
    if kind == Question.Kind.SINGLE:
        valid = choice is None or 0 <= choice < size
    elif response is None:
        valid = True
    elif kind == Question.Kind.SHORT:
        valid = isinstance(response, str) and len(response) <= MAX_SHORT_ANSWER_LENGTH
    else:
        indexes = response if isinstance(response, list) else None
        valid = (
            indexes is not None
            and all(type(index) is int and 0 <= index < size for index in indexes)
            and len(set(indexes)) == len(indexes)
            and (kind != Question.Kind.ORDERING or len(indexes) == size)
        )
    return None if valid else ServiceError(_("There is no such choice."), code="bad_choice")


def _apply_answer(attempt: Attempt, row: AttemptQuestion, choice: int | None, response: object, seq: int) -> None:
    was_answered = row.is_answered
    row.answer, row.response = (choice, None) if row.question.kind == Question.Kind.SINGLE else (None, response)
    row.save_seq, row.answered_at = seq, timezone.now()
    row.save(update_fields=["answer", "response", "save_seq", "answered_at"])
    if was_answered != row.is_answered:  # the answered count changed
        answered = attempt.questions.filter(ANSWERED).count()
        session = ProctoredSession(pk=attempt.session_id)  # its number and group are all it takes
        realtime.announce_progress(session, attempt.examinee_id, answered, attempt.total)


def _refusal(attempt: Attempt) -> ServiceError | None:
    if attempt.status == Attempt.Status.FINISHED:
        return ServiceError(_("This test is over: your answers were handed in."), code="finished")
    if attempt.status == Attempt.Status.PAUSED:
        return ServiceError(_("Your teacher has paused your test. Wait a moment."), code="paused")
    if attempt.is_past_deadline():
        return ServiceError(_("Time is up: your answers were handed in."), code="time_up")
    return None


def _score(attempt: Attempt) -> Decimal:
    """Each question earns 0 to 1 (exams/scoring.py); the score is their sum to two decimals."""
    rows = list(attempt.questions.select_related("question"))
    choices: dict[int, list[Choice]] = {}
    for choice in Choice.objects.filter(question__in=[row.question_id for row in rows]).order_by("position", "pk"):
        choices.setdefault(choice.question_id, []).append(choice)
    return scoring.attempt_score(question_points(row, choices.get(row.question_id, [])) for row in rows)


def question_points(row: AttemptQuestion, choices: list[Choice]) -> Fraction:
    """The points one drawn question earned, from its answer in the examinee's choice order."""
    question, order = row.question, row.choice_order
    correct = [choice.id for choice in choices if choice.is_correct]
    if question.kind == Question.Kind.SINGLE:
        return scoring.score_single(correct_ids=correct, chosen_id=scoring.chosen_choice(order, row.answer))
    if question.kind == Question.Kind.SHORT:
        return scoring.score_short(accepted=question.accepted_answers, text=_text_response(row.response))
    picked = scoring.picked_choices(order, row.response)
    if question.kind == Question.Kind.MULTIPLE:
        partial = question.credit == Question.Credit.PARTIAL
        return scoring.score_multiple(correct_ids=correct, chosen_ids=picked or [], partial=partial)
    return scoring.score_ordering(right_order=[choice.id for choice in choices], given_order=picked)


def _text_response(response) -> str | None:
    return response if isinstance(response, str) else None


def attempt_finish(*, attempt: Attempt, reason: str, now: datetime.datetime | None = None) -> bool:
    """Finish and score the attempt unless it is finished already. Returns whether this call finished it.

    Exactly once: the row lock serializes racing callers (submit, deadline,
    session end), and only the first finds it open.
    """
    now = now or timezone.now()
    with transaction.atomic():
        _lock_session_of(attempt)
        attempt = Attempt.objects.select_for_update().select_related("version", "session").get(pk=attempt.pk)
        if attempt.status == Attempt.Status.FINISHED:
            return False
        if reason == Attempt.FinishReason.DEADLINE:
            now = min(now, attempt.deadline)
        score = _score(attempt)
        attempt.status = Attempt.Status.FINISHED
        attempt.finished_at = now
        attempt.finish_reason = reason
        attempt.score = score
        attempt.passed = attempt.version.passes(score, attempt.total)
        attempt.paused_at = None
        attempt.save(update_fields=["status", "finished_at", "finish_reason", "score", "passed", "paused_at"])
        if attempt.passed and reason != Attempt.FinishReason.REVOKED:
            # The badge with its status index, in this transaction; signed after the commit (§12).
            badge_services.award_for_result(attempt=attempt, now=now)
        realtime.announce_tile(attempt.session, attempt.examinee_id)
        realtime.tell_examinee(attempt.session, attempt.examinee_id, {"type": "ended", "reason": reason})
    return True


def attempt_finish_if_due(*, attempt: Attempt, now: datetime.datetime | None = None) -> bool:
    """Finish an attempt whose deadline passed with nobody there (on the next access)."""
    if attempt.is_past_deadline(now):
        return attempt_finish(attempt=attempt, reason=Attempt.FinishReason.DEADLINE, now=now)
    return False


def attempts_finish_overdue(*, now: datetime.datetime | None = None) -> int:
    """Finish every running attempt past its deadline (the `finish_overdue_attempts` command)."""
    now = now or timezone.now()
    overdue = Attempt.objects.filter(status=Attempt.Status.RUNNING, deadline__lte=now)
    return sum(attempt_finish(attempt=attempt, reason=Attempt.FinishReason.DEADLINE, now=now) for attempt in overdue)


def attempts_finish_departed(*, examinee=None, now: datetime.datetime | None = None) -> int:
    """Finish open attempts of examinees no longer on the roster of the session's class (docs/design.md §7).

    An examinee who transferred out loses their roster place on the transfer's
    date; an attempt still open then ends with them. Run by the approval when
    the date is today, and by `finish_overdue_attempts` for later dates.
    """
    open_attempts = Attempt.objects.filter(status__in=[Attempt.Status.RUNNING, Attempt.Status.PAUSED]).select_related(
        "session__school_class"
    )
    if examinee is not None:
        open_attempts = open_attempts.filter(examinee=examinee)
    finished = 0
    for attempt in open_attempts:
        if not roster_of(attempt.session.school_class).filter(examinee_id=attempt.examinee_id).exists():
            finished += attempt_finish(attempt=attempt, reason=Attempt.FinishReason.TRANSFERRED, now=now)
    return finished


def attempt_pause(*, attempt: Attempt, now: datetime.datetime | None = None) -> Attempt:
    """Stop the examinee's clock. Call inside a transaction."""
    now = now or timezone.now()
    _lock_session_of(attempt)
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if attempt.status != Attempt.Status.RUNNING:
        raise ServiceError(_("Only a running attempt can be paused."), code="not_running")
    attempt.pause(now)
    attempt.save(update_fields=Attempt.PAUSE_FIELDS)
    return attempt


def attempt_resume(*, attempt: Attempt, now: datetime.datetime | None = None) -> Attempt:
    """Start the clock again: the deadline moves by the time spent paused. Call inside a transaction."""
    now = now or timezone.now()
    _lock_session_of(attempt)
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if attempt.status != Attempt.Status.PAUSED:
        raise ServiceError(_("Only a paused attempt can be resumed."), code="not_paused")
    attempt.resume(now)
    attempt.save(update_fields=Attempt.RESUME_FIELDS)
    return attempt


def attempt_extend(*, attempt: Attempt, minutes: int) -> Attempt:
    """Give extra time (accommodations). Call inside a transaction."""
    _lock_session_of(attempt)
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if attempt.status == Attempt.Status.FINISHED:
        raise ServiceError(_("This attempt is already finished."), code="finished")
    attempt.extend(minutes)
    attempt.save(update_fields=Attempt.EXTEND_FIELDS)
    return attempt


# --- The whole class at once (docs/design.md §4) ------------------------------------------------
#
# The proctor's class-wide actions: the caller holds the session's row lock; each takes the row
# locks of the attempts it changes and skips those it does not apply to.


def attempts_pause_all(*, session, now: datetime.datetime | None = None) -> list[Attempt]:
    """Stop the clock of every running attempt of the session whose time is not up. Returns them."""
    now = now or timezone.now()
    attempts = list(
        Attempt.objects.select_for_update().filter(session=session, status=Attempt.Status.RUNNING, deadline__gt=now)
    )
    for attempt in attempts:
        attempt.pause(now)
    Attempt.objects.bulk_update(attempts, Attempt.PAUSE_FIELDS)
    return attempts


def attempts_resume_all(*, session, now: datetime.datetime | None = None) -> list[Attempt]:
    """Start the clock of every paused attempt again, each deadline moved by its own time paused."""
    now = now or timezone.now()
    attempts = list(Attempt.objects.select_for_update().filter(session=session, status=Attempt.Status.PAUSED))
    for attempt in attempts:
        attempt.resume(now)
    Attempt.objects.bulk_update(attempts, Attempt.RESUME_FIELDS)
    return attempts


def attempts_extend_all(*, session, minutes: int, now: datetime.datetime | None = None) -> list[Attempt]:
    """Extra time for every attempt not handed in whose time is not up (a paused one's clock stands
    still, so it has time left).
    """
    now = now or timezone.now()
    attempts = list(
        Attempt.objects.select_for_update().filter(
            Q(status=Attempt.Status.RUNNING, deadline__gt=now) | Q(status=Attempt.Status.PAUSED), session=session
        )
    )
    for attempt in attempts:
        attempt.extend(minutes)
    Attempt.objects.bulk_update(attempts, Attempt.EXTEND_FIELDS)
    return attempts
