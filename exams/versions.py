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

import secrets

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from badges import services as badge_services
from classrooms.models import AuditEntry, User, audit_actions
from config.errors import ServiceError
from exams.catalog import (
    ACCEPTED_MAX_LENGTH,
    CHOICE_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    MAX_ACCEPTED,
    MAX_CHOICES,
    MAX_ITEMS,
    MAX_QUESTIONS_PER_ATTEMPT,
    MIN_ITEMS,
    PASS_MARK_RANGE,
    PASSAGE_MAX_LENGTH,
    PROMPT_MAX_LENGTH,
    TIME_LIMIT_RANGE,
    TITLE_MAX_LENGTH,
)
from exams.models import Choice, Exam, ExamVersion, Passage, Question
from exams.templatetags.exam_text import without_ruby

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
            badge_services.achievement_copy(source, draft)
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
        name = without_ruby(passage.title) or passage.key  # the panel is one line of plain text
        if not passage.text.strip():
            problems.append(_("Passage “%(name)s” has no text.") % {"name": name})
        on_it = sum(question.group_id == passage.pk for question in questions)
        if not on_it:
            problems.append(_("Passage “%(name)s” has no questions.") % {"name": name})
        elif on_it > version.questions_per_attempt:
            # A passage is drawn with all its questions or not at all (docs/design.md §3): it would never be.
            problems.append(
                _(
                    "Passage “%(name)s” has %(count)d questions, more than the %(drawn)d drawn for each pupil: "
                    "it would never be drawn. Draw more questions, or move some off the passage."
                )
                % {"name": name, "count": on_it, "drawn": version.questions_per_attempt}
            )
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
    if any(not choice.text.strip() for choice in choices):
        problems.append(_("a choice or item has no text."))
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
        if exam.organization_id is None:  # an operator test always awards the operator's badge (§12)
            badge_services.operator_achievement(version)
        _record(exam, by=by, action="exam.publish", version=version.number)
    return version


def draft_required(version: ExamVersion) -> None:
    """Refuse to change a published version (the editor's functions call this first)."""
    if version.status != ExamVersion.Status.DRAFT:
        raise ServiceError(
            _("A published version cannot change; edit the test to start its next version."), code="published"
        )


# --- The editor's changes to a draft (docs/design.md §3, "The editor") ---------------------------
#
# Each takes `by=` the author, locks the draft's row (so a publish in another tab waits or wins), calls
# `draft_required`, checks its input against the import's limits (exams/catalog.py) and raises
# ServiceError with the author's words, changing nothing, when something is out of bounds. A draft may
# be incomplete (an empty prompt, a choice without text): `version_problems` lists what publishing
# needs. Keys are generated, unique per version; authors never see them. Edits are not audited (one
# entry per keystroke's save would be noise): creating, publishing and new drafts are.

SETTINGS_LIMITS = {
    "time_limit_minutes": TIME_LIMIT_RANGE,
    "questions_per_attempt": (1, MAX_QUESTIONS_PER_ATTEMPT),
    "pass_mark_percent": PASS_MARK_RANGE,
}


def exam_code_new(organization) -> str:
    """A fresh exam code (`Exam.code` is unique over both catalogs; teachers never see it)."""
    prefix = "op" if organization is None else f"s{organization.pk}"
    while True:
        code = f"{prefix}-{secrets.token_hex(5)}"
        if not Exam.objects.filter(code=code).exists():
            return code


def _locked_draft(version: ExamVersion) -> ExamVersion:
    locked = ExamVersion.objects.select_for_update().get(pk=version.pk)
    draft_required(locked)
    return locked


def _refuse(message: str, code: str = "invalid"):
    raise ServiceError(message, code=code)


def _check_length(value: str, limit: int, what: str) -> str:
    if len(value) > limit:
        _refuse(_("%(what)s is longer than %(limit)d characters.") % {"what": what, "limit": limit})
    return value


