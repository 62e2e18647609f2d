"""The only door from user input to attempts (see classrooms/access.py)."""

from __future__ import annotations

from django.http import Http404

from classrooms.access import roster_of
from classrooms.models import User
from exams.models import Attempt, AttemptQuestion


def get_attempt_for_examinee(user: User, attempt_id: int) -> Attempt:
    """The examinee's own attempt; 404 for anyone else, whatever their role.

    No membership check: an examinee who moved to another organization keeps
    their own history (docs/design.md §7).
    """
    if not user.is_authenticated or not user.is_examinee:
        raise Http404
    try:
        return Attempt.objects.select_related("exam", "session__school_class").get(pk=attempt_id, examinee=user)
    except Attempt.DoesNotExist:
        raise Http404 from None


def get_attempt_to_take(user: User, attempt_id: int) -> Attempt:
    """The examinee's own attempt, in a class they are still in today: only there may they answer."""
    attempt = get_attempt_for_examinee(user, attempt_id)
    if not roster_of(attempt.session.school_class).filter(examinee=user).exists():
        raise Http404
    return attempt


def get_question_of_attempt(attempt: Attempt, position: int) -> AttemptQuestion:
    """The attempt's question at `position` (the attempt came from an access helper above)."""
    try:
        return attempt.questions.select_related("question").get(position=position)
    except AttemptQuestion.DoesNotExist:
        raise Http404 from None
