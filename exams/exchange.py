"""A test's JSON document in the browser (docs/exam-format.md): the upload that creates a draft.

The file is read and checked whole (`exams.catalog.parse_exam_document`): with any problem nothing is
created and every problem is listed; else a new test, version 1 a draft, goes into the uploader's
catalog (a teacher's school, or the operator's), audited. Formats 1 and 2 are both read. The download
is `exams.catalog.export_exam_document`, the same document `manage.py export_exam` writes.
"""

from __future__ import annotations

import json

from django.db import transaction
from django.utils.translation import gettext_lazy

from classrooms.models import AuditEntry, User, audit_actions
from exams.catalog import CatalogError, catalog_import_draft, export_exam_document, parse_exam_document, read_exam_json
from exams.models import Exam, ExamVersion

MAX_UPLOAD_BYTES = 2 * 1024 * 1024

AUDIT_ACTIONS = audit_actions(
    {"exam.import": gettext_lazy("Test imported from a JSON file")},
    details={
        "version": gettext_lazy("version"),
        "code": gettext_lazy("code"),
        "format": gettext_lazy("format"),
        "questions": gettext_lazy("questions"),
    },
)


def exam_import_upload(*, raw: bytes, organization, by: User | None) -> Exam:
    """A new draft test from an uploaded file; CatalogError (every problem) and nothing created otherwise."""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise CatalogError([f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB"])
    document = parse_exam_document(read_exam_json(raw))
    with transaction.atomic():
        exam = catalog_import_draft(document=document, organization=organization, created_by=by)
        AuditEntry.record(
            organization=organization,
            actor=by,
            action="exam.import",
            target=exam,
            version=1,
            code=exam.code,
            format=document.format,
            questions=len(document.questions),
        )
    return exam


def exam_export_text(version: ExamVersion) -> str:
    """The version as the JSON text `manage.py export_exam` writes (format 2)."""
    return json.dumps(export_exam_document(version), ensure_ascii=False, indent=2)
