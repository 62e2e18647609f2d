"""Roster CSV files for teachers: import (all-or-nothing), export, and an empty template (docs/design.md §2)."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from classrooms.access import get_class_for_teacher, role_required, roster_of
from classrooms.forms import RosterUploadForm
from classrooms.models import User
from classrooms.roster_csv import EXPORT_HEADER, RosterFileError, parse_roster, roster_rows
from classrooms.services import examinees_issue
from classrooms.spreadsheet import csv_download
from classrooms.views.teacher import slips_page
from config.errors import ServiceError


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
                title = _("Accounts issued for %(class)s") % {"class": school_class.name}
                return slips_page(request, school_class, credentials, title)
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
    enrollments = roster_of(school_class).order_by("number", "examinee__kana", "examinee__name")
    return csv_download(filename, EXPORT_HEADER, roster_rows(enrollments))


@role_required(User.Role.TEACHER)
@require_GET
def roster_template(request):
    """The header line alone, for a teacher to fill in with Excel."""
    return csv_download("roster-template.csv", EXPORT_HEADER, [])
