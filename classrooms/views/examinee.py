from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from classrooms.access import arrival_between_schools, role_required, transfer_requests_for
from classrooms.forms import HistoryConsentForm
from classrooms.models import Enrollment, User
from classrooms.schoolyear import today
from exams.results import results_for_examinee
from proctoring.access import sessions_for_examinee


@role_required(User.Role.EXAMINEE)
def home(request):
    """The pupil's home: their classes now, and what comes next (tests, messages)."""
    enrollments = (
        Enrollment.objects.active_on(today())
        .filter(examinee=request.user)
        .select_related("school_class__teacher")
        .order_by("-school_class__school_year", "school_class__name")
    )
    return render(
        request,
        "classrooms/examinee/home.html",
        {
            "enrollments": enrollments,
            "sessions": sessions_for_examinee(request.user),
            "transfer_requests": transfer_requests_for(request.user),
            "consent_form": HistoryConsentForm(),
        },
    )


@role_required(User.Role.EXAMINEE)
@require_GET
@never_cache  # children's scores: not for the back button of a shared school tablet
def between_schools(request):
    """The one page of an examinee between schools (docs/design.md §7): their own results and the question.

    Nothing of either school's people: no class, teacher, message or socket.
    A member of a school has their home instead (404 here).
    """
    arrival = arrival_between_schools(request.user)
    if arrival is None:
        raise Http404
    context = {"arrival": arrival, "consent_form": HistoryConsentForm(), "results": results_for_examinee(request.user)}
    return render(request, "classrooms/examinee/between_schools.html", context)
