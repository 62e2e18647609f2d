"""The only door from user input to proctored sessions (see classrooms/access.py)."""

from __future__ import annotations

from django.http import Http404

from classrooms.access import members_of, organization_of, roster_of
from classrooms.models import Enrollment, User
from classrooms.schoolyear import today
from exams.models import Attempt
from proctoring.models import Incident, ProctoredSession, Seat


def _sessions():
    return ProctoredSession.objects.select_related("exam", "version", "teacher", "school_class__organization")


def get_session_for_proctor(user: User, session_id: int) -> ProctoredSession:
    """A session the user proctors, in their current organization: they may control it."""
    if not user.is_authenticated or not user.is_teacher:
        raise Http404
    try:
        return _sessions().get(pk=session_id, teacher=user, school_class__organization=organization_of(user))
    except ProctoredSession.DoesNotExist:
        raise Http404 from None


def get_session_for_viewer(user: User, session_id: int) -> tuple[ProctoredSession, bool]:
    """(session, may_control): its proctor controls it; the org admins of its organization watch it."""
    if user.is_authenticated and user.is_org_admin:
        try:
            return _sessions().get(pk=session_id, school_class__organization=organization_of(user)), False
        except ProctoredSession.DoesNotExist:
            raise Http404 from None
    return get_session_for_proctor(user, session_id), True


def get_session_for_examinee(user: User, session_id: int) -> ProctoredSession:
    """A session of a class the examinee is in today."""
    if not user.is_authenticated or not user.is_examinee:
        raise Http404
    try:
        session = _sessions().get(pk=session_id)
    except ProctoredSession.DoesNotExist:
        raise Http404 from None
    if not roster_of(session.school_class).filter(examinee=user).exists():
        raise Http404
    return session


def examinees_still_in(session_ids: set[int], examinee_ids: set[int]) -> set[tuple[int, int]]:
    """The (session, examinee) pairs among these where the examinee is on the session's class
    roster today: `get_session_for_examinee` for many open sockets at once (sockets/consumers.py).
    """
    found = set()
    for session in _sessions().filter(pk__in=session_ids):
        on_roster = roster_of(session.school_class).filter(examinee_id__in=examinee_ids)
        found.update((session.pk, examinee_id) for examinee_id in on_roster.values_list("examinee_id", flat=True))
    return found


def get_seat_for_proctor(session: ProctoredSession, examinee_id: int) -> Seat:
    """The seat of an examinee of this session's class (a proctor frame names them by id)."""
    try:
        seat = Seat.objects.select_related("examinee").get(session=session, examinee_id=examinee_id)
    except Seat.DoesNotExist:
        raise Http404 from None
    if not roster_of(session.school_class).filter(examinee_id=examinee_id).exists():
        raise Http404
    return seat


def sessions_for_examinee(user: User):
    """Sessions the examinee may enter now: open or running, of classes they are in today."""
    class_ids = Enrollment.objects.active_on(today()).filter(examinee=user).values("school_class_id")
    return (
        _sessions()
        .filter(
            school_class_id__in=class_ids, status__in=[ProctoredSession.Status.OPEN, ProctoredSession.Status.RUNNING]
        )
        .order_by("created_at")
    )


# --- Incidents, revocations and session reports (docs/design.md §5) ---------------------------------


def get_session_for_report(user: User, session_id: int) -> ProctoredSession:
    """A session whose report the user reads and acts on: its teacher's, or any of the org admin's organization."""
    return get_session_for_viewer(user, session_id)[0]


def get_examinee_of_session(session: ProctoredSession, examinee_id: int) -> User:
    """An examinee on the session's class roster today: the only ones an incident may name (docs/design.md §7)."""
    enrollment = roster_of(session.school_class).filter(examinee_id=examinee_id).first()
    if enrollment is None:
        raise Http404
    return enrollment.examinee


def get_proctor_of_session(user: User, session: ProctoredSession) -> User:
    """The session's teacher, for an org admin to report on; 404 once the teacher has left the organization."""
    if (
        not user.is_org_admin
        or not members_of(organization_of(user), User.Role.TEACHER).filter(pk=session.teacher_id).exists()
    ):
        raise Http404
    return session.teacher


def get_attempt_for_reviewer(user: User, attempt_id: int) -> Attempt:
    """An attempt of a session the user may report on, of an examinee on its class roster today."""
    attempt = Attempt.objects.select_related("examinee", "exam").filter(pk=attempt_id).first()
    if attempt is None:
        raise Http404
    attempt.session = get_session_for_report(user, attempt.session_id)
    get_examinee_of_session(attempt.session, attempt.examinee_id)
    return attempt


def incidents_for_reviewer(user: User):
    """Incidents the user may see and decide: an org admin's organization's; a teacher's about the
    examinees of sessions they proctored (never one about themselves or a colleague).
    """
    incidents = Incident.objects.select_related("session__exam", "session__school_class", "subject", "reporter")
    if not user.is_authenticated:
        return incidents.none()
    if user.is_org_admin:
        return incidents.filter(organization=organization_of(user))
    if user.is_teacher:
        return incidents.filter(
            organization=organization_of(user), session__teacher=user, subject__role=User.Role.EXAMINEE
        )
    return incidents.none()


def get_incident_for_reviewer(user: User, incident_id: int) -> Incident:
    try:
        return incidents_for_reviewer(user).get(pk=incident_id)
    except Incident.DoesNotExist:
        raise Http404 from None
