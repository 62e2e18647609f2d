"""JSON import and export in the browser (docs/exam-format.md, docs/design.md §3).

The download is the document `manage.py export_exam` writes; an upload becomes a new draft in the
uploader's catalog (formats 1 and 2); a bad file lists every problem and creates nothing.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from classrooms.models import AuditEntry
from exams.catalog import export_exam_document
from exams.models import Exam, ExamVersion
from tests.conftest import make_exam
from tests.exams.test_catalog_import import small_document
from tests.exams.test_preview import _mixed_version
from tests.security.sweep import fingerprint, fingerprint_changes

pytestmark = pytest.mark.django_db


def _export_url(version):
    return reverse("exams:exam_export_json", args=[version.exam_id, version.number])


def _upload(client, content: bytes, name: str = "test.json"):
    return client.post(reverse("exams:exam_import_json"), {"file": SimpleUploadedFile(name, content)}, follow=True)


def _without_code(document: dict) -> dict:
    return {key: value for key, value in document.items() if key != "code"}


def test_the_download_is_what_export_exam_writes(client_of, organization, teacher):
    version = _mixed_version(organization, teacher, publish=True)
    response = client_of(teacher).get(_export_url(version))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="preview-mixed-v1.json"'
    written = io.StringIO()
    call_command("export_exam", "preview-mixed", stdout=written)
    assert response.content.decode() == written.getvalue().rstrip("\n")
    assert json.loads(response.content) == export_exam_document(version)


def test_a_round_trip_in_the_browser_makes_a_new_draft_with_the_same_content(client_of, organization, teacher):
    version = _mixed_version(organization, teacher, publish=True)
    client = client_of(teacher)
    exported = client.get(_export_url(version)).content
    response = _upload(client, exported)
    assert "preview-mixed-2" in " ".join(str(m) for m in response.context["messages"])
    imported = Exam.objects.get(code="preview-mixed-2")  # the code was taken: a number is added
    assert (imported.organization, imported.created_by) == (organization, teacher)
    new_version = imported.versions.get()
    assert (new_version.number, new_version.status) == (1, ExamVersion.Status.DRAFT)
    assert _without_code(export_exam_document(new_version)) == _without_code(json.loads(exported))
    entry = AuditEntry.objects.get(action="exam.import")
    assert (entry.organization, entry.details["code"], entry.details["questions"]) == (organization, imported.code, 4)
    # The original is untouched.
    assert Exam.objects.get(code="preview-mixed").versions.get().status == ExamVersion.Status.PUBLISHED


def test_a_format_1_file_still_imports_and_an_operator_imports_into_the_operator_catalog(client_of, operator):
    document = small_document(code="old-format")
    _upload(client_of(operator), json.dumps(document, ensure_ascii=False).encode())
    exam = Exam.objects.get(code="old-format")
    assert exam.organization is None
    version = exam.versions.get()
    assert version.status == ExamVersion.Status.DRAFT
    assert version.questions.count() == 3
    assert version.questions.first().passage == "むかしむかし、あるところに。"


def test_a_bad_file_lists_every_problem_and_creates_nothing(client_of, teacher):
    document = small_document(code="broken")
    document["time_limit_minutes"] = 0
    document["questions"][0]["choices"] = [{"text": "ア"}]
    document["questions"][1]["prompt"] = ""
    client = client_of(teacher)
    before = fingerprint()
    response = _upload(client, json.dumps(document).encode())
    problems = response.context["problems"]
    assert len(problems) >= 3
    assert any(problem.startswith("time_limit_minutes") for problem in problems)
    assert any(problem.startswith("questions[0].choices") for problem in problems)
    assert any(problem.startswith("questions[1].prompt") for problem in problems)
    html = response.content.decode()
    assert all(problem.replace('"', "&quot;") in html for problem in problems)
    not_json = _upload(client, b'{"format": "kantoku-exam/2",').context["problems"]
    assert not_json
    assert not_json[0].startswith("invalid JSON")
    not_utf8 = _upload(client, "テスト".encode("shift_jis")).context["problems"]
    assert not_utf8[0].startswith("not UTF-8")
    assert fingerprint_changes(before, fingerprint()) == []


def test_who_may_export_and_import(client_of, organization, teacher, org_admin, examinee, foreign_teacher, operator):
    school = _mixed_version(organization, teacher, publish=True)
    catalog = make_exam(code="operator-test").versions.get()
    for user, version, status in [
        (org_admin, school, 200),
        (foreign_teacher, school, 404),
        (operator, school, 404),
        (examinee, school, 404),
        (teacher, catalog, 404),
        (operator, catalog, 200),
    ]:
        client = client_of(user)
        assert client.get(_export_url(version)).status_code == status, (user, version)
        client.logout()
    for user in (org_admin, examinee):  # neither writes tests
        client = client_of(user)
        assert client.get(reverse("exams:exam_import_json")).status_code == 404
        assert _upload(client, json.dumps(small_document("nope")).encode()).status_code == 404
        client.logout()
    assert not Exam.objects.filter(code="nope").exists()