def version_settings_update(*, version: ExamVersion, by: User | None, **settings) -> ExamVersion:
    """Change a draft's settings (the names of `ExamVersion.SETTINGS`; those not given stay)."""
    unknown = set(settings) - set(ExamVersion.SETTINGS)
    if unknown:
        raise ValueError(f"not settings: {sorted(unknown)}")
    title = settings.get("title")
    if title is not None and not title.strip():
        _refuse(_("The test needs a title."))
    if title is not None:
        settings["title"] = _check_length(title.strip(), TITLE_MAX_LENGTH, _("The title"))
    if "description" in settings:
        settings["description"] = _check_length(settings["description"], DESCRIPTION_MAX_LENGTH, _("The instructions"))
    for name, (low, high) in SETTINGS_LIMITS.items():
        if name in settings and not (isinstance(settings[name], int) and low <= settings[name] <= high):
            label = ExamVersion._meta.get_field(name).verbose_name
            _refuse(_("%(field)s must be from %(low)d to %(high)d.") % {"field": label, "low": low, "high": high})
    with transaction.atomic():
        version = _locked_draft(version)
        for name, value in settings.items():
            setattr(version, name, value)
        version.save(update_fields=list(settings))
    return version


def _new_key(existing, prefix: str) -> str:
    taken, number = set(existing), 1
    while f"{prefix}{number}" in taken:
        number += 1
    return f"{prefix}{number}"


def passage_add(*, version: ExamVersion, by: User | None, title: str = "", text: str = "") -> Passage:
    """A new passage (本文) at the end of the draft's passages."""
    with transaction.atomic():
        version = _locked_draft(version)
        passages = list(version.passages.all())
        passage = Passage(
            version=version,
            key=_new_key((passage.key for passage in passages), "p"),
            position=max((passage.position for passage in passages), default=-1) + 1,
        )
        _passage_fill(passage, title=title, text=text)
        passage.save()
    return passage


def _passage_fill(passage: Passage, *, title: str, text: str) -> None:
    passage.title = _check_length(title.strip(), TITLE_MAX_LENGTH, _("The passage's title"))
    passage.text = _check_length(text, PASSAGE_MAX_LENGTH, _("The passage"))


def passage_update(*, passage: Passage, by: User | None, title: str, text: str) -> Passage:
    with transaction.atomic():
        _locked_draft(passage.version)
        _passage_fill(passage, title=title, text=text)
        passage.save(update_fields=["title", "text"])
    return passage


def passage_delete(*, passage: Passage, by: User | None) -> None:
    """Delete a passage; its questions stay in the draft, as questions without a passage (nothing typed is lost)."""
    with transaction.atomic():
        _locked_draft(passage.version)
        passage.questions.update(group=None)
        passage.delete()


def _swap_neighbour(item, siblings, direction: int) -> bool:
    """Swap `item` with its neighbour in `siblings` (ordered) one step `direction` (-1 up, +1 down)."""
    if direction not in (-1, 1):
        _refuse(_("Move up or down."))
    siblings = list(siblings)
    index = next(i for i, sibling in enumerate(siblings) if sibling.pk == item.pk)
    if not 0 <= index + direction < len(siblings):
        return False
    siblings[index], siblings[index + direction] = siblings[index + direction], siblings[index]
    for position, sibling in enumerate(siblings):
        if sibling.position != position:
            sibling.position = position
            sibling.save(update_fields=["position"])
    return True


def passage_move(*, passage: Passage, by: User | None, direction: int) -> bool:
    """Move a passage one place up (-1) or down (+1); False when it is at that end already."""
    with transaction.atomic():
        version = _locked_draft(passage.version)
        return _swap_neighbour(passage, version.passages.order_by("position", "pk"), direction)


CHOICE_KINDS = (Question.Kind.SINGLE, Question.Kind.MULTIPLE)
# What a new question of each kind starts with: blank rows for the author to fill.
NEW_ROWS = {Question.Kind.SINGLE: 2, Question.Kind.MULTIPLE: 2, Question.Kind.ORDERING: MIN_ITEMS}


def question_add(
    *, version: ExamVersion, by: User | None, kind: str, passage: Passage | None = None, prompt: str = ""
) -> Question:
    """A new question of `kind` at the end of the draft (under `passage`, or standing alone)."""
    if kind not in Question.Kind.values:
        _refuse(_("Choose a question type."))
    with transaction.atomic():
        version = _locked_draft(version)
        _check_passage(version, passage)
        questions = list(version.questions.all())
        question = Question.objects.create(
            exam_id=version.exam_id,
            version=version,
            group=passage,
            kind=kind,
            key=_new_key((question.key for question in questions), "q"),
            prompt=_check_length(prompt, PROMPT_MAX_LENGTH, _("The question")),
            position=max((question.position for question in questions), default=-1) + 1,
        )
        Choice.objects.bulk_create(
            Choice(question=question, text="", position=index) for index in range(NEW_ROWS.get(kind, 0))
        )
    return question


