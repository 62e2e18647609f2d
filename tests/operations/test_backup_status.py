"""Keeping 7 days of backups, and what /healthz and the console learn about the newest one (docs/design.md §8.3)."""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from classrooms.models import Organization
from config.errors import ServiceError
from operations import backups
from tests.operations.backup_data import key_pair

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime.datetime(2026, 12, 1, 3, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def backup_dir(settings, tmp_path) -> Path:
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.BACKUP_RECIPIENTS = [key_pair(tmp_path)[0]]
    settings.BACKUP_RETENTION_DAYS = 7
    Organization.objects.create(code="kept", name="保存される学校")
    return settings.BACKUP_DIR


def days_ago(days: float) -> datetime.datetime:
    return NOW - datetime.timedelta(days=days)


def names(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


# --- Retention ----------------------------------------------------------------------------------


def test_a_verified_backup_deletes_those_older_than_seven_days_and_keeps_the_rest(backup_dir):
    old = [backups.backup_create(now=days_ago(days)) for days in (10, 8, 6.9)]
    assert all(backup.deleted == [] for backup in old)  # none of them was 7 days older than another
    newest = backups.backup_create(now=NOW)
    kept = {status["path"] for status in backups.statuses(NOW)}
    assert kept == {str(old[2].path), str(newest.path)}
    assert newest.deleted == [old[1].path, old[0].path]
    # The checksum and sidecar files go with their backup; nothing else is left behind.
    assert len(names(backup_dir)) == 2 * 3


def test_a_backup_that_fails_verification_deletes_nothing_and_is_not_kept(backup_dir, monkeypatch):
    old = backups.backup_create(now=days_ago(10))
    before = names(backup_dir)
    monkeypatch.setattr(
        backups.SQLiteEngine, "check", lambda self, connection, dump, manifest: ["table x: 1 rows, says 2"]
    )
    with pytest.raises(ServiceError, match="failed its verification: table x"):
        backups.backup_create(now=NOW)
    assert names(backup_dir) == before
    assert backups.latest_status(now=NOW)["path"] == str(old.path)


def test_names_sort_by_time(backup_dir):
    later = backups.backup_create(now=days_ago(1))
    earlier = backups.backup_create(now=days_ago(1.5))
    assert sorted([later.path.name, earlier.path.name]) == [earlier.path.name, later.path.name]


# --- Status -------------------------------------------------------------------------------------


def test_no_backup_means_no_status(backup_dir):
    assert backups.latest_status() is None


def test_the_newest_backup_is_reported_with_its_age_and_size(backup_dir):
    backups.backup_create(now=days_ago(2))
    newest = backups.backup_create(now=days_ago(1))
    status = backups.latest_status(now=NOW)
    assert status == {
        "path": str(newest.path),
        "created_at": days_ago(1),
        "size": newest.path.stat().st_size,
        "verified": True,
        "age": 86400.0,
    }


def test_a_backup_file_changed_on_disk_is_not_verified(backup_dir):
    older = backups.backup_create(now=days_ago(2))
    newest = backups.backup_create(now=days_ago(1))
    newest.path.write_bytes(newest.path.read_bytes()[:-1])
    assert backups.latest_status(now=NOW)["verified"] is False
    assert backups.latest_status(verified_only=True, now=NOW)["path"] == str(older.path)


def test_the_sidecar_says_what_was_verified(backup_dir):
    backup = backups.backup_create(now=NOW)
    sidecar = json.loads(Path(f"{backup.path}.json").read_text())
    assert sidecar["verified"] is True
    assert sidecar["sha256"] == backups._sha256(backup.path)
    assert sidecar["engine"] == "sqlite"
    assert sidecar["rows"] == backup.rows > 0


# --- /healthz -----------------------------------------------------------------------------------


def test_healthz_reports_the_age_of_the_last_verified_backup(client, backup_dir):
    call_command("backup", stdout=io.StringIO(), stderr=io.StringIO())
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert 0 <= body["backup_age_seconds"] < 600


def test_healthz_stays_healthy_with_only_an_old_or_damaged_backup(client, backup_dir):
    backup = backups.backup_create(now=timezone.now() - datetime.timedelta(days=3))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["backup_age_seconds"] >= 3 * 86400
    backup.path.write_bytes(b"age-encryption.org/v1\n")  # damaged: no verified backup is left
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["backup_age_seconds"] is None
