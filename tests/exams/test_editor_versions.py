"""The editor's versions: each version's preview, download and item analysis, an older published version
shown read-only with its keys to correct, and an imported file opening in the editor (docs/design.md §3).
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from exams import versions
from tests.conftest import make_exam
from tests.exams.conftest import new_draft

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


def url(name, *args):
    return reverse(f"exams:{name}", args=args)


@pytest.fixture
def two_versions(organization, teacher):
    """A school's test: version 1 published (key 東京), version 2 a draft."""
    exam, draft = new_draft(organization, teacher, code="capitals", title="首都", questions_per_attempt=1)
    question = versions.question_add(version=draft, by=teacher, kind="short")
    versions.question_update(question=question, by=teacher, prompt="日本の首都は", accepted=["東京"])
    versions.version_publish(version=draft, by=teacher)
    versions.exam_draft_next_version(exam=exam, by=teacher)
    return exam, question


def test_the_draft_page_links_every_versions_preview_download_and_analysis(client_of, teacher, two_versions):
    exam, _question = two_versions
    page = client_of(teacher).get(url("write_exam", exam.pk)).content.decode()
    for number in (1, 2):
        assert url("version_preview", exam.pk, number) in page
        assert url("exam_export_json", exam.pk, number) in page
    assert url("version_analysis", exam.pk, 1) in page  # a published version has results to analyse
    assert url("version_analysis", exam.pk, 2) not in page  # a draft has none
    assert f"{url('write_exam', exam.pk)}?version=1" in page


def test_an_older_published_version_is_shown_read_only_with_its_keys_to_correct(client_of, teacher, two_versions):
    exam, question = two_versions
    client = client_of(teacher)
    page = client.get(url("write_exam", exam.pk), {"version": 1}).content.decode()
    assert url("question_regrade", exam.pk, 1, question.pk) in page
    assert 'name="prompt"' not in page
    assert "Back to the draft of version 2" in page
    assert url("write_draft_next", exam.pk) not in page  # the draft exists: no second one is offered
    draft_page = client.get(url("write_exam", exam.pk)).content.decode()
    assert 'name="prompt"' in draft_page
    assert url("question_regrade", exam.pk, 1, question.pk) not in draft_page
    assert client.get(url("write_exam", exam.pk), {"version": 2}).status_code == 404  # a draft is edited, not shown
    assert client.get(url("write_exam", exam.pk), {"version": 9}).status_code == 404


def test_an_operator_tests_analysis_is_in_the_console(client_of, operator):
    exam = make_exam(code="certification")
    page = client_of(operator).get(url("write_exam", exam.pk)).content.decode()
    assert reverse("admin:exams_exam_item_analysis", args=[exam.pk]) + "?version=1" in page
    assert url("version_analysis", exam.pk, 1) not in page


def test_an_imported_file_opens_in_the_editor(client_of, teacher, two_versions):
    exam, _question = two_versions
    client = client_of(teacher)
    exported = client.get(url("exam_export_json", exam.pk, 1)).content
    response = client.post(url("exam_import_json"), {"file": SimpleUploadedFile("capitals.json", exported)})
    imported = exam.__class__.objects.get(code="capitals-2")
    assert response.status_code == 302
    assert response["Location"] == url("write_exam", imported.pk)
    assert url("exam_import_json") in client.get(url("write_list")).content.decode()