def _check_passage(version: ExamVersion, passage: Passage | None) -> None:
    if passage is not None and passage.version_id != version.pk:
        _refuse(_("That passage is not in this version."))


def question_update(
    *,
    question: Question,
    by: User | None,
    prompt: str,
    passage: Passage | None = None,
    choices: list[tuple[str, bool]] | None = None,
    accepted: list[str] | None = None,
    credit: str | None = None,
) -> Question:
    """Save a question as the author wrote it: its prompt and passage, and for its kind the choices (text,
    correct) — an ordering question's items in their right order —, the accepted answers or the credit.

    The choices replace the old ones (a draft's choices are in no attempt). Blank accepted answers are
    dropped; blank choices are kept (the author is still typing) and `version_problems` names them.
    """
    kind = question.kind
    prompt = _check_length(prompt, PROMPT_MAX_LENGTH, _("The question"))
    rows = _checked_choices(kind, choices or [])
    answers = _checked_accepted(accepted or []) if kind == Question.Kind.SHORT else []
    if credit is not None and credit not in Question.Credit.values:
        _refuse(_("Choose how the question is scored."))
    with transaction.atomic():
        _locked_draft(question.version)
        _check_passage(question.version, passage)
        question.prompt, question.group, question.accepted_answers = prompt, passage, answers
        if kind == Question.Kind.MULTIPLE and credit is not None:
            question.credit = credit
        question.save(update_fields=["prompt", "group", "accepted_answers", "credit"])
        question.choices.all().delete()
        Choice.objects.bulk_create(
            Choice(question=question, text=text, is_correct=correct, position=index)
            for index, (text, correct) in enumerate(rows)
        )
    return question


def _checked_choices(kind: str, choices: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    if kind == Question.Kind.SHORT:
        return []
    high = MAX_ITEMS if kind == Question.Kind.ORDERING else MAX_CHOICES
    if len(choices) > high:
        _refuse(_("A question of this type has at most %(high)d choices or items.") % {"high": high})
    rows = [(_check_length(text.strip(), CHOICE_MAX_LENGTH, _("A choice")), bool(correct)) for text, correct in choices]
    texts = [text for text, _correct in rows if text]
    if len(set(texts)) < len(texts):
        _refuse(_("Two choices or items have the same text."))
    if kind == Question.Kind.SINGLE and sum(correct for _text, correct in rows) > 1:
        _refuse(_("A single-choice question has only one correct choice."))
    if kind == Question.Kind.ORDERING:
        rows = [(text, False) for text, _correct in rows]
    return rows


def _checked_accepted(accepted: list[str]) -> list[str]:
    answers = [answer.strip() for answer in accepted if answer.strip()]
    if len(answers) > MAX_ACCEPTED:
        _refuse(_("At most %(high)d accepted answers.") % {"high": MAX_ACCEPTED})
    for answer in answers:
        _check_length(answer, ACCEPTED_MAX_LENGTH, _("An accepted answer"))
    return answers


def question_delete(*, question: Question, by: User | None) -> None:
    with transaction.atomic():
        _locked_draft(question.version)
        question.delete()


def question_move(*, question: Question, by: User | None, direction: int) -> bool:
    """Move a question one place up (-1) or down (+1) among the questions of its passage (or those
    standing alone); False when it is at that end already.
    """
    with transaction.atomic():
        version = _locked_draft(question.version)
        siblings = version.questions.filter(group=question.group_id).order_by("position", "pk")
        return _swap_neighbour(question, siblings, direction)


def question_duplicate(*, question: Question, by: User | None) -> Question:
    """A copy of the question (choices, answers and credit too) right after it, under a new key."""
    with transaction.atomic():
        version = _locked_draft(question.version)
        questions = list(version.questions.order_by("position", "pk"))
        question = next(other for other in questions if other.pk == question.pk)  # its position as stored now
        copy = Question.objects.create(
            exam_id=question.exam_id,
            version=version,
            group=question.group,
            kind=question.kind,
            credit=question.credit,
            accepted_answers=list(question.accepted_answers),
            key=_new_key((other.key for other in questions), "q"),
            passage=question.passage,
            prompt=question.prompt,
            position=question.position + 1,
        )
        for other in questions:
            if other.pk != question.pk and other.position > question.position:
                other.position += 1
                other.save(update_fields=["position"])
        Choice.objects.bulk_create(
            Choice(question=copy, text=choice.text, is_correct=choice.is_correct, position=choice.position)
            for choice in question.choices.all()
        )
    return copy
