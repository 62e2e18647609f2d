"""Backup and restore on PostgreSQL (docs/design.md §8.3): pg_dump of a populated database, restored by
`manage.py restore` into a fresh database of the same cluster, compares row for row.

Needs pg_dump and pg_restore of the server's version; under CI=true a missing one fails the test.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from psycopg import sql

from tests.operations.backup_data import fake_backup, key_pair, populate

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def conninfo(database: str) -> dict:
    params = connection.settings_dict
    return {
        "host": params["HOST"],
        "port": params["PORT"] or 5432,
        "user": params["USER"],
        "password": params["PASSWORD"],
        "dbname": database,
    }


def all_rows(database: str) -> dict[str, list[tuple]]:
    """Every table of the public schema, every column, in one order."""
    with psycopg.connect(**conninfo(database)) as db:
        tables = [
            row[0]
            for row in db.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
            )
        ]
        rows: dict[str, list[tuple]] = {"": [(table,) for table in tables]}
        for table in tables:
            width = len(db.execute(sql.SQL("SELECT * FROM {} LIMIT 0").format(sql.Identifier(table))).description)
            order = sql.SQL(", ").join(sql.Literal(n) for n in range(1, width + 1))
            query = sql.SQL("SELECT * FROM {} ORDER BY {}").format(sql.Identifier(table), order)
            rows[table] = db.execute(query).fetchall()
    return rows


@pytest.fixture
def fresh_database():
    """An empty database on the test's cluster, dropped afterwards."""
    name = f"kantoku_restore_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(**conninfo("postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield name
    with psycopg.connect(**conninfo("postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def key(settings, tmp_path) -> Path:
    settings.BACKUP_DIR = tmp_path / "backups"
    public, identity = key_pair(tmp_path)
    settings.BACKUP_RECIPIENTS = [public]
    return identity


def backup() -> Path:
    out = io.StringIO()
    call_command("backup", stdout=out, stderr=io.StringIO())
    return Path(out.getvalue().splitlines()[-1])


def restore_into(database: str, path: Path, identity: Path) -> subprocess.CompletedProcess:
    params = conninfo(database)
    url = f"postgres://{params['user']}:{params['password']}@{params['host']}:{params['port']}/{database}"
    return subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "manage.py", "restore", str(path), "--identity", str(identity)],
        cwd=django_settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": url, "BACKUP_IDENTITY_FILE": ""},
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_populated_database_restores_into_a_fresh_database_row_for_row(key, fresh_database):
    populate()
    path = backup()
    assert path.name.endswith("-postgresql.tar.age")
    before = all_rows(connection.settings_dict["NAME"])
    assert len(before["exams_attemptquestion"]) > 0
    assert len(before["proctoring_revocation"]) == 1

    done = restore_into(fresh_database, path, key)

    assert done.returncode == 0, done.stderr
    assert "rows match the manifest" in done.stdout
    assert all_rows(fresh_database) == before


def test_a_database_that_holds_data_is_refused_without_force(key):
    populate()
    path = backup()
    with pytest.raises(CommandError, match="is not empty"):
        call_command("restore", str(path), "--identity", str(key), stdout=io.StringIO())


def test_force_replaces_a_database_that_holds_data(key):
    from classrooms.models import Organization, User

    populate()
    path = backup()
    before = all_rows(connection.settings_dict["NAME"])
    User.objects.filter(login_id="sakura-pupil8").update(name="書き換えられた名前")
    Organization.objects.create(code="later", name="後から来た学校")
    out = io.StringIO()
    call_command("restore", str(path), "--identity", str(key), "--force", stdout=out)
    assert "rows match the manifest" in out.getvalue()
    assert all_rows(connection.settings_dict["NAME"]) == before


def test_a_backup_of_sqlite_is_refused_on_postgresql(key, tmp_path):
    path = fake_backup(
        tmp_path / "kantoku-sqlite.tar.age",
        engine="sqlite",
        dump_name="database.sqlite3",
        recipient=django_settings.BACKUP_RECIPIENTS[0],
    )
    with pytest.raises(CommandError, match="backup of a SQLite database and the configured database is PostgreSQL"):
        call_command("restore", str(path), "--identity", str(key), stdout=io.StringIO())


def test_the_password_is_never_on_the_command_line(key, monkeypatch):
    seen = []
    run = subprocess.run

    def spy(command, *args, **kwargs):
        seen.append(command)
        return run(command, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", spy)
    backup()
    assert seen
    assert all(connection.settings_dict["PASSWORD"] not in " ".join(command) for command in seen)
