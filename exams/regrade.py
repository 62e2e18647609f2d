"""Regrading: a wrong key corrected on a published version, and its results scored again (docs/design.md §3).

A published version never changes, with one exception: when its key was wrong, the author may correct
which choices are correct (single, multiple), the accepted answers (short) or the right order
(ordering), with a reason. `question_regrade` changes the key and, in the same transaction, scores
again every finished, non-revoked attempt of that version that drew the question (revoked results
stay revoked, their score untouched), recomputes `passed`, marks each such attempt (`regraded_at`,
`regrade`) and stores a `Regrade` record, audited with the reason. The same correction twice changes
nothing the second time.

Locks, in the order every path takes them: the question, then the sessions that pinned the version
(pk order), then their attempts: an attempt finishing meanwhile is scored either before (and scored
again here) or after (with the corrected key).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from badges import services as badge_services
from badges.models import Award
from classrooms.models import AuditEntry, User, audit_actions
from config.errors import ServiceError
from exams.catalog import ACCEPTED_MAX_LENGTH, MAX_ACCEPTED
from exams.models import Attempt, AttemptQuestion, Choice, ExamVersion, Question, Regrade
from exams.scoring import attempt_score
from exams.services import question_points
from proctoring.models import ProctoredSession

AUDIT_ACTIONS = audit_actions(
    {"exam.regrade": gettext_lazy("Key of a published test corrected and results scored again")},
    details={
        "version": gettext_lazy("version"),
        "question": gettext_lazy("question"),
        "reason": gettext_lazy("reason"),
        "rescored": gettext_lazy("results scored again"),
        "key_before": gettext_lazy("key before"),
        "key_after": gettext_lazy("key after"),
    },
)


def key_summary(question: Question, choices: list[Choice]) -> list[str]:
    """The key in the author's words: the correct choices' texts, the accepted answers, or the items in order."""
    if question.kind == Question.Kind.SHORT:
        return [str(answer) for answer in question.accepted_answers]
    if question.kind == Question.Kind.ORDERING:
        return [choice.text for choice in choices]
    return [choice.text for choice in choices if choice.is_correct]


def question_regrade(
    *,
    question: Question,
    reason: str,
    by: User | None,
    correct: list[int] | None = None,
    accepted: list[str] | None = None,
    order: list[int] | None = None,
    now=None,
) -> Regrade | None:
    """Correct the key of a question of a published version and score its results again.

    `correct`: the ids of the correct choices (single, multiple); `accepted`: the accepted answers (short);
    `order`: every choice id in the right order (ordering). Returns the `Regrade`, or None when the key
    given is the key already (nothing changes, nothing is scored again).
    """
    reason = (reason or "").strip()
    if not reason or len(reason) > Regrade.MAX_REASON_LENGTH:
        raise ServiceError(
            _("A reason needs 1 to %(limit)d characters.") % {"limit": Regrade.MAX_REASON_LENGTH}, code="bad_reason"
        )
    now = now or timezone.now()
    with transaction.atomic():
        # Only the question's row (`of`): attempt_finish locks the version after the session, and so must
        # anything that locks a session (below) not hold the version.
        question = Question.objects.select_for_update(of=("self",)).select_related("version__exam").get(pk=question.pk)
        version = question.version
        if version.status != ExamVersion.Status.PUBLISHED:
            raise ServiceError(_("Only a published version is regraded; edit the draft instead."), code="draft")
        choices = list(question.choices.order_by("position", "pk"))
        before = key_summary(question, choices)
        if not _apply_key(question, choices, correct=correct, accepted=accepted, order=order):
            return None
        choices = list(question.choices.order_by("position", "pk"))
        regrade = Regrade.objects.create(
            version=version,
            question=question,
            by=by,
            reason=reason,
            at=now,
            key_before=before,
            key_after=key_summary(question, choices),
        )
        regrade.rescored = _rescore(version, question, regrade, now)
        regrade.save(update_fields=["rescored"])
        AuditEntry.record(
            organization=version.exam.organization,
            actor=by,
            action="exam.regrade",
            target=version.exam,
            version=version.number,
            question=question.key,
            reason=reason,
            rescored=regrade.rescored,
            key_before=regrade.key_before,
            key_after=regrade.key_after,
        )
    return regrade


def _apply_key(question: Question, choices: list[Choice], *, correct, accepted, order) -> bool:
    """Check the new key for the question's kind and write it; False when it is the key already."""
    kind = question.kind
    if kind == Question.Kind.SHORT:
        return _apply_accepted(question, accepted)
    ids = [choice.pk for choice in choices]
    if kind == Question.Kind.ORDERING:
        if order is None or sorted(order) != sorted(ids) or len(order) != len(ids):
            raise ServiceError(_("Give every item once, in the right order."), code="bad_key")
        if list(order) == ids:
            return False
        by_id = {choice.pk: choice for choice in choices}
        for position, choice_id in enumerate(order):
            by_id[choice_id].position = position
        Choice.objects.bulk_update(choices, ["position"])
        return True
    wanted = set(correct or [])
    if not wanted <= set(ids) or not wanted or (kind == Question.Kind.SINGLE and len(wanted) != 1):
        message = (
            _("Mark exactly one choice as correct.")
            if kind == Question.Kind.SINGLE
            else _("Mark at least one choice as correct.")
        )
        raise ServiceError(message, code="bad_key")
    if wanted == {choice.pk for choice in choices if choice.is_correct}:
        return False
    for choice in choices:
        choice.is_correct = choice.pk in wanted
    Choice.objects.bulk_update(choices, ["is_correct"])
    return True


