"""The author's preview of a version as a pupil sees it (docs/design.md §3): the attempt page itself.

Same template, script and question fragments as a pupil's attempt (exams/views/attempts.py), with a
fresh draw kept in the author's browser session (exams/preview.py). No attempt, answer, result or audit
entry is written: the page keeps the answers and sends them only with the hand-in, which shows the
score they would earn. For those who may read the questions (`may_read_questions`); everyone else 404.
"""

from __future__ import annotations

import json

from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from classrooms.access import role_required
from classrooms.models import User
from exams import preview as previews
from exams.access import get_version_to_read
from exams.views.attempts import attempt_page_context, question_context

staff_or_operator_required = role_required(User.Role.TEACHER, User.Role.ORG_ADMIN, User.Role.OPERATOR)


def _question_url(version):
    return lambda position: reverse("exams:version_preview_question", args=[version.exam_id, version.number, position])


def _preview_again(request, version):
    """No draw of this version in the browser session (another browser, an expired session): a new preview."""
    url = reverse("exams:version_preview", args=[version.exam_id, version.number])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@staff_or_operator_required
@require_GET
@never_cache
def version_preview(request, exam_id: int, number: int):
    """The attempt page with a fresh draw from the version, marked as a preview."""
    version = get_version_to_read(request.user, exam_id, number)
    draw = previews.preview_draw(version)
    previews.preview_keep(request.session, draw)
    config = {
        "attempt": 0,
        "preview": {"token": draw.token},
        "remainingMs": version.time_limit_minutes * 60 * 1000,
        "paused": False,
        "maxSeq": 0,
        "csrfToken": get_token(request),
    }
    context = attempt_page_context(
        request,
        title=version.title,
        instructions=version.description,
        answered=[False] * len(draw.rows),
        question_url=_question_url(version),
        submit_url=reverse("exams:version_preview_submit", args=[version.exam_id, version.number]),
        config=config,
    )
    context.update(preview=version)
    return render(request, "exams/attempt.html", context)


@staff_or_operator_required
@require_GET
@never_cache
def version_preview_question(request, exam_id: int, number: int, position: int):
    """One question of the preview's draw: the pupil's fragment, with no answer given yet."""
    version = get_version_to_read(request.user, exam_id, number)
    draw = previews.preview_of(request.session, version)
    if draw is None:
        return _preview_again(request, version)
    try:
        question, order = previews.preview_question(version, draw, position)
    except LookupError:
        raise Http404 from None
    context = question_context(
        question=question,
        choice_order=list(order),
        position=position,
        total=len(draw.rows),
        answer=None,
        response=None,
        question_url=_question_url(version),
    )
    return render(request, "exams/partials/question.html", context)


@staff_or_operator_required
@require_POST
@never_cache
def version_preview_submit(request, exam_id: int, number: int):
    """The score the preview's answers would earn; nothing is stored."""
    version = get_version_to_read(request.user, exam_id, number)
    draw = previews.preview_of(request.session, version)
    if draw is None:
        return _preview_again(request, version)
    try:
        answers = json.loads(request.POST.get("answers", "[]"))
    except ValueError:
        answers = []
    result = previews.preview_judge(version, draw, answers)
    return render(request, "exams/preview_result.html", {"version": version, "result": result})
