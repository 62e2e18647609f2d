"""The test editor in the browser (docs/design.md §3, "The editor"): teachers write their school's
tests, operators the operator's catalog.

Every page finds its exam through `exams.access.get_exam_to_write` (another school's exam, or an
operator's for a teacher: 404) and changes it only through the services of exams/versions.py, by POST.
A draft is edited; a published version is shown read-only with a button that starts the next draft.
Each form saves on its own as the author types (htmx: the answer is the form's save state, and the
`exam-saved` event refreshes the list of problems) and has a submit button that works without script;
the buttons that change the structure (add a choice, move, duplicate) post the whole form, so nothing
typed is lost, and come back to the editor.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from badges import services as badge_services
from badges.models import Achievement
from classrooms.access import organization_of, role_required
from classrooms.models import User
from config.errors import ServiceError
from config.ratelimits import rate_limit
from exams import versions
from exams.access import exams_to_write, get_exam_to_write
from exams.editor_forms import (
    FURIGANA_HELP,
    BadgeForm,
    ExamSettingsForm,
    NewQuestionForm,
    PassageForm,
    QuestionDraft,
)
from exams.models import Exam, ExamVersion, Passage, Question
from exams.templatetags.exam_text import unread_notation

author_required = role_required(User.Role.TEACHER, User.Role.OPERATOR)
SAVED_EVENT = "exam-saved"


# --- Finding what is edited ----------------------------------------------------------------------


def _draft(exam: Exam) -> ExamVersion | None:
    return exam.versions.filter(status=ExamVersion.Status.DRAFT).first()


def _draft_or_404(request, exam_id: int) -> tuple[Exam, ExamVersion]:
    exam = get_exam_to_write(request.user, exam_id)
    draft = _draft(exam)
    if draft is None:
        raise Http404
    return exam, draft


def _passage_or_404(draft: ExamVersion, passage_id: int) -> Passage:
    try:
        return draft.passages.get(pk=passage_id)
    except Passage.DoesNotExist:
        raise Http404 from None


def _question_or_404(draft: ExamVersion, question_id: int) -> Question:
    try:
        return draft.questions.select_related("version").get(pk=question_id)
    except Question.DoesNotExist:
        raise Http404 from None


def _editor_url(exam: Exam, anchor: str = "") -> str:
    return reverse("exams:write_exam", args=[exam.pk]) + (f"#{anchor}" if anchor else "")


def _status(exam: Exam) -> str:
    """Draft / published vN / published vN, draft of vN+1 (the list's words)."""
    numbers = {version.status: version.number for version in sorted(exam.versions.all(), key=lambda v: v.number)}
    published, draft = numbers.get(ExamVersion.Status.PUBLISHED), numbers.get(ExamVersion.Status.DRAFT)
    if published and draft:
        return _("Published (version %(published)d); draft of version %(draft)d") % {
            "published": published,
            "draft": draft,
        }
    if published:
        return _("Published (version %(number)d)") % {"number": published}
    return _("Draft (not published yet)")


def _newest_title(exam: Exam) -> str:
    """The title of the newest version (a draft's, as its author wrote it last), else the exam's."""
    newest = max(exam.versions.all(), key=lambda version: version.number, default=None)
    return newest.title if newest else exam.title


# --- The list and a new test ---------------------------------------------------------------------


@author_required
@require_GET
def exam_list(request):
    return _list_page(request, ExamSettingsForm(initial={"time_limit_minutes": 20, "pass_mark_percent": 60}))


def _list_page(request, form, status: int = 200):
    exams = exams_to_write(request.user).prefetch_related("versions").order_by("-created_at", "pk")
    rows = [(exam, _newest_title(exam), _status(exam)) for exam in exams]
    catalog = _("the operator's catalog") if request.user.is_operator else _("your school's catalog")
    context = {"rows": rows, "form": form, "catalog": catalog}
    return render(request, "exams/editor/exam_list.html", context, status=status)


@author_required
@require_POST
@rate_limit("authoring")
def exam_new(request):
    form = ExamSettingsForm(request.POST)
    if not form.is_valid():
        return _list_page(request, form, status=400)
    organization = None if request.user.is_operator else organization_of(request.user)
    try:
        exam = versions.exam_create(
            organization=organization, code=versions.exam_code_new(organization), by=request.user, **form.cleaned_data
        )
    except ServiceError as error:
        form.add_error(None, error.message)
        return _list_page(request, form, status=400)
    messages.success(request, _("Test “%(title)s” created: write its questions.") % {"title": exam.title})
    return redirect("exams:write_exam", exam_id=exam.pk)


# --- The editor page -------------------------------------------------------------------------------


@author_required
@require_GET
def exam_page(request, exam_id: int):
    """The draft's editor, or a published version read-only: the newest, or the one `?version=` names
    (where its keys are corrected, docs/design.md §3).
    """
    exam = get_exam_to_write(request.user, exam_id)
    shown = None
    if request.GET.get("version", "").isdigit():
        shown = exam.versions.filter(number=int(request.GET["version"]), status=ExamVersion.Status.PUBLISHED).first()
        if shown is None:
            raise Http404
    return _editor_page(request, exam, shown=shown)


def _editor_page(
    request, exam: Exam, *, bound: dict | None = None, status: int = 200, shown: ExamVersion | None = None
):
    """The editor of the exam's draft, or a published version read-only (`shown`, else the newest when
    there is no draft); `bound` holds the forms of a refused save (by their anchor), shown with what the
    author typed and why it was refused.
    """
    bound = bound or {}
    draft = None if shown else _draft(exam)
    version = shown or draft or exam.latest_version()
    passages = list(version.passages.all())
    questions = list(version.questions.prefetch_related("choices"))
    by_group: dict[int | None, list] = {}
    for number, question in enumerate(questions, start=1):  # numbered as version_problems counts them
        draft_of = bound.get(f"question-{question.pk}") or QuestionDraft.of(question)
        by_group.setdefault(question.group_id, []).append(_question_item(question, draft_of, number))
    context = {
        "exam": exam,
        "version": version,
        "editing": draft is not None,
        "versions": _versions_of(exam),
        "settings_form": bound.get("settings") or _settings_form(version),
        "badge_form": bound.get("badge") or _badge_form(version),
        "passages": [
            {
                "passage": passage,
                "form": bound.get(f"passage-{passage.pk}") or PassageForm(initial=_passage_initial(passage)),
                "questions": by_group.get(passage.pk, []),
                "unread": unread_notation(passage.text),
            }
            for passage in passages
        ],
        "standalone": by_group.get(None, []),
        "problems": versions.version_problems(version) if draft else [],
        "publish_error": bound.get("publish"),
        "new_question_form": NewQuestionForm(),
        "kinds": Question.Kind,
        "furigana_help": FURIGANA_HELP,
        "i18n": _script_words(),
    }
    return render(request, "exams/editor/exam.html", context, status=status)


def _script_words() -> dict:
    return {
        "unsaved": _("Unsaved changes"),
        "saving": _("Saving…"),
        "failed": _("Not saved: the server could not be reached. What you typed is still here; try again."),
    }


def _settings_form(version: ExamVersion | None) -> ExamSettingsForm:
    initial = {name: getattr(version, name) for name in ExamVersion.SETTINGS} if version else {}
    return ExamSettingsForm(initial=initial)


def _badge_form(version: ExamVersion) -> BadgeForm | None:
    """A school test's badge card (docs/design.md §12): its words, or the ones made from the test to start
    from. None for the operator's tests, which always award the operator's badge.
    """
    if version.exam.organization_id is None:
        return None
    achievement = Achievement.objects.filter(version=version).first()
    if achievement is None:
        return BadgeForm(initial={"badge_enabled": False, **badge_services.default_texts(version)})
    initial = {name: getattr(achievement, name) for name in Achievement.TEXTS}
    return BadgeForm(initial={"badge_enabled": achievement.enabled, **initial})


def _passage_initial(passage: Passage) -> dict:
    return {"title": passage.title, "text": passage.text}


def _versions_of(exam: Exam) -> list[dict]:
    """Every version, newest first, with where its item analysis is: the school's page for a school's
    test, the operators' console for the operator's catalog (docs/design.md §3).
    """
    rows = []
    for version in exam.versions.order_by("-number"):
        analysis = None
        if version.is_published:
            analysis = (
                reverse("admin:exams_exam_item_analysis", args=[exam.pk]) + f"?version={version.number}"
                if exam.is_operator_catalog
                else reverse("exams:version_analysis", args=[exam.pk, version.number])
            )
        rows.append({"version": version, "analysis_url": analysis})
    return rows


def _question_item(question: Question, draft: QuestionDraft, number: int) -> dict:
    return {
        "number": number,
        "question": question,
        "draft": draft,
        "rows": list(enumerate(draft.rows)),
        "unread": unread_notation(draft.prompt) + [u for text, _c in draft.rows for u in unread_notation(text)],
    }


# --- Saving: autosave (htmx) or a plain submit ---------------------------------------------------


def _saved(request, exam: Exam, anchor: str, *, read: str = "", read_id: str = "", read_question=None):
    """After a save: htmx gets the save state (and the read view, out of band); a plain form goes back."""
    if not request.htmx:
        return redirect(_editor_url(exam, anchor))
    now = time_format(timezone.localtime(), "H:i")
    context = {
        "ok": True,
        "message": _("Saved at %(time)s") % {"time": now},
        "read": read,
        "read_id": read_id,
        "read_question": read_question,
    }
    response = render(request, "exams/editor/partials/save_state.html", context)
    return trigger_client_event(response, SAVED_EVENT)


def _refused(request, exam: Exam, message: str, bound: dict):
    """A refused save: htmx gets the reason as the save state (the form keeps what was typed); a plain
    form gets the editor again with the form as it was sent and the reason beside it.
    """
    if request.htmx:
        context = {"ok": False, "message": _("Not saved: %(reason)s") % {"reason": message}}
        return render(request, "exams/editor/partials/save_state.html", context)
    return _editor_page(request, exam, bound=bound, status=400)


def _form_error(form) -> str:
    return " ".join(
        f"{form.fields[name].label}: {' '.join(errors)}" if name in form.fields else " ".join(errors)
        for name, errors in form.errors.items()
    )


@author_required
@require_POST
@rate_limit("authoring")
def settings_save(request, exam_id: int):
    exam, draft = _draft_or_404(request, exam_id)
    form = ExamSettingsForm(request.POST)
    try:
        if not form.is_valid():
            raise ServiceError(_form_error(form), code="invalid")
        versions.version_settings_update(version=draft, by=request.user, **form.cleaned_data)
    except ServiceError as error:
        if not form.errors:
            form.add_error(None, error.message)
        return _refused(request, exam, error.message, {"settings": form})
    return _saved(request, exam, "settings")


@author_required
@require_POST
@rate_limit("authoring")
def badge_save(request, exam_id: int):
    """Turn the school test's badge on or off and set its words (copied to the next draft, frozen on publish)."""
    exam, draft = _draft_or_404(request, exam_id)
    if exam.is_operator_catalog:
        raise Http404  # the operator's tests always award the operator's badge
    form = BadgeForm(request.POST)
    if not form.is_valid():
        return _refused(request, exam, _form_error(form), {"badge": form})
    data = form.cleaned_data
    texts = {name: data[name] for name in Achievement.TEXTS}
    badge_services.achievement_save(version=draft, enabled=data["badge_enabled"], texts=texts)
    return _saved(request, exam, "badge")


@author_required
@require_GET
def problems(request, exam_id: int):
    exam, draft = _draft_or_404(request, exam_id)
    context = {"exam": exam, "problems": versions.version_problems(draft)}
    return render(request, "exams/editor/partials/problems.html", context)


@author_required
@require_POST
@rate_limit("authoring")
def publish(request, exam_id: int):
    exam, draft = _draft_or_404(request, exam_id)
    try:
        versions.version_publish(version=draft, by=request.user)
    except ServiceError as error:
        return _editor_page(request, exam, bound={"publish": error.message}, status=400)
    messages.success(request, _("Version %(number)d is published.") % {"number": draft.number})
    return redirect(_editor_url(exam))


@author_required
@require_POST
@rate_limit("authoring")
def draft_next(request, exam_id: int):
    exam = get_exam_to_write(request.user, exam_id)
    draft = versions.exam_draft_next_version(exam=exam, by=request.user)
    messages.success(request, _("You are editing version %(number)d, a draft.") % {"number": draft.number})
    return redirect(_editor_url(exam))


# --- Passages --------------------------------------------------------------------------------------


@author_required
@require_POST
@rate_limit("authoring")
def passage_add(request, exam_id: int):
    exam, draft = _draft_or_404(request, exam_id)
    try:
        passage = versions.passage_add(version=draft, by=request.user)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect(_editor_url(exam))
    return redirect(_editor_url(exam, f"passage-{passage.pk}"))


@author_required
@require_POST
@rate_limit("authoring")
def passage_save(request, exam_id: int, passage_id: int):
    exam, draft = _draft_or_404(request, exam_id)
    passage = _passage_or_404(draft, passage_id)
    form = PassageForm(request.POST)
    try:
        if not form.is_valid():
            raise ServiceError(_form_error(form), code="invalid")
        versions.passage_update(passage=passage, by=request.user, **form.cleaned_data)
    except ServiceError as error:
        if not form.errors:
            form.add_error(None, error.message)
        return _refused(request, exam, error.message, {f"passage-{passage.pk}": form})
    return _saved(request, exam, f"passage-{passage.pk}", read=passage.text, read_id=f"read-passage-{passage.pk}")


@author_required
@require_POST
@rate_limit("authoring")
def passage_move(request, exam_id: int, passage_id: int):
    exam, draft = _draft_or_404(request, exam_id)
    passage = _passage_or_404(draft, passage_id)
    move = lambda: versions.passage_move(passage=passage, by=request.user, direction=_direction(request))  # noqa: E731
    return _changed(request, exam, f"passage-{passage.pk}", move)


@author_required
@require_http_methods(["GET", "POST"])
@rate_limit("authoring")
def passage_delete(request, exam_id: int, passage_id: int):
    exam, draft = _draft_or_404(request, exam_id)
    passage = _passage_or_404(draft, passage_id)
    if request.method == "POST":
        messages.success(request, _("The passage is deleted; its questions stay, without a passage."))
        return _changed(request, exam, "", lambda: versions.passage_delete(passage=passage, by=request.user))
    context = {
        "exam": exam,
        "what": passage.title or _("Passage %(number)d") % {"number": passage.position + 1},
        "kind": "passage",
        "count": passage.questions.count(),
    }
    return render(request, "exams/editor/delete.html", context)


def _changed(request, exam: Exam, anchor: str, change) -> object:
    """Run a structural change; a refusal (the draft was published meanwhile) is said on the editor."""
    try:
        change()
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect(_editor_url(exam, anchor))


def _direction(request) -> int:
    return -1 if request.POST.get("direction") == "up" else 1


# --- Questions -------------------------------------------------------------------------------------


@author_required
@require_POST
@rate_limit("authoring")
def question_add(request, exam_id: int):
    exam, draft = _draft_or_404(request, exam_id)
    form = NewQuestionForm(request.POST)
    if not form.is_valid():
        return _editor_page(request, exam, bound={"publish": _("Choose a question type.")}, status=400)
    passage_id = request.POST.get("passage", "")
    passage = _passage_or_404(draft, int(passage_id)) if passage_id.isdigit() else None
    try:
        question = versions.question_add(
            version=draft, by=request.user, kind=form.cleaned_data["kind"], passage=passage
        )
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect(_editor_url(exam))
    return redirect(_editor_url(exam, f"question-{question.pk}"))


@author_required
@require_POST
@rate_limit("authoring")
def question_save(request, exam_id: int, question_id: int):
    """Save the question as typed; a button's `op` (add, remove-N, up-N, down-N) changes its rows first."""
    exam, draft = _draft_or_404(request, exam_id)
    question = _question_or_404(draft, question_id)
    typed = QuestionDraft.from_post(question, request.POST)
    typed.apply(request.POST.get("op", ""))
    try:
        passage = _passage_or_404(draft, typed.passage_id) if typed.passage_id else None
        versions.question_update(
            question=question,
            by=request.user,
            prompt=typed.prompt,
            passage=passage,
            choices=typed.rows,
            accepted=typed.accepted_list,
            credit=typed.credit,
        )
    except ServiceError as error:
        typed.error = error.message
        return _refused(request, exam, error.message, {f"question-{question.pk}": typed})
    return _saved(
        request, exam, f"question-{question.pk}", read_id=f"read-question-{question.pk}", read_question=question
    )


@author_required
@require_POST
@rate_limit("authoring")
def question_move(request, exam_id: int, question_id: int):
    exam, draft = _draft_or_404(request, exam_id)
    question = _question_or_404(draft, question_id)
    move = lambda: versions.question_move(question=question, by=request.user, direction=_direction(request))  # noqa: E731
    return _changed(request, exam, f"question-{question.pk}", move)


@author_required
@require_POST
@rate_limit("authoring")
def question_duplicate(request, exam_id: int, question_id: int):
    exam, draft = _draft_or_404(request, exam_id)
    question = _question_or_404(draft, question_id)
    try:
        copy = versions.question_duplicate(question=question, by=request.user)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect(_editor_url(exam))
    messages.success(request, _("The question is duplicated; the copy is right after it."))
    return redirect(_editor_url(exam, f"question-{copy.pk}"))


@author_required
@require_http_methods(["GET", "POST"])
@rate_limit("authoring")
def question_delete(request, exam_id: int, question_id: int):
    exam, draft = _draft_or_404(request, exam_id)
    question = _question_or_404(draft, question_id)
    if request.method == "POST":
        messages.success(request, _("The question is deleted."))
        return _changed(request, exam, "", lambda: versions.question_delete(question=question, by=request.user))
    context = {"exam": exam, "what": question.prompt, "kind": "question"}
    return render(request, "exams/editor/delete.html", context)