def _apply_accepted(question: Question, accepted) -> bool:
    answers = list(dict.fromkeys(str(answer).strip() for answer in (accepted or []) if str(answer).strip()))
    if not answers or len(answers) > MAX_ACCEPTED or any(len(answer) > ACCEPTED_MAX_LENGTH for answer in answers):
        raise ServiceError(
            _("Give 1 to %(count)d accepted answers of at most %(length)d characters each.")
            % {"count": MAX_ACCEPTED, "length": ACCEPTED_MAX_LENGTH},
            code="bad_key",
        )
    if answers == list(question.accepted_answers):
        return False
    question.accepted_answers = answers
    question.save(update_fields=["accepted_answers"])
    return True


def _rescore(version: ExamVersion, question: Question, regrade: Regrade, now) -> int:
    """Score again every finished, non-revoked attempt of the version that drew the question; their number."""
    list(ProctoredSession.objects.select_for_update().filter(version=version).order_by("pk").values_list("pk"))
    attempts = list(
        Attempt.objects.select_for_update(of=("self",))
        .filter(version=version, status=Attempt.Status.FINISHED, revocation__isnull=True, questions__question=question)
        .order_by("pk")
    )
    if not attempts:
        return 0
    rows: dict[int, list[AttemptQuestion]] = {}
    for row in AttemptQuestion.objects.filter(attempt__in=attempts).select_related("question"):
        rows.setdefault(row.attempt_id, []).append(row)
    choices: dict[int, list[Choice]] = {}
    question_ids = {row.question_id for drawn in rows.values() for row in drawn}
    for choice in Choice.objects.filter(question__in=question_ids).order_by("position", "pk"):
        choices.setdefault(choice.question_id, []).append(choice)
    before = {attempt.pk: attempt.passed for attempt in attempts}
    for attempt in attempts:
        attempt.score = attempt_score(  # as exams.services scores a finished attempt (docs/design.md §3)
            question_points(row, choices.get(row.question_id, [])) for row in rows.get(attempt.pk, [])
        )
        attempt.passed = version.passes(attempt.score, attempt.total)
        attempt.regraded_at, attempt.regrade = now, regrade
    Attempt.objects.bulk_update(attempts, ["score", "passed", "regraded_at", "regrade"])
    for attempt in attempts:  # the badge follows the result (docs/design.md §12)
        if attempt.passed and not before[attempt.pk]:
            badge_services.award_for_result(attempt=attempt, now=now)
        elif before[attempt.pk] and not attempt.passed:
            badge_services.award_revoke(attempt=attempt, revoked_for=Award.RevokedFor.REGRADED, now=now)
    return len(attempts)


def regrades_of(version: ExamVersion):
    """A version's corrections, newest first (the regrade page lists them)."""
    return version.regrades.select_related("question", "by")
