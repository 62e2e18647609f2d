"""Teacher screens of live proctoring: open a test for a class, the class's tests, the live dashboard;
incidents, revoking results, and the session report (docs/design.md §4, §5).

The dashboard is a page shell. static/js/proctor.js draws the tiles from the
snapshot embedded in the page and keeps them live over /ws/proctor/<id>/,
where the teacher also starts and ends the test (docs/protocol.md). Incidents
and revocations are HTTP forms (htmx where the page is live), not frames.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, F
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from classrooms.access import get_class_for_teacher, organization_of, role_required
from classrooms.models import User
from classrooms.spreadsheet import csv_download, spreadsheet_time
from config.errors import ServiceError
from exams.access import startable_exams
from exams.models import Attempt, Exam
from exams.results import revocation_of
from proctoring import services
from proctoring.access import (
    get_attempt_for_reviewer,
    get_examinee_of_session,
    get_incident_for_reviewer,
    get_proctor_of_session,
    get_session_for_report,
    get_session_for_viewer,
    incidents_for_reviewer,
)
from proctoring.forms import IncidentForm, IncidentResolveForm, RevokeForm
from proctoring.live import snapshot
from proctoring.models import Incident, ProctoredSession, Signal
from proctoring.report import incident_rows
from proctoring.report import session_report as session_report_of

teacher_required = role_required(User.Role.TEACHER)

# Words static/js/proctor.js puts on the page: the dashboard's `i18n` (see static/js/kantoku.js). The tile's
# fixed labels are in the template.
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
    "report_label": _("Record an incident about %(name)s"),
    "revoked": _("Result revoked"),
    "loading_failed": _("The form could not be loaded. Try again."),
    # Classroom-ready screens: the short flag names a tile has room for; the dialog says them in full.
    "signals_short": {
        "focus_lost": _("Left window"),
        "focus_returned": _("Returned"),
        "tab_hidden": _("Tab"),
        "tab_visible": _("Tab back"),
        "fullscreen_exit": _("Full screen off"),
        "fullscreen_enter": _("Full screen on"),
        "copy": _("Copy"),
        "cut": _("Cut"),
        "paste": _("Paste"),
        "context_menu": _("Menu"),
        "print": _("Print"),
        "connection_lost": _("Cut off"),
        "connection_restored": _("Reconnected"),
        "second_connection": _("2nd device"),
        "ip_changed": _("Network"),
    },
    "warnings_short": _("Warned"),
    "incidents_short": _("Incident"),
    "hand_raised": _("Hand up"),  # short: it must fit a tile uncut
    "attention": _("Attention"),
    "attention_count": _("Needs attention: %(count)s new"),
    "new_flag": _("new"),
    "news": _("No. %(number)s %(name)s: %(what)s"),
    "news_no_number": _("%(name)s: %(what)s"),
    "examinee_title": _("No. %(number)s"),
    "accommodation": _("Time ×%(factor)s"),
    "no_time": _("—"),
    "confirm_start_title": _("Start the test"),
    "confirm_start": _("%(count)s have not come in yet. Start anyway?"),
    "confirm_start_yes": _("Start"),
    "confirm_pause_all_title": _("Pause everyone"),
    "confirm_pause_all": _("Stop the clock of everyone answering? Their screens say the test is paused."),
    "confirm_pause_all_yes": _("Pause everyone"),
    "confirm_resume_all_title": _("Resume everyone"),
    "confirm_resume_all": _("Start the clock of everyone paused again?"),
    "confirm_resume_all_yes": _("Resume everyone"),
    "open_label": _("%(name)s: details and actions"),
}


class StartableExamField(forms.ModelChoiceField):
    """A test as the start screen lists it: which catalog, its title without notation, length and pass mark
    (all a teacher may know of an operator's test, docs/design.md §3).
    """

    def label_from_instance(self, exam: Exam) -> str:
        catalog = _("operator's test") if exam.organization_id is None else _("school's test")
        return _("[%(catalog)s] %(title)s (%(minutes)d min, pass mark %(pass_mark)d%%)") % {
            "catalog": catalog,
            "title": exam.plain_title,
            "minutes": exam.time_limit_minutes,
            "pass_mark": exam.pass_mark_percent,
        }


class SessionOpenForm(forms.Form):
    exam = StartableExamField(
        label=_("Test"), queryset=Exam.objects.filter(is_active=True), empty_label=_("Choose a test")
    )


@teacher_required
@require_http_methods(["GET", "POST"])
def session_create(request, class_id: int):
    """Open the waiting room of a test for one of the teacher's classes."""
    school_class = get_class_for_teacher(request.user, class_id)
    form = SessionOpenForm(request.POST or None)
    form.fields["exam"].queryset = startable_exams(school_class.organization).order_by(
        F("organization").asc(nulls_first=True), "title"
    )
    if request.method == "POST" and form.is_valid():
        try:
            session = services.session_open(school_class=school_class, exam=form.cleaned_data["exam"], by=request.user)
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            return redirect("proctoring:dashboard", session_id=session.pk)
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
        # + "<examinee id>/": the incident form of one examinee, loaded into the dialog by htmx
        "incident_url": reverse("proctoring:incident_new", args=[session.pk, 0]).removesuffix("0/"),
        # The "back to normal" signal kinds: listed after the others, never flagging a tile (docs/design.md §4).
        "return_kinds": sorted(Signal.RETURN_KINDS),
    }
    return render(
        request,
        "proctoring/dashboard.html",
        {
            "session": session,
            "may_control": may_control,
            "snapshot": snapshot(session),
            "config": config,
            "i18n": DASHBOARD_TEXT,
            "max_warning_length": services.MAX_WARNING_LENGTH,
            "max_extra_minutes": services.MAX_EXTRA_MINUTES,
            # docs/protocol.md §2.2: `announce` takes 1–200 characters
            "max_announcement_length": getattr(services, "MAX_ANNOUNCEMENT_LENGTH", 200),
            "announcement_examples": [_("5 minutes left"), _("10 minutes left"), _("Check your answers")],
        },
    )


