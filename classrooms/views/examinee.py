from __future__ import annotations

from django.shortcuts import render

from classrooms.access import role_required, transfer_requests_for
from classrooms.forms import HistoryConsentForm
from classrooms.models import Enrollment, User
from classrooms.schoolyear import today
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
