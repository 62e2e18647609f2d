"""The only door from user input to proctored sessions (see classrooms/access.py)."""

from __future__ import annotations

from django.http import Http404

from classrooms.access import organization_of, roster_of
from classrooms.models import Enrollment, User
from classrooms.schoolyear import today
from proctoring.models import ProctoredSession, Seat


def _sessions():
    return ProctoredSession.objects.select_related("exam", "teacher", "school_class__organization")


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