# --- Incidents, revocation, session reports (docs/design.md §5) ----------------------------------------

reviewer_required = role_required(User.Role.TEACHER, User.Role.ORG_ADMIN)

INCIDENT_PAGE_SIZE = 50
REPORT_CSV_HEADER = ["番号", "氏名", "利用者ID", "記録", "内容", "日時", "最終日時", "回数", "時間(秒)", "措置・理由"]
REPORT_CSV_EVENTS = {
    "started": "開始",
    "finished": "終了",
    "signal": "シグナル",
    "incident": "不正行為",
    "revocation": "結果の取消",
}


@reviewer_required
@require_GET
@never_cache
def session_report(request, session_id: int):
    """Every signal, incident and revocation of a session, per examinee: for its teacher and the org admins."""
    session = get_session_for_report(request.user, session_id)
    report = session_report_of(session, for_org_admin=request.user.is_org_admin)
    return render(
        request,
        "proctoring/session_report.html",
        {"session": session, "report": report, "resolve_form": IncidentResolveForm(initial={"back": "report"})},
    )


@reviewer_required
@require_GET
def session_report_export(request, session_id: int):
    session = get_session_for_report(request.user, session_id)
    report = session_report_of(session, for_org_admin=request.user.is_org_admin)
    day = timezone.localdate(session.started_at or session.created_at)
    filename = f"session-report-{day:%Y%m%d}-{session.school_class.name}-{session.pk}.csv"
    return csv_download(filename, REPORT_CSV_HEADER, _report_rows(report))


def _seconds(duration_ms: int | None) -> str:
    return "" if duration_ms is None else f"{duration_ms / 1000:.1f}"


def _report_rows(report):
    """One line per event. The incident's private note is never exported; a reason only for named examinees."""
    for row in report.examinees:
        person = ["" if row.number is None else str(row.number), row.name, row.login_id]
        for event in row.events:
            outcome = ""
            if event.incident is not None:
                outcome = event.incident.get_action_display()
            elif event.revocation is not None and row.named:
                outcome = event.revocation.reason
            yield [
                *person,
                REPORT_CSV_EVENTS[event.what],
                str(event.label),
                spreadsheet_time(event.at),
                spreadsheet_time(event.last_at),
                "" if event.count is None else str(event.count),
                _seconds(event.duration_ms),
                outcome,
            ]
    for incident in report.proctor_incidents:
        name = report.session.teacher.name if report.proctor_named else str(_("A teacher who has left"))
        yield [
            "",
            name,
            "",
            REPORT_CSV_EVENTS["incident"],
            incident.category_label,
            spreadsheet_time(incident.at),
            "",
            "",
            "",
            incident.get_action_display(),
        ]


@reviewer_required
@never_cache
@require_http_methods(["GET", "POST"])
def incident_new(request, session_id: int, examinee_id: int):
    """Record an incident about an examinee on the session's roster: from a dashboard tile (htmx) or the report."""
    session = get_session_for_report(request.user, session_id)
    subject = get_examinee_of_session(session, examinee_id)
    signals = Signal.objects.filter(session=session, examinee=subject).order_by("at", "pk")
    return _incident_form(request, session, subject, categories=Incident.EXAMINEE_CATEGORIES, signals=signals)


