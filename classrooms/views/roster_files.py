"""Roster CSV files for teachers: import (all-or-nothing), export, and an empty template (docs/design.md §2)."""

from __future__ import annotations

import math
import secrets

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from classrooms.access import get_class_for_teacher, role_required, roster_of
from classrooms.forms import RosterUploadForm
from classrooms.models import SchoolClass, User
from classrooms.roster_csv import EXPORT_HEADER, RosterFileError, parse_roster, roster_rows
from classrooms.services import examinees_issue
from classrooms.spreadsheet import csv_download
from classrooms.views.teacher import slips_page
from config.errors import ServiceError
from config.ratelimits import rate_limit

# One-time tokens of the import form, kept in the session: a form is good for one import, so a
# double click, a resent POST or the back button never issues the same accounts twice. Two POSTs
# of one form that arrive together may both find the token in the session (each loaded it before
# the other saved); the service then refuses the second under the class's row lock (`once`).
IMPORT_TOKENS_KEY = "roster_import_tokens"
IMPORT_TOKENS_KEPT = 20  # forms open at once in one session (several tabs); older ones expire
ALREADY_SENT = gettext_lazy(
    "This form was already sent, so nothing was imported again. "
    "Check the class roster before you import the file once more."
)
SECONDS_PER_ACCOUNT = 0.3  # about this per account (Argon2 hashing dominates; not re-measured here)


def expected_seconds(accounts: int) -> int:
    """The wait to announce, rounded up to 5 seconds: 40 accounts, 15 seconds."""
    return max(5, math.ceil(accounts * SECONDS_PER_ACCOUNT / 5) * 5)


def import_token_issue(request) -> str:
    token = secrets.token_urlsafe(16)
    tokens = request.session.get(IMPORT_TOKENS_KEY, [])[-(IMPORT_TOKENS_KEPT - 1) :]
    request.session[IMPORT_TOKENS_KEY] = [*tokens, token]
    return token


def import_token_consume(request, token: str) -> bool:
    """True once per issued token. The session is saved at once, so a later POST sees it gone; one
    that already loaded the session is stopped by the service instead (see above).
    """
    tokens = request.session.get(IMPORT_TOKENS_KEY, [])
    if not token or token not in tokens:
        return False
    request.session[IMPORT_TOKENS_KEY] = [kept for kept in tokens if kept != token]
    request.session.save()
    return True


@role_required(User.Role.TEACHER)
@require_http_methods(["GET", "POST"])
@rate_limit("roster_import")
def roster_import(request, class_id: int):
    school_class = get_class_for_teacher(request.user, class_id)
    problem, line_errors = "", []
    if request.method == "POST":
        form = RosterUploadForm(request.POST, request.FILES)
        token = request.POST.get("import_token", "")
        if not import_token_consume(request, token):
            problem = ALREADY_SENT
        elif form.is_valid():
            try:
                rows = parse_roster(form.cleaned_data["file"].read())
                credentials = examinees_issue(school_class=school_class, rows=rows, by=request.user, once=token)
            except RosterFileError as error:
                problem, line_errors = error.message, error.errors
            except ServiceError as error:
                if error.code == "already_imported":  # the same form twice at once: the service caught it
                    problem = ALREADY_SENT
                else:
                    problem = _("Nothing was imported. %(reason)s") % {"reason": error}
            else:
                title = _("Accounts issued for %(class)s") % {"class": school_class.name}
                return slips_page(request, school_class, credentials, title)
    else:
        form = RosterUploadForm()
    context = {
        "school_class": school_class,
        "form": form,
        "problem": problem,
        "line_errors": line_errors,
        "import_token": import_token_issue(request),
        "seconds_for_full_class": expected_seconds(SchoolClass.CAPACITY),  # 40 → 15
        "capacity": SchoolClass.CAPACITY,
        "seconds_per_account": SECONDS_PER_ACCOUNT,
        # kantoku.js says it with the number of lines of the chosen file (docs/design.md §9: words reach JS here).
        "i18n": {
            "importing": _(
                "Importing… This takes about %(seconds)s seconds for %(count)s examinees. "
                "Please wait and do not close the page."
            )
        },
    }
    return render(request, "classrooms/teacher/roster_import.html", context)


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
