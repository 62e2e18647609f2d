"""Teacher screens of live proctoring: open a test for a class, the class's tests, the live dashboard.

The dashboard is a page shell. static/js/proctor.js draws the tiles from the
snapshot embedded in the page and keeps them live over /ws/proctor/<id>/,
where the teacher also starts and ends the test (docs/protocol.md).
"""

from __future__ import annotations

from django import forms
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from classrooms.access import get_class_for_teacher, role_required
from classrooms.models import User
from exams.models import Attempt, Exam
from proctoring import services
from proctoring.access import get_session_for_viewer
from proctoring.live import snapshot
from proctoring.models import ProctoredSession, Signal

teacher_required = role_required(User.Role.TEACHER)

# Words proctor.js puts on the page; the tile's fixed labels are in the template.
DASHBOARD_TEXT = {
    "session": dict(ProctoredSession.Status.choices),
    "signals": dict(Signal.Kind.choices),
    "finish_reasons": dict(Attempt.FinishReason.choices),
    "states": {
        "absent": _("Not here yet"),
        "waiting": _("Waiting"),
        "answering": _("Answering"),
        "paused": _("Paused"),
        "submitted": _("Submitted"),
    },
    "online": _("Online"),
    "offline": _("Offline"),
    "offline_for": _("Offline for %(time)s"),
    "second_device": _("%(count)s connections"),
    "extra_minutes": _("+%(minutes)s min"),
    "connecting": _("Connecting…"),
    "live": _("Live: changes appear as they happen."),
    "reconnecting": _("Connection lost. Trying again in %(seconds)s s…"),
    "not_allowed": _("This page can no longer follow the test. Reload it or sign in again."),
    "not_connected": _("Not connected right now. Wait for the connection to come back and try again."),
    "confirm_end": _("End the test for everyone now? Open answers are handed in and scored."),
    "warn_label": _("Warn %(name)s"),
    "pause_label": _("Pause %(name)s"),
    "resume_label": _("Resume %(name)s"),
    "extend_label": _("Extra time for %(name)s"),
    "summary": _(
        "Online %(online)s / %(total)s · answering %(answering)s · submitted %(submitted)s · flagged %(flagged)s"
    ),
}


class SessionOpenForm(forms.Form):
    exam = forms.ModelChoiceField(
        label=_("Test"), queryset=Exam.objects.filter(is_active=True), empty_label=_("Choose a test")
    )


@teacher_required
@require_http_methods(["GET", "POST"])
def session_create(request, class_id: int):
    """Open the waiting room of a test for one of the teacher's classes."""
    school_class = get_class_for_teacher(request.user, class_id)
    form = SessionOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            session = services.session_open(school_class=school_class, exam=form.cleaned_data["exam"], by=request.user)
        except services.ProctoringError as error:
            form.add_error(None, str(error))
        else:
            return redirect("proctor_dashboard", session_id=session.pk)
    current = school_class.sessions.exclude(status=ProctoredSession.Status.ENDED).first()
    return render(
        request, "proctoring/session_create.html", {"school_class": school_class, "form": form, "current": current}
    )


@teacher_required
@require_GET
def session_list(request, class_id: int):
    school_class = get_class_for_teacher(request.user, class_id)
    sessions = (
        school_class.sessions.select_related("exam").annotate(attempt_count=Count("attempts")).order_by("-created_at")
    )
    return render(request, "proctoring/session_list.html", {"school_class": school_class, "sessions": sessions})


@role_required(User.Role.TEACHER, User.Role.ORG_ADMIN)
@require_GET
def dashboard(request, session_id: int):
    """The session's teacher controls it; the org admins of its organization watch it read-only."""
    session, may_control = get_session_for_viewer(request.user, session_id)
    config = {
        "ws_path": f"/ws/proctor/{session.pk}/",
        "may_control": may_control,
        "now": timezone.now().isoformat(),  # the server's clock, to count "offline for" without the device's
        "text": DASHBOARD_TEXT,
    }
    return render(
        request,
        "proctoring/dashboard.html",
        {
            "session": session,
            "may_control": may_control,
            "snapshot": snapshot(session),
            "config": config,
            "max_warning_length": services.MAX_WARNING_LENGTH,
            "max_extra_minutes": services.MAX_EXTRA_MINUTES,
        },
    )
