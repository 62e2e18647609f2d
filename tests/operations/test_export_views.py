"""The org admin's data export page: who may use it, one export at a time, progress, download (§8.4)."""

from __future__ import annotations

import datetime
import zipfile

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse
from django.utils import timezone

from classrooms.models import AuditEntry
from operations.export import export_build, export_claim
from operations.models import DataExport
from tests.operations.conftest import build_export

LIST = reverse("operations:export_list")
NEW = reverse("operations:export_request")
STATUS = reverse("operations:export_status")


def download_url(export: DataExport) -> str:
    return reverse("operations:export_download", args=[export.pk])


def test_the_org_admin_requests_an_export_and_its_build_starts_after_commit(
    client_of, org_admin, organization, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_of(org_admin).post(NEW)
    assert response.status_code == 302
    export = DataExport.objects.get()
    assert (export.organization, export.requested_by, export.status) == (organization, org_admin, "queued")
    assert len(callbacks) == 1
    assert AuditEntry.objects.filter(organization=organization, action="export.request").count() == 1


def test_a_second_request_while_one_is_waiting_shows_that_one(client_of, org_admin):
    client = client_of(org_admin)
    client.post(NEW)
    response = client.post(NEW, follow=True, headers={"accept-language": "en"})
    assert DataExport.objects.count() == 1
    assert "An export of the school is already being prepared" in response.content.decode()


def test_the_page_polls_while_an_export_is_built_and_stops_when_it_is_done(client_of, org_admin, organization):
    client = client_of(org_admin)
    client.post(NEW)
    export = DataExport.objects.get()
    token = export_claim(export.pk)
    DataExport.objects.filter(pk=export.pk).update(rows_done=30, rows_total=120)
    page = client.get(LIST).content.decode()
    assert 'hx-trigger="every 2s"' in page
    assert 'value="25"' in page  # 30 of 120 rows
    export_build(export.pk, token)
    partial = client.get(STATUS, headers={"hx-request": "true"}).content.decode()
    assert "hx-trigger" not in partial
    assert download_url(export) in partial


def test_the_download_is_the_zip_and_is_audited(client_of, org_admin, organization):
    export = build_export(organization, org_admin)
    response = client_of(org_admin).get(download_url(export))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    assert "attachment" in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    assert content == export.path.read_bytes()
    assert zipfile.ZipFile(export.path).testzip() is None
    entry = AuditEntry.objects.get(action="export.download")
    assert (entry.organization, entry.actor, entry.target_id) == (organization, org_admin, str(export.pk))


def test_an_expired_export_gives_a_clear_page(client_of, org_admin, organization):
    export = build_export(organization, org_admin)
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    response = client_of(org_admin).get(download_url(export), headers={"accept-language": "ja"})
    assert response.status_code == 410
    assert "operations/export_unavailable.html" in [template.name for template in response.templates]
    assert "保管期限を過ぎたため" in response.content.decode()
    assert not AuditEntry.objects.filter(action="export.download").exists()


def test_an_export_whose_file_is_gone_gives_the_same_page(client_of, org_admin, organization):
    export = build_export(organization, org_admin)
    export.path.unlink()
    assert client_of(org_admin).get(download_url(export)).status_code == 410


@pytest.mark.parametrize("who", ["teacher", "examinee", "operator", "foreign_org_admin"])
def test_nobody_but_the_schools_org_admin_reaches_its_exports(request, client_of, org_admin, organization, who):
    export = build_export(organization, org_admin)
    client = client_of(request.getfixturevalue(who))
    for url in (download_url(export), LIST, STATUS):
        if who == "foreign_org_admin" and url != download_url(export):
            continue  # their own school's page
        assert client.get(url).status_code == 404, url
    assert not AuditEntry.objects.filter(action="export.download").exists()


def test_another_schools_org_admin_sees_only_their_own_exports(client_of, org_admin, organization, foreign_org_admin):
    build_export(organization, org_admin)
    page = client_of(foreign_org_admin).get(LIST).content.decode()
    assert reverse("operations:export_download", args=[DataExport.objects.get().pk]) not in page


def test_signed_out_visitors_are_sent_to_sign_in(client, org_admin, organization):
    export = build_export(organization, org_admin)
    assert client.get(download_url(export)).status_code == 302
    assert client.post(NEW).status_code == 302
    assert DataExport.objects.count() == 1


@pytest.mark.django_db(transaction=True)
async def test_under_asgi_the_file_is_sent_chunk_by_chunk(async_client, org_admin, organization, monkeypatch):
    """Daphne serves through Django's ASGI handler, which would read a plain file whole before sending it."""
    monkeypatch.setattr("operations.export.start_build_thread", lambda pk: None)  # built here instead
    export = await sync_to_async(build_export)(organization, org_admin)
    monkeypatch.setattr("operations.views.DOWNLOAD_CHUNK_BYTES", 1024)
    await async_client.aforce_login(org_admin)
    response = await async_client.get(download_url(export))
    assert response.status_code == 200
    assert response.is_async
    chunks = [chunk async for chunk in response.streaming_content]
    assert len(chunks) == -(-export.size_bytes // 1024)
    assert b"".join(chunks) == export.path.read_bytes()
    assert response["Content-Length"] == str(export.size_bytes)
