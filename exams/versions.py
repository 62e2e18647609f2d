"""Writing tests: the two catalogs, drafts and immutable published versions (docs/design.md §3).

An exam's content lives in its versions. A draft may change; `version_publish`
freezes it after `version_problems` finds nothing wrong; editing a published
test starts from `exam_draft_next_version`, a copy of the newest version as the
next number's draft. Sessions pin the version they opened with, so nothing a
pupil sat ever changes under their result.

The editor (htmx) calls these and the question functions below; each takes
`by=` the acting user and refuses a version that is not a draft.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from classrooms.models import AuditEntry, User, audit_actions
from config.errors import ServiceError
from exams.catalog import MAX_ITEMS, MIN_ITEMS
from exams.models import Choice, Exam, ExamVersion, Passage, Question

AUDIT_ACTIONS = audit_actions(
    {
        "exam.create": gettext_lazy("Test created"),
        "exam.publish": gettext_lazy("Test version published"),
        "exam.draft": gettext_lazy("New draft of a test started"),
    },
    details={"version": gettext_lazy("version")},
)


def _record(exam: Exam, *, by: User | None, action: str, **details) -> None:
    AuditEntry.record(organization=exam.organization, actor=by, action=action, target=exam, **details)


def exam_create(
    *,
    organization,
    code: str,
    title: str,
    time_limit_minutes: int,
    questions_per_attempt: int,
    pass_mark_percent: int,
    description: str = "",
    by: User | None,
) -> Exam:
    """A new exam with an empty version 1 draft. `organization` None: the operator's catalog."""
    settings = {
        "title": title,
        "description": description,
        "time_limit_minutes": time_limit_minutes,
        "questions_per_attempt": questions_per_attempt,
        "pass_mark_percent": pass_mark_percent,
    }
    with transaction.atomic():
        if Exam.objects.filter(code=code).exists():
            raise ServiceError(_("A test with this code exists already."), code="code_taken")
        exam = Exam.objects.create(organization=organization, code=code, created_by=by, **settings)
        ExamVersion.objects.create(exam=exam, number=1, **settings)
        _record(exam, by=by, action="exam.create", version=1)
    return exam


def _draft_of(exam: Exam) -> ExamVersion | None:
    return exam.versions.filter(status=ExamVersion.Status.DRAFT).first()


def exam_draft_next_version(*, exam: Exam, by: User | None) -> ExamVersion:
    """The exam's draft: the existing one, or a copy of the newest version under the next number.

    The published versions stay as they are: sessions pinned to them keep them.
    """
    with transaction.atomic():
        Exam.objects.select_for_update().filter(pk=exam.pk).values_list("pk", flat=True).get()
        draft = _draft_of(exam)
        if draft is not None:
            return draft
        source = exam.versions.order_by("-number").first()
        number = (exam.versions.aggregate(top=Max("number"))["top"] or 0) + 1
        settings = {name: getattr(source or exam, name) for name in ExamVersion.SETTINGS}
        draft = ExamVersion.objects.create(exam=exam, number=number, **settings)
        if source is not None:
            _copy_content(source, draft)
        _record(exam, by=by, action="exam.draft", version=number)
    return draft


def _copy_content(source: ExamVersion, target: ExamVersion) -> None:
    passages = {}
    for passage in source.passages.all():
        passages[passage.pk] = Passage.objects.create(
            version=target, key=passage.key, title=passage.title, text=passage.text, position=passage.position
        )
    for question in source.questions.prefetch_related("choices"):
        copy = Question.objects.create(
            exam_id=source.exam_id,
            version=target,
            group=passages.get(question.group_id),
            kind=question.kind,
            credit=question.credit,
            accepted_answers=list(question.accepted_answers),
            key=question.key,
            passage=question.passage,
            prompt=question.prompt,
            position=question.position,
        )
        Choice.objects.bulk_create(
            Choice(question=copy, text=choice.text, is_correct=choice.is_correct, position=choice.position)
            for choice in question.choices.all()
        )


def version_problems(version: ExamVersion) -> list[str]:
    """Every reason the version cannot be published, in the editor's words (empty: it can be)."""
    problems: list[str] = []
    questions = list(version.questions.prefetch_related("choices"))
    if not questions:
        problems.append(_("The test has no questions."))
    if version.questions_per_attempt > len(questions):
        problems.append(
            _("%(count)d questions are drawn, but the test has only %(pool)d.")
            % {"count": version.questions_per_attempt, "pool": len(questions)}
        )
    for passage in version.passages.all():
        if not passage.text.strip():
            problems.append(_("Passage “%(name)s” has no text.") % {"name": passage.title or passage.key})
        if not any(question.group_id == passage.pk for question in questions):
            problems.append(_("Passage “%(name)s” has no questions.") % {"name": passage.title or passage.key})
    for number, question in enumerate(questions, start=1):
        problems.extend(
            _("Question %(number)d: %(problem)s") % {"number": number, "problem": problem}
            for problem in question_problems(question)
        )
    return problems


def question_problems(question: Question) -> list[str]:
    """What is wrong with one question for its kind (docs/design.md §3)."""
    choices = list(question.choices.all())
    correct = sum(choice.is_correct for choice in choices)
    problems = []
    if not question.prompt.strip():
        problems.append(_("the question has no text."))
    if question.kind == Question.Kind.SINGLE and (len(choices) < 2 or correct != 1):
        problems.append(_("give at least two choices and mark exactly one as correct."))
    elif question.kind == Question.Kind.MULTIPLE and (len(choices) < 2 or correct < 1):
        problems.append(_("give at least two choices and mark at least one as correct."))
    elif question.kind == Question.Kind.SHORT and not any(str(a).strip() for a in question.accepted_answers):
        problems.append(_("give at least one accepted answer."))
    elif question.kind == Question.Kind.ORDERING and not MIN_ITEMS <= len(choices) <= MAX_ITEMS:
        problems.append(
            _("an ordering question has %(low)d to %(high)d items.") % {"low": MIN_ITEMS, "high": MAX_ITEMS}
        )
    return problems


def version_publish(*, version: ExamVersion, by: User | None, now=None) -> ExamVersion:
    """Freeze a draft: from now on sessions may pin it and nothing in it changes.

    The exam's working settings follow the published version (its title is what lists show).
    """
    with transaction.atomic():
        version = ExamVersion.objects.select_for_update().select_related("exam").get(pk=version.pk)
        if version.is_published:
            raise ServiceError(_("This version is published already."), code="published")
        problems = version_problems(version)
        if problems:
            raise ServiceError(" ".join(problems), code="invalid")
        version.status, version.published_at = ExamVersion.Status.PUBLISHED, now or timezone.now()
        version.save(update_fields=["status", "published_at"])
        exam = version.exam
        for name in ExamVersion.SETTINGS:
            setattr(exam, name, getattr(version, name))
        exam.save(update_fields=list(ExamVersion.SETTINGS))
        _record(exam, by=by, action="exam.publish", version=version.number)
    return version


def draft_required(version: ExamVersion) -> None:
    """Refuse to change a published version (the editor's functions call this first)."""
    if version.status != ExamVersion.Status.DRAFT:
        raise ServiceError(
            _("A published version cannot change; edit the test to start its next version."), code="published"
        )