@role_required(User.Role.ORG_ADMIN)
@never_cache
@require_http_methods(["GET", "POST"])
def proctor_incident_new(request, session_id: int):
    """An org admin records an incident about the session's proctor (categories 8–12)."""
    session = get_session_for_report(request.user, session_id)
    subject = get_proctor_of_session(request.user, session)
    return _incident_form(
        request, session, subject, categories=Incident.PROCTOR_CATEGORIES, signals=Signal.objects.none()
    )


def _incident_form(request, session: ProctoredSession, subject: User, *, categories, signals):
    form = IncidentForm(request.POST or None, categories=categories, signals=signals)
    in_dialog = bool(request.htmx) and request.htmx.target == "incident-dialog-body"  # the live dashboard's
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.incident_report(session=session, subject=subject, by=request.user, **form.cleaned_data)
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            if in_dialog:
                # Offer the next step of the chain: the result this incident may cost, while there is one.
                attempt = Attempt.objects.filter(session=session, examinee=subject, revocation__isnull=True).first()
                return render(
                    request,
                    "proctoring/partials/incident_saved.html",
                    {"incident": incident, "subject": subject, "attempt": attempt},
                )
            messages.success(request, _("The incident is recorded."))
            return redirect("proctoring:session_report", session_id=session.pk)
    template = "proctoring/partials/incident_form.html" if in_dialog else "proctoring/incident_new.html"
    context = {"session": session, "subject": subject, "form": form, "action_url": request.path, "in_dialog": in_dialog}
    return render(request, template, context)


@reviewer_required
@require_POST
def incident_resolve(request, incident_id: int):
    """Decide an open incident: a warning only, or no action (revoking a result decides it too)."""
    incident = get_incident_for_reviewer(request.user, incident_id)
    form = IncidentResolveForm(request.POST)
    if form.is_valid():
        services.incident_resolve(incident=incident, by=request.user, action=form.cleaned_data["action"])
        messages.success(request, _("The decision is recorded."))
    else:
        messages.error(request, _("Choose a decision."))
    if incident.session_id is None or (request.user.is_org_admin and form.cleaned_data.get("back") == "incidents"):
        return redirect("proctoring:incident_list")
    return redirect("proctoring:session_report", session_id=incident.session_id)


@reviewer_required
@never_cache
@require_http_methods(["GET", "POST"])
def result_revoke(request, attempt_id: int):
    """Revoke an examinee's result, with a reason they will read and optionally the incident behind it."""
    attempt = get_attempt_for_reviewer(request.user, attempt_id)
    revocation = revocation_of(attempt)
    incidents = incidents_for_reviewer(request.user).filter(subject=attempt.examinee, session=attempt.session)
    back = "results" if request.GET.get("back") == "results" else "report"
    form = RevokeForm(
        request.POST or None, incidents=incidents, initial={"back": back, "incident": request.GET.get("incident")}
    )
    if request.method == "POST" and revocation is None and form.is_valid():
        try:
            services.result_revoke(
                attempt=attempt,
                by=request.user,
                reason=form.cleaned_data["reason"],
                incident=form.cleaned_data["incident"],
            )
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The result of %(name)s is revoked.") % {"name": attempt.examinee.name})
            if form.cleaned_data["back"] == "results":
                results = "exams:org_class_results" if request.user.is_org_admin else "exams:class_results"
                return redirect(results, class_id=attempt.session.school_class_id)
            return redirect("proctoring:session_report", session_id=attempt.session_id)
    return render(
        request, "proctoring/result_revoke.html", {"attempt": attempt, "revocation": revocation, "form": form}
    )


class IncidentFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[("open", _("Open")), ("resolved", _("Decided")), ("all", _("All"))],
    )


@role_required(User.Role.ORG_ADMIN)
@require_GET
@never_cache
def incident_list(request):
    """The organization's incidents, open first by default, with links to their session reports."""
    form = IncidentFilterForm(request.GET or None)
    status = (form.cleaned_data["status"] if form.is_valid() else "") or "open"
    incidents = incidents_for_reviewer(request.user)
    if status == "open":
        incidents = incidents.filter(resolved_at__isnull=True)
    elif status == "resolved":
        incidents = incidents.filter(resolved_at__isnull=False)
    page = Paginator(incidents, INCIDENT_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "status": status,
        "page": page,
        "rows": incident_rows(page.object_list, organization_of(request.user)),
        "resolve_form": IncidentResolveForm(initial={"back": "incidents"}),
    }
    return render(request, "proctoring/incident_list.html", context)
