"""Taking a test (docs/design.md §3, §4): enter the waiting room, one question at a time, answers, submit.

The server keeps the clock and the answers; the page (static/js/attempt.js) only
shows them and sends each answer as it is given, so a reload, a lost network
or another device resumes the same attempt. A choice reaches the browser only
as its index in the attempt's choice order, never with its id or whether it
is correct.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from classrooms.access import role_required
from classrooms.models import User
from config.errors import ServiceError
from config.ratelimits import rate_limit
from exams import services
from exams.access import get_attempt_to_take, get_question_of_attempt
from exams.models import Attempt, Choice
from proctoring.access import get_session_for_examinee
from proctoring.models import ProctoredSession
from proctoring.services import seat_take
from sockets.frames import strict_types

examinee_required = role_required(User.Role.EXAMINEE)

# How a refused answer is told to the browser: 410 = the attempt is over (go to
# the result), 409 = not now (paused), 400 = there is no such question or choice.
ANSWER_REFUSAL_STATUS = {"finished": 410, "time_up": 410, "paused": 409, "bad_question": 400, "bad_choice": 400}
MAX_SEQ = 2**31 - 1  # AttemptQuestion.save_seq is a PositiveIntegerField

# Words static/js/waiting_room.js and static/js/attempt.js show: each page's `i18n` (see static/js/kantoku.js).
# Both pages also carry the words of static/js/exam_shared.js: the help button's (the `hand` frame).
EXAM_SHARED_TEXT = {
    "helpSending": gettext_lazy("Telling your teacher…"),
    "helpRaised": gettext_lazy("Your teacher has been told. Please wait in your seat."),
    "helpAnswered": gettext_lazy("Your teacher has seen that you called."),
    "helpUnavailable": gettext_lazy("Your teacher could not be told from here. Please raise your hand."),
}
WAITING_ROOM_TEXT = {
    **EXAM_SHARED_TEXT,
    "connected": gettext_lazy("Connected. Please wait for your teacher to start the test."),
    "reconnecting": gettext_lazy("The connection was lost. Trying again…"),
    "refused": gettext_lazy("You cannot join this test. Ask your teacher."),
}
ATTEMPT_TEXT = {
    **EXAM_SHARED_TEXT,
    "offline": gettext_lazy(
        "Offline: your answers are saved on this device and will be sent when the connection is back."
    ),
    "serverDown": gettext_lazy(
        "The server is not answering. Your answers are saved on this device and will be sent when it is back."
    ),
    "busy": gettext_lazy(
        "Many answers were sent at once. They are saved on this device and will be sent again in a moment."
    ),
    "questionOffline": gettext_lazy("This question will appear when the connection is back."),
    "timeUp": gettext_lazy("Time is up! Your answers are being handed in."),
    "answered": gettext_lazy("answered"),
    "notAnswered": gettext_lazy("not answered yet"),
    "notSent": gettext_lazy("not sent yet"),
    "confirmSubmit": gettext_lazy("Hand in your answers now? You cannot change them afterwards."),
    "confirmUnanswered": gettext_lazy("Questions without an answer: %(count)s."),
    "waitForSending": gettext_lazy("Some answers have not been sent yet. Please wait until the connection is back."),
    "fiveMinutes": gettext_lazy("5 minutes left."),
    "oneMinute": gettext_lazy("1 minute left."),
    # The author's preview of the same page (exams/views/preview.py): nothing is handed in by itself.
    "previewTimeUp": gettext_lazy("A pupil's time would be up now, and their answers handed in."),
}


class AnswerForm(forms.Form):
    """One answer save: `position` of the question in the attempt (from 0), `choice` an index
    into its choice order (empty or null clears the answer), `seq` the browser's number for this save.
    """

    position = forms.IntegerField(min_value=0, max_value=32767)
    choice = forms.IntegerField(min_value=0, max_value=32767, required=False)
    seq = forms.IntegerField(min_value=1, max_value=MAX_SEQ)

    def clean(self):
        # An absent `choice` must not silently clear an answer: clearing is said explicitly.
        if "choice" not in self.data:
            self.add_error("choice", _("Give a choice, or leave it empty to clear the answer."))
        return super().clean()


class ResponseForm(forms.Form):
    """An answer of the other kinds (docs/design.md §3): `position` and `seq` as above; the JSON body's
    `response` (a list of indexes into the choice order, or the text typed) is checked by the service.
    """

    position = forms.IntegerField(min_value=0, max_value=32767)
    seq = forms.IntegerField(min_value=1, max_value=MAX_SEQ)


class QuestionPageForm(forms.Form):
    q = forms.IntegerField(min_value=1, required=False)


def _answer_form(request) -> tuple[forms.Form | None, object]:
    """The form for a JSON or a form-encoded body (None for a body that is neither) and the raw
    `response` of a JSON body that gives one (an answer of a kind other than single choice).
    """
    if request.content_type != "application/json":
        return AnswerForm(request.POST), None
    try:
        data = json.loads(request.body)
    except ValueError:
        return None, None
    form_class = ResponseForm if isinstance(data, dict) and "response" in data else AnswerForm
    if not isinstance(data, dict) or not strict_types(data, form_class):
        return None, None
    return form_class(data), data.get("response")


def _result_url(attempt: Attempt) -> str:
    return reverse("exams:result", args=[attempt.pk])


def _finished(attempt: Attempt) -> bool:
    """Whether the attempt is over, finishing it first when its deadline passed with nobody there."""
    return services.attempt_finish_if_due(attempt=attempt) or not attempt.is_open


@examinee_required
@require_POST
def session_enter(request, session_id: int):
    session = get_session_for_examinee(request.user, session_id)
    try:
        _seat, attempt = seat_take(session=session, examinee=request.user)
    except ServiceError as error:
        messages.error(request, str(error))
        return redirect("classrooms:examinee_home")
    if attempt is not None:  # the test is running already: join late
        return redirect("exams:attempt", attempt_id=attempt.pk)
    return redirect("exams:waiting_room", session_id=session.pk)


@examinee_required
@require_GET
@never_cache
def waiting_room(request, session_id: int):
    session = get_session_for_examinee(request.user, session_id)
    attempt = Attempt.objects.filter(session=session, examinee=request.user).first()
    if attempt is not None:
        return redirect("exams:attempt", attempt_id=attempt.pk)
    if session.status == ProctoredSession.Status.ENDED:
        messages.info(request, _("This test has ended."))
        return redirect("classrooms:examinee_home")
    config = {"session": session.pk, "socket": f"/ws/exam/{session.pk}/"}
    return render(request, "exams/waiting_room.html", {"session": session, "config": config, "i18n": WAITING_ROOM_TEXT})


@examinee_required
@require_GET
@never_cache
def attempt_page(request, attempt_id: int):
    attempt = get_attempt_to_take(request.user, attempt_id)
    if _finished(attempt):
        return redirect(_result_url(attempt))
    rows = list(attempt.questions.only("position", "answer", "response", "save_seq"))
    config = {
        "attempt": attempt.pk,
        "session": attempt.session_id,
        "socket": f"/ws/exam/{attempt.session_id}/",
        "remainingMs": int(attempt.remaining().total_seconds() * 1000),
        "paused": attempt.status == Attempt.Status.PAUSED,
        # Saves from another device may have used higher numbers: continue above them.
        "maxSeq": max((row.save_seq for row in rows), default=0),
        "answerUrl": reverse("exams:answer_save", args=[attempt.pk]),
        "resultUrl": _result_url(attempt),
        "csrfToken": get_token(request),
    }
    context = attempt_page_context(
        request,
        title=attempt.version.title,
        instructions=attempt.version.description,
        answered=[row.is_answered for row in rows],
        question_url=lambda position: reverse("exams:question", args=[attempt.pk, position]),
        submit_url=reverse("exams:submit", args=[attempt.pk]),
        config=config,
    )
    return render(request, "exams/attempt.html", {**context, "attempt": attempt})


def attempt_page_context(
    request, *, title: str, instructions: str, answered: list[bool], question_url, submit_url: str, config: dict
):
    """What templates/exams/attempt.html shows, for a pupil's attempt and for the author's preview alike
    (docs/design.md §3): `answered` per position, `question_url(position)` the fragment of each question.
    The page opens on the question asked for (?q=n, from 1), else the first one not answered.
    """
    page = QuestionPageForm(request.GET)
    wanted = page.cleaned_data["q"] if page.is_valid() else None
    first_unanswered = next((position for position, done in enumerate(answered) if not done), 0)
    start = wanted - 1 if wanted is not None and wanted <= len(answered) else first_unanswered
    questions = [
        {"position": position, "number": position + 1, "answered": done, "url": question_url(position)}
        for position, done in enumerate(answered)
    ]
    return {
        "title": title,
        "instructions": instructions,
        "questions": questions,
        "start": start,
        "start_url": question_url(start),
        "submit_url": submit_url,
        "config": config,
        "i18n": ATTEMPT_TEXT,
    }


@examinee_required
@require_GET
@never_cache
def question_fragment(request, attempt_id: int, position: int):
    attempt = get_attempt_to_take(request.user, attempt_id)
    if _finished(attempt):
        if request.htmx:
            return HttpResponseClientRedirect(_result_url(attempt))
        return redirect(_result_url(attempt))
    row = get_question_of_attempt(attempt, position)
    if attempt.status == Attempt.Status.PAUSED:  # the clock stands still: no reading either
        return render(request, "exams/partials/paused.html", {"position": row.position})
    context = question_context(
        question=row.question,
        choice_order=row.choice_order,
        position=row.position,
        total=attempt.total,
        answer=row.answer,
        response=row.response,
        question_url=lambda position: reverse("exams:question", args=[attempt.pk, position]),
    )
    return render(request, "exams/partials/question.html", {**context, "attempt": attempt})


def question_context(
    *, question, choice_order: list[int], position: int, total: int, answer, response, question_url
) -> dict:
    """What templates/exams/partials/question.html shows of one drawn question, for an attempt and the
    preview alike: only what the page shows, never a choice id, a Choice, a key or an accepted answer.
    """
    texts = dict(Choice.objects.filter(pk__in=choice_order).values_list("pk", "text"))
    choices = [(index, texts.get(choice_id, "")) for index, choice_id in enumerate(choice_order)]
    kind = question.kind
    return {
        "position": position,
        "kind": kind,
        "passage_title": question.group.title if question.group_id else "",
        "passage": question.group.text if question.group_id else question.passage,
        "prompt": question.prompt,
        "answer": answer,
        "chosen": response if kind == question.Kind.MULTIPLE and response else [],
        "text": response if kind == question.Kind.SHORT and response else "",
        "choices": _in_given_order(choices, response) if kind == question.Kind.ORDERING else choices,
        "number": position + 1,
        "total": total,
        "previous_url": question_url(position - 1) if position > 0 else None,
        "next_url": question_url(position + 1) if position + 1 < total else None,
    }


def _in_given_order(choices: list, response) -> list:
    """An ordering question's items in the order the pupil last saved (as shuffled when not yet)."""
    if isinstance(response, list) and sorted(response) == list(range(len(choices))):
        return [choices[index] for index in response]
    return choices


