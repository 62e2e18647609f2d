"""Backup and restore on SQLite (docs/design.md §8.3): a populated database comes back row for row, and a
damaged, foreign or misdirected backup is refused with a clear error, touching nothing.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from classrooms.models import Organization, User
from operations import backups
from tests.operations.backup_data import fake_backup, key_pair, populate, sqlite_rows

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def key(settings, tmp_path) -> Path:
    """Production-like: backups go to tmp_path/backups, encrypted to a fresh public key; returns the identity file."""
    settings.BACKUP_DIR = tmp_path / "backups"
    public, identity = key_pair(tmp_path)
    settings.BACKUP_RECIPIENTS = [public]
    settings.BACKUP_IDENTITY_FILE = ""
    return identity


def backup() -> tuple[Path, list[str]]:
    out = io.StringIO()
    call_command("backup", stdout=out, stderr=io.StringIO())
    lines = out.getvalue().splitlines()
    return Path(lines[-1]), lines


def restore(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("restore", str(path), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def restore_elsewhere(path: Path, identity: Path, database: Path) -> subprocess.CompletedProcess:
    """`manage.py restore` in a process of its own whose configured database is `database`."""
    environment = {**os.environ, "SQLITE_PATH": str(database), "DATABASE_URL": "", "BACKUP_IDENTITY_FILE": ""}
    return subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "manage.py", "restore", str(path), "--identity", str(identity)],
        cwd=django_settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def database_file() -> str:
    return connection.settings_dict["NAME"]


# --- The round trip -----------------------------------------------------------------------------


def test_a_populated_database_restores_into_a_fresh_file_row_for_row(key, tmp_path):
    populate()
    path, _lines = backup()
    assert path.parent == Path(django_settings.BACKUP_DIR)
    assert path.name.startswith("kantoku-")
    assert path.name.endswith("-sqlite.tar.age")
    assert path.read_bytes().startswith(b"age-encryption.org/v1\n")
    assert b"sakura" not in path.read_bytes()  # encrypted, not merely packed
    before = sqlite_rows(database_file())
    assert len(before["exams_attemptquestion"]) > 0
    assert len(before["proctoring_revocation"]) == 1
    assert len(before["messaging_message"]) == 1
    assert len(before["classrooms_transfer"]) == 1

    fresh = tmp_path / "fresh.sqlite3"
    done = restore_elsewhere(path, key, fresh)

    assert done.returncode == 0, done.stderr
    assert "verified: " in done.stdout
    assert "rows match the manifest" in done.stdout
    assert sqlite_rows(fresh) == before


def test_the_last_line_is_the_path_of_the_backup_written(key):
    Organization.objects.create(code="solo", name="ひとつの学校")
    path, lines = backup()
    assert path.is_file()
    assert lines[-1] == str(path)
    assert Path(f"{path}.sha256").read_text().split() == [backups._sha256(path), path.name]
    sidecar = json.loads(Path(f"{path}.json").read_text())
    assert sidecar["verified"] is True
    assert sidecar["size"] == path.stat().st_size


def test_a_migrated_but_empty_database_needs_no_force(key):
    populate()
    path, _lines = backup()
    before = sqlite_rows(database_file())
    call_command("flush", "--noinput")  # what `migrate` writes by itself (content types, permissions) comes back
    assert backups.holds_data(connection) == []

    assert "rows match the manifest" in restore(path, "--identity", str(key))
    assert sqlite_rows(database_file()) == before


def test_force_replaces_a_database_that_holds_data(key):
    populate()
    path, _lines = backup()
    before = sqlite_rows(database_file())
    User.objects.filter(login_id="sakura-pupil8").update(name="書き換えられた名前")
    Organization.objects.create(code="later", name="後から来た学校")

    output = restore(path, "--identity", str(key), "--force")

    assert "rows match the manifest" in output
    assert sqlite_rows(database_file()) == before


def test_a_restored_database_that_differs_from_the_manifest_fails(key, monkeypatch):
    populate()
    path, _lines = backup()
    load = backups.SQLiteEngine.load

    def load_and_add_a_row(self, connection, dump, *, force):
        load(self, connection, dump, force=force)
        Organization.objects.create(code="stray", name="紛れ込んだ学校")

    monkeypatch.setattr(backups.SQLiteEngine, "load", load_and_add_a_row)
    with pytest.raises(CommandError, match="does not match the backup"):
        restore(path, "--identity", str(key), "--force")


# --- Refusals -----------------------------------------------------------------------------------


@pytest.fixture
def one_backup(key) -> Path:
    populate()
    return backup()[0]


def assert_untouched(before: dict) -> None:
    assert sqlite_rows(database_file()) == before


def test_a_corrupted_byte_is_refused_and_nothing_is_touched(key, one_backup):
    data = bytearray(one_backup.read_bytes())
    data[len(data) // 2] ^= 0x01
    one_backup.write_bytes(bytes(data))
    User.objects.filter(login_id="sakura-pupil8").update(name="変更後")
    before = sqlite_rows(database_file())
    with pytest.raises(CommandError, match="is damaged or truncated: its SHA-256 is"):
        restore(one_backup, "--identity", str(key), "--force")
    assert_untouched(before)


def test_a_truncated_file_is_refused(key, one_backup):
    one_backup.write_bytes(one_backup.read_bytes()[:-100])
    before = sqlite_rows(database_file())
    with pytest.raises(CommandError, match="damaged or truncated"):
        restore(one_backup, "--identity", str(key), "--force")
    assert_untouched(before)


def test_a_damaged_file_with_a_matching_checksum_fails_to_decrypt(key, one_backup):
    data = bytearray(one_backup.read_bytes())
    data[-10] ^= 0xFF
    one_backup.write_bytes(bytes(data))
    Path(f"{one_backup}.sha256").write_text(f"{backups._sha256(one_backup)}  {one_backup.name}\n")
    with pytest.raises(CommandError, match="cannot be decrypted with this key, or is damaged"):
        restore(one_backup, "--identity", str(key), "--force")


def test_a_missing_checksum_file_is_refused(key, one_backup):
    Path(f"{one_backup}.sha256").unlink()
    with pytest.raises(CommandError, match="missing or unreadable: the backup cannot be checked"):
        restore(one_backup, "--identity", str(key), "--force")


def test_the_wrong_private_key_is_refused(key, one_backup, tmp_path):
    (tmp_path / "other").mkdir()
    _public, other_identity = key_pair(tmp_path / "other")
    with pytest.raises(CommandError, match="cannot be decrypted with this key"):
        restore(one_backup, "--identity", str(other_identity), "--force")


def test_a_database_that_holds_data_is_refused_without_force(key, one_backup):
    before = sqlite_rows(database_file())
    with pytest.raises(CommandError, match=r"is not empty .* give --force to replace everything in it"):
        restore(one_backup, "--identity", str(key))
    assert_untouched(before)


def test_a_backup_of_postgresql_is_refused_on_sqlite(key, tmp_path):
    path = fake_backup(
        tmp_path / "kantoku-pg.tar.age",
        engine="postgresql",
        dump_name="database.pgdump",
        recipient=django_settings.BACKUP_RECIPIENTS[0],
    )
    with pytest.raises(CommandError, match="backup of a PostgreSQL database and the configured database is SQLite"):
        restore(path, "--identity", str(key))


def test_without_a_public_key_and_debug_off_backup_refuses_and_writes_nothing(settings, tmp_path):
    settings.DEBUG = False
    settings.BACKUP_RECIPIENTS = []
    settings.BACKUP_DIR = tmp_path / "backups"
    with pytest.raises(CommandError, match="BACKUP_RECIPIENTS is not set"):
        call_command("backup", stdout=io.StringIO())
    assert not (tmp_path / "backups").exists()


def test_without_a_private_key_and_debug_off_restore_refuses(key, one_backup, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="No private key: give the age identity file with --identity FILE"):
        restore(one_backup)


def test_a_malformed_public_key_is_refused(settings, tmp_path):
    settings.BACKUP_RECIPIENTS = ["age1notakey"]
    settings.BACKUP_DIR = tmp_path / "backups"
    with pytest.raises(CommandError, match="key 1 is not an age public key"):
        call_command("backup", stdout=io.StringIO())


def test_the_identity_file_may_come_from_the_environment(key, one_backup, settings):
    settings.BACKUP_IDENTITY_FILE = str(key)
    assert "rows match the manifest" in restore(one_backup, "--force")


def test_development_uses_the_published_development_key(settings, tmp_path):
    settings.DEBUG = True
    settings.BACKUP_RECIPIENTS = []
    settings.BACKUP_IDENTITY_FILE = ""
    settings.BACKUP_DIR = tmp_path / "backups"
    Organization.objects.create(code="dev", name="開発用の学校")
    path, _lines = backup()
    development = tmp_path / "dev-key.txt"
    development.write_text(backups.DEVELOPMENT_IDENTITY + "\n")
    assert "rows match the manifest" in restore(path, "--force")
    assert "rows match the manifest" in restore(path, "--force", "--identity", str(development))
