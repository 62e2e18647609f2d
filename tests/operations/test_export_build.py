"""Building exports in the background: claims, restarts of silent builds, failures, expiry (§8.4)."""

from __future__ import annotations

import datetime
import os
import threading
from dataclasses import replace

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from operations import export as export_module
from operations.export import (
    LostClaim,
    Progress,
    export_build,
    export_claim,
    export_request,
    exports_build_due,
    exports_purge,
)
from operations.models import DataExport
from tests.operations.conftest import build_export, zip_texts


@pytest.fixture
def queued(organization, org_admin):
    export, _created = export_request(organization=organization, by=org_admin)
    return export


def test_only_one_builder_claims_an_export(queued):
    assert export_claim(queued.pk) is not None
    assert export_claim(queued.pk) is None
    assert export_claim(queued.pk, stale_before=timezone.now() - datetime.timedelta(minutes=10)) is None


def test_the_command_builds_waiting_exports_and_restarts_silent_ones(queued, organization, capsys):
    call_command("build_exports")
    queued.refresh_from_db()
    assert queued.status == DataExport.Status.DONE
    assert queued.path.is_file()
    assert queued.rows_done == queued.rows_total > 0
    assert queued.expires_at - queued.finished_at == datetime.timedelta(days=7)
    assert "1 export(s) built" in capsys.readouterr().out

    # A build whose process died: running, silent for longer than EXPORT_STALE_MINUTES.
    DataExport.objects.filter(pk=queued.pk).update(status="running", file_name="", finished_at=None)
    assert exports_build_due() == 0  # still fresh: its builder may be alive
    DataExport.objects.filter(pk=queued.pk).update(updated_at=timezone.now() - datetime.timedelta(minutes=11))
    assert exports_build_due() == 1
    queued.refresh_from_db()
    assert queued.status == DataExport.Status.DONE


def test_a_builder_that_lost_its_claim_stops_and_writes_nothing(queued, export_dir):
    first = export_claim(queued.pk)
    DataExport.objects.filter(pk=queued.pk).update(updated_at=timezone.now() - datetime.timedelta(hours=1))
    second = export_claim(queued.pk, stale_before=timezone.now() - datetime.timedelta(minutes=10))
    assert first != second
    with pytest.raises(LostClaim):
        Progress(queued.pk, first).start(total=1)
    export_build(queued.pk, first)
    queued.refresh_from_db()
    assert (queued.status, queued.file_name) == ("running", "")
    assert not any(export_dir.iterdir())
    export_build(queued.pk, second)
    queued.refresh_from_db()
    assert queued.status == DataExport.Status.DONE
    assert [path.name for path in export_dir.iterdir()] == [queued.file_name]


def test_a_failed_build_is_marked_failed_and_leaves_no_file(queued, export_dir, monkeypatch):
    def broken(ctx, items):
        raise RuntimeError("disk full")
        yield []

    monkeypatch.setattr("operations.export.EXPORT_FILES", (replace(export_module.EXPORT_FILES[0], rows=broken),))
    export_build(queued.pk, export_claim(queued.pk))
    queued.refresh_from_db()
    assert queued.status == DataExport.Status.FAILED
    assert "disk full" in queued.error
    assert not any(export_dir.iterdir())
    # A failed export does not block a new one.
    _again, created = export_request(organization=queued.organization, by=queued.requested_by)
    assert created


def test_expired_files_are_deleted_and_the_row_stays(organization, org_admin, export_dir):
    export = build_export(organization, org_admin)
    stale_part = export_dir / "sakura-99-dead.part"
    stale_part.write_bytes(b"partial")
    two_days_ago = (timezone.now() - datetime.timedelta(days=2)).timestamp()
    os.utime(stale_part, (two_days_ago, two_days_ago))
    assert exports_purge() == 0
    assert export.path.is_file()
    assert not stale_part.exists()
    assert exports_purge(now=export.expires_at) == 1
    assert not export.path.exists()
    export.refresh_from_db()
    assert export.file_name == ""
    assert export.is_downloadable() is False


@pytest.mark.django_db(transaction=True)
def test_the_request_builds_the_export_in_a_thread_after_commit(organization, org_admin, client_of, monkeypatch):
    threads: list[threading.Thread] = []
    start = export_module.start_build_thread
    monkeypatch.setattr("operations.export.start_build_thread", lambda pk: threads.append(start(pk)))
    client_of(org_admin).post(reverse("operations:export_request"))
    assert len(threads) == 1
    threads[0].join(timeout=60)
    export = DataExport.objects.get()
    assert export.status == DataExport.Status.DONE
    assert "README.txt" in zip_texts(export.path)