def _answer_refused(request, retry_after: int, attempt_id: int) -> JsonResponse:
    """Over the rate limit: attempt.js keeps the answer queued and sends it again after `retry_after` s."""
    message = _("Many answers at once: yours are kept on this device and sent again shortly.")
    body = {"saved": False, "error": "rate_limited", "message": message, "retry_after": retry_after}
    return JsonResponse(body, status=429)


@examinee_required
@require_POST
@never_cache
@rate_limit("answer", refused=_answer_refused)
def answer_save(request, attempt_id: int):
    attempt = get_attempt_to_take(request.user, attempt_id)
    form, response = _answer_form(request)
    if form is None or not form.is_valid():
        errors = form.errors.get_json_data() if form is not None else {}
        return JsonResponse(
            {"saved": False, "error": "invalid", "message": _("This answer could not be read."), "fields": errors},
            status=400,
        )
    data = form.cleaned_data
    try:
        outcome = services.answer_save(
            attempt=attempt, position=data["position"], choice=data.get("choice"), response=response, seq=data["seq"]
        )
    except ServiceError as error:
        status = ANSWER_REFUSAL_STATUS.get(error.code, 409)
        body = {"saved": False, "error": error.code, "message": str(error)}
        if status == 410:
            body["result_url"] = _result_url(attempt)
        return JsonResponse(body, status=status)
    return JsonResponse({"saved": True, "applied": outcome.applied, "position": outcome.position, "seq": data["seq"]})


@examinee_required
@require_POST
def attempt_submit(request, attempt_id: int):
    attempt = get_attempt_to_take(request.user, attempt_id)
    if not _finished(attempt):
        services.attempt_finish(attempt=attempt, reason=Attempt.FinishReason.SUBMITTED)
    return redirect(_result_url(attempt))
