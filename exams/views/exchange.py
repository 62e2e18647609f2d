"""JSON import and export in the browser (docs/exam-format.md, docs/design.md §3).

Export: a version as the format 2 document `manage.py export_exam` writes, for those who may read its
questions. Import: a file becomes a new draft test in the uploader's catalog (a teacher's school, the
operator's catalog for an operator); a bad file lists every problem and creates nothing.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from classrooms.access import role_required
from classrooms.models import User
from config.ratelimits import rate_limit
from exams.access import get_version_to_read, import_catalog_of
from exams.catalog import CatalogError
from exams.exchange import MAX_UPLOAD_BYTES, exam_export_text, exam_import_upload

staff_or_operator_required = role_required(User.Role.TEACHER, User.Role.ORG_ADMIN, User.Role.OPERATOR)
author_required = role_required(User.Role.TEACHER, User.Role.OPERATOR)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Test file (JSON)"),
        help_text=gettext_lazy("A file written by the export, format 1 or 2 (docs: exam-format)."),
    )


@staff_or_operator_required
@require_GET
@never_cache
def exam_export_json(request, exam_id: int, number: int):
    """Download the version as JSON (with its key: only for those who may read its questions)."""
    version = get_version_to_read(request.user, exam_id, number)
    response = HttpResponse(exam_export_text(version), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{version.exam.code}-v{version.number}.json"'
    return response


@author_required
@never_cache
@require_http_methods(["GET", "POST"])
@rate_limit("authoring")
def exam_import_json(request):
    """Upload a test file: a new draft in one's own catalog, or the list of every problem."""
    allowed, organization = import_catalog_of(request.user)
    if not allowed:
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        raw = upload.read(MAX_UPLOAD_BYTES + 1)
        try:
            exam = exam_import_upload(raw=raw, organization=organization, by=request.user)
        except CatalogError as error:
            problems = error.problems
        else:
            messages.success(
                request,
                _("「%(title)s」 was imported as a draft (code %(code)s). Check it and publish it in the editor.")
                % {"title": exam.title, "code": exam.code},
            )
            return redirect("exams:write_exam", exam_id=exam.pk)
    return render(request, "exams/exam_import.html", {"form": form, "problems": problems})
