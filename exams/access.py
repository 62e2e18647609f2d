"""The only door from user input to attempts (see classrooms/access.py)."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404

from classrooms.access import active_membership, roster_of
from classrooms.models import User
from exams.models import Attempt, AttemptQuestion, Exam, ExamVersion, Question

# --- The two catalogs (docs/design.md §3) ------------------------------------------------------


def startable_exams(organization):
    """The tests a school's teacher may start: the operator's available ones and the school's own
    published ones (opening a session still checks that a published version has questions).
    """
    published = Exam.objects.filter(organization=organization, versions__status=ExamVersion.Status.PUBLISHED)
    return Exam.objects.filter(Q(organization__isnull=True) | Q(pk__in=published), is_active=True)


def exam_may_be_started(exam: Exam, organization) -> bool:
    return exam.is_active and exam.organization_id in (None, organization.pk)


def exams_for_teacher(user: User):
    """The exams of a teacher's school catalog, drafts included (none without a membership today)."""
    membership = active_membership(user) if user.is_authenticated and user.is_teacher else None
    if membership is None:
        return Exam.objects.none()
    return Exam.objects.filter(organization=membership.organization)


def exams_to_write(user: User):
    """The exams a person writes in the editor (docs/design.md §3): a teacher their school's catalog,
    drafts included; an operator the operator's catalog; nobody else any.
    """
    if user.is_authenticated and user.is_operator:
        return Exam.objects.filter(organization__isnull=True)
    return exams_for_teacher(user)


def get_exam_to_write(user: User, exam_id: int) -> Exam:
    """An exam of `exams_to_write` (the author's door); 404 for a teacher asking for the operator's
    catalog or another school's exam, and for everybody else.
    """
    try:
        return exams_to_write(user).get(pk=exam_id)
    except Exam.DoesNotExist:
        raise Http404 from None


get_exam_to_edit = get_exam_to_write  # the name the design's first paragraph and older callers use


def may_read_questions(user: User, exam: Exam) -> bool:
    """Whether the person may read the exam's questions and keys outside an attempt: the operator's
    catalog only in the operators' console, a school's own exam by its teachers and admins.
    """
    if not user.is_authenticated:
        return False
    if exam.organization_id is None:
        return user.is_operator
    membership = active_membership(user) if user.is_teacher or user.is_org_admin else None
    return membership is not None and membership.organization_id == exam.organization_id


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
        return attempt.questions.select_related("question__group").get(position=position)
    except AttemptQuestion.DoesNotExist:
        raise Http404 from None


def get_version_for_analysis(user: User, exam_id: int, number: int) -> ExamVersion:
    """A version of a test whose item analysis over the school's classes the person may see (docs/design.md §3).

    The school's own test, or one of the operator's catalog (its rates only: the view asks
    `may_read_questions`). Org admins see any; a teacher the tests they wrote and those their classes sat
    or they proctored. Anything else (another school's test, a version that does not exist) is 404.
    """
    membership = active_membership(user) if user.is_authenticated and (user.is_teacher or user.is_org_admin) else None
    if membership is None:
        raise Http404
    organization = membership.organization
    visible = Q(exam__organization=organization) | Q(exam__organization__isnull=True)
    try:
        version = ExamVersion.objects.select_related("exam").get(visible, exam_id=exam_id, number=number)
    except ExamVersion.DoesNotExist:
        raise Http404 from None
    if user.is_teacher and not _teacher_knows_version(user, organization, version):
        raise Http404
    return version


def _teacher_knows_version(user: User, organization, version: ExamVersion) -> bool:
    if version.exam.created_by_id == user.pk and version.exam.organization_id is not None:
        return True
    sessions = version.sessions.filter(school_class__organization=organization)
    return sessions.filter(Q(teacher=user) | Q(school_class__teacher=user)).exists()


# --- Preview, regrading, import and export (docs/design.md §3) -----------------------------------


def get_version_to_read(user: User, exam_id: int, number: int) -> ExamVersion:
    """A version of an exam whose questions the person may read (`may_read_questions`): the preview and
    the JSON export. 404 for everyone else.
    """
    version = ExamVersion.objects.select_related("exam").filter(exam_id=exam_id, number=number).first()
    if version is None or not may_read_questions(user, version.exam):
        raise Http404
    return version


def get_question_to_regrade(user: User, exam_id: int, number: int, question_id: int):
    """A question of a version, for someone who may write its exam; 404 for everyone else."""
    exam = get_exam_to_write(user, exam_id)
    question = (
        Question.objects.select_related("version__exam")
        .filter(pk=question_id, version__exam=exam, version__number=number)
        .first()
    )
    if question is None:
        raise Http404
    return question


def import_catalog_of(user: User):
    """The catalog an upload goes into: (True, organization) for a teacher (their school) or an operator
    (None: the operator's catalog); (False, None) for anyone else.
    """
    if user.is_authenticated and user.is_operator:
        return True, None
    membership = active_membership(user) if user.is_authenticated and user.is_teacher else None
    return (membership is not None), (membership.organization if membership else None)
