"""Roster CSV files for teachers: import (all-or-nothing), export, and an empty template (DESIGN §2)."""

from __future__ import annotations

import re
from urllib.parse import quote

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from classrooms.access import get_class_for_teacher, role_required, roster_of
from classrooms.forms import RosterUploadForm
from classrooms.models import User
from classrooms.roster_csv import RosterFileError, parse_roster, write_roster
from classrooms.services import ServiceError, examinees_issue

# Characters no file name may carry across operating systems, plus quotes that would end the header value.
UNSAFE_IN_FILENAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|;]')


@role_required(User.Role.TEACHER)
@require_http_methods(["GET", "POST"])
def roster_import(request, class_id: int):
    school_class = get_class_for_teacher(request.user, class_id)
    problem, line_errors = "", []
    if request.method == "POST":
        form = RosterUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                rows = parse_roster(form.cleaned_data["file"].read())
                credentials = examinees_issue(school_class=school_class, rows=rows, by=request.user)
            except RosterFileError as error:
                problem, line_errors = error.message, error.errors
            except ServiceError as error:
                problem = _("Nothing was imported. %(reason)s") % {"reason": error}
            else:
                return render(
                    request,
                    "classrooms/slips.html",
                    {
                        "credentials": credentials,
                        "organization": school_class.organization,
                        "back_url": reverse("teacher_roster", args=[school_class.pk]),
                        "title": _("Accounts issued for %(class)s") % {"class": school_class.name},
                    },
                )
    else:
        form = RosterUploadForm()
    return render(
        request,
        "classrooms/teacher/roster_import.html",
        {"school_class": school_class, "form": form, "problem": problem, "line_errors": line_errors},
    )


@role_required(User.Role.TEACHER)
@require_GET
def roster_export(request, class_id: int):
    school_class = get_class_for_teacher(request.user, class_id)
    filename = f"roster-{school_class.school_year}-{school_class.name}.csv"
    return _csv_response(roster_of(school_class).order_by("number", "examinee__kana", "examinee__name"), filename)


@role_required(User.Role.TEACHER)
@require_GET
def roster_template(request):
    """The header line alone, for a teacher to fill in with Excel."""
    return _csv_response([], "roster-template.csv")


def _csv_response(enrollments, filename: str) -> HttpResponse:
    # The BOM tells Excel the file is UTF-8; without it Japanese Excel reads Shift_JIS and garbles names.
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response.write("\ufeff")
    write_roster(enrollments, response)
    response["Content-Disposition"] = _attachment(filename)
    response["Cache-Control"] = "no-store"  # names of children: keep them out of shared caches
    return response


def _attachment(filename: str) -> str:
    """Content-Disposition with an ASCII fallback and the real name per RFC 5987/6266."""
    filename = UNSAFE_IN_FILENAME.sub("_", filename)
    fallback = filename.encode("ascii", "replace").decode("ascii").replace("?", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
