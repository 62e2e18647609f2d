"""Backups: a consistent copy of the database, verified, encrypted to a public key, and its restore.

docs/design.md §8.3 states the rules. In short: `backup_create` copies the
database while the service runs (SQLite's online backup API; `pg_dump` inside
the snapshot the manifest is read from, on PostgreSQL), writes a manifest (row
counts and sample-row digests per table), verifies the plaintext against it,
encrypts it with age (pyrage) for settings.BACKUP_RECIPIENTS, and only then
deletes backups past the retention period. The server holds no private key, so
it cannot read old backups; `backup_restore` is given the identity file.

A backup is three files in settings.BACKUP_DIR with one sortable name:
`kantoku-<UTC time>-<engine>.tar.age` (the encrypted tar of the dump and
manifest.json), `.sha256` beside it (sha256sum's format) and `.json` (what
`latest_status` reads: size, checksum, time, verified).
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyrage
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from config.errors import ServiceError

logger = logging.getLogger(__name__)

FORMAT = 1
PREFIX = "kantoku-"
SUFFIX = ".tar.age"
MANIFEST = "manifest.json"
SAMPLE_ROWS = 5  # the first and the last rows of each table by primary key
AGE_HEADER = b"age-encryption.org/v1\n"

# DEVELOPMENT ONLY: with DEBUG on and no BACKUP_RECIPIENTS, backups are encrypted to this published
# key pair, so that `make run` users can try backup and restore with no setup. Anyone can read such
# a backup; with DEBUG off `backup` refuses to run without BACKUP_RECIPIENTS.
DEVELOPMENT_IDENTITY = "AGE-SECRET-KEY-1953UFP6KUJ5CNPGLSJ4GCPCRDK54RAQUX0833FNDHVKZS92U8MWSKUMS69"
DEVELOPMENT_RECIPIENT = "age10au98fyyc0vet43n2jshm5lgjhuep63jlvgg7lplmf0yc2g9gqpqpjxkpy"

# Tables `migrate` fills by itself: rows there do not make a database "hold data".
MIGRATE_FILLS = {"django_migrations", "django_content_type", "auth_permission"}


@dataclass
class Backup:
    path: Path
    created_at: datetime.datetime
    engine: str
    size: int
    sha256: str
    tables: int
    rows: int
    deleted: list[Path] = field(default_factory=list)


@dataclass
class RestoreReport:
    manifest: dict
    tables: int
    rows: int
    problems: list[str]
    migrations_to_apply: int


# --- Keys ---------------------------------------------------------------------------------------


def using_development_key() -> bool:
    return settings.DEBUG and not settings.BACKUP_RECIPIENTS


def recipients() -> list[pyrage.x25519.Recipient]:
    """The public keys backups are encrypted to; refuses when none is configured and DEBUG is off."""
    if using_development_key():
        return [pyrage.x25519.Recipient.from_str(DEVELOPMENT_RECIPIENT)]
    if not settings.BACKUP_RECIPIENTS:
        raise ServiceError(
            "BACKUP_RECIPIENTS is not set: backups are encrypted to an age public key (age1...) and never "
            "written unencrypted. See docs/deploy.md.",
            code="no_recipient",
        )
    keys = []
    for position, text in enumerate(settings.BACKUP_RECIPIENTS, start=1):
        try:
            keys.append(pyrage.x25519.Recipient.from_str(text))
        except pyrage.RecipientError:
            raise ServiceError(
                f"BACKUP_RECIPIENTS: key {position} is not an age public key (age1...).", code="bad_recipient"
            ) from None
    return keys


def identities(identity_file: str | None = None) -> list[pyrage.x25519.Identity]:
    """The private keys a restore may use: the file given, else BACKUP_IDENTITY_FILE, else (development) the dev key."""
    path = identity_file or settings.BACKUP_IDENTITY_FILE
    if path:
        return _read_identities(Path(path))
    if using_development_key():
        return [pyrage.x25519.Identity.from_str(DEVELOPMENT_IDENTITY)]
    raise ServiceError(
        "No private key: give the age identity file with --identity FILE or BACKUP_IDENTITY_FILE.",
        code="no_identity",
    )


def _read_identities(path: Path) -> list[pyrage.x25519.Identity]:
    """An age identity file (as `age-keygen` writes it): AGE-SECRET-KEY-1... lines, # comments."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise ServiceError(f"Cannot read the identity file {path}: {error.strerror}.", code="no_identity") from None
    keys = []
    for line in (line.strip() for line in lines):
        if not line or line.startswith("#"):
            continue
        try:
            keys.append(pyrage.x25519.Identity.from_str(line))
        except pyrage.IdentityError:
            raise ServiceError(f"{path} holds a line that is not an age private key.", code="bad_identity") from None
    if not keys:
        raise ServiceError(f"{path} holds no age private key (AGE-SECRET-KEY-1...).", code="bad_identity")
    return keys


# --- Reading tables: counts and sample rows -------------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return str(value)


def row_digest(row: tuple | list) -> str:
    text = json.dumps(list(row), default=_plain, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _sample(cursor, table: str, key: list[str], descending: bool) -> list[dict]:
    if key:
        order = ", ".join(_quote(column) + (" DESC" if descending else "") for column in key)
    else:  # no primary key: every column, in order
        cursor.execute(f"SELECT * FROM {_quote(table)} WHERE 1 = 0")  # noqa: S608 - quoted table name
        order = ", ".join(f"{n}{' DESC' if descending else ''}" for n in range(1, len(cursor.description) + 1))
    cursor.execute(f"SELECT * FROM {_quote(table)} ORDER BY {order} LIMIT {SAMPLE_ROWS}")  # noqa: S608
    columns = [column[0] for column in cursor.description]
    rows = []
    for row in cursor.fetchall():
        values = dict(zip(columns, row, strict=True))
        rows.append({"key": [_plain(values[column]) for column in key], "digest": row_digest(row)})
    return rows


def summarize(cursor, tables: list[str], key_of) -> dict[str, dict]:
    """Per table: its row count and digests of the first and last SAMPLE_ROWS rows by primary key."""
    summary = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608 - quoted table name
        rows = cursor.fetchone()[0]
        key = key_of(table)
        summary[table] = {
            "rows": rows,
            "key": key,
            "first": _sample(cursor, table, key, descending=False),
            "last": _sample(cursor, table, key, descending=True),
        }
    return summary


def compare(expected: dict[str, dict], found: dict[str, dict]) -> list[str]:
    """What differs between the manifest's tables and a database's (empty when nothing does)."""
    problems = [f"table {table} is missing" for table in sorted(set(expected) - set(found))]
    for table in sorted(set(expected) & set(found)):
        want, got = expected[table], found[table]
        if want["rows"] != got["rows"]:
            problems.append(f"table {table}: {got['rows']} rows, the manifest says {want['rows']}")
        problems += [
            f"table {table}: the {end} {SAMPLE_ROWS} rows differ from the manifest"
            for end in ("first", "last")
            if want[end] != got[end]
        ]
    return problems


# --- SQLite ---------------------------------------------------------------------------------------


class SQLiteEngine:
    """A file: the online backup API copies it page by page under one read lock, so the copy is consistent."""

    name = "sqlite"
    dump_name = "database.sqlite3"
    tar_mode = "w:gz"

    @staticmethod
    def _file(connection) -> str:
        path = connection.settings_dict["NAME"]
        if not path or str(path) == ":memory:" or str(path).startswith("file:"):
            raise ServiceError("Only a SQLite database in a file can be backed up or restored.", code="no_file")
        return str(path)

    @staticmethod
    def summary_of(path: str) -> dict[str, dict]:
        """Read with a plain sqlite3 connection (no type converters), the same way on both sides."""
        with sqlite3.connect(path) as db:
            cursor = db.cursor()
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            tables = [row[0] for row in cursor.fetchall()]

            def key_of(table: str) -> list[str]:
                cursor.execute(f"PRAGMA table_info({_quote(table)})")
                return [row[1] for row in sorted(cursor.fetchall(), key=lambda row: row[5]) if row[5]]

            summary = summarize(cursor, tables, key_of)
        db.close()
        return summary

    def dump(self, connection, target: Path) -> dict[str, dict]:
        source = sqlite3.connect(self._file(connection), timeout=60)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # in one step (pages=-1): a consistent snapshot
        finally:
            copy.close()
            source.close()
        return self.summary_of(str(target))

    def check(self, connection, dump: Path, manifest: dict) -> list[str]:
        with sqlite3.connect(dump) as db:
            result = db.execute("PRAGMA integrity_check").fetchone()[0]
        db.close()
        if result != "ok":
            return [f"the SQLite copy fails its integrity check: {result}"]
        return compare(manifest["tables"], self.summary_of(str(dump)))

    def load(self, connection, dump: Path, *, force: bool) -> None:
        """Replace the whole database file's content through the backup API (everything in it goes)."""
        path = self._file(connection)
        connection.close()
        source = sqlite3.connect(dump)
        target = sqlite3.connect(path, timeout=60)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()

    def summary(self, connection) -> dict[str, dict]:
        return self.summary_of(self._file(connection))


# --- PostgreSQL -----------------------------------------------------------------------------------


class PostgresEngine:
    """pg_dump's custom format; its snapshot is the transaction the manifest is read in."""

    name = "postgresql"
    dump_name = "database.pgdump"
    tar_mode = "w"  # the custom format is compressed already

    @staticmethod
    def program(connection, name: str) -> str:
        """pg_dump/pg_restore of the server's major version (Debian keeps them per version)."""
        major = connection.pg_version // 10000
        candidate = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
        if candidate.exists():
            return str(candidate)
        found = shutil.which(name)
        if found is None:
            raise ServiceError(
                f"{name} is not installed: install the PostgreSQL {major} client (postgresql-client-{major}).",
                code="no_pg_tools",
            )
        return found

    @staticmethod
    def environment(connection) -> dict[str, str]:
        """The libpq variables: the password never appears on a command line."""
        params = connection.settings_dict
        variables = {
            "PGHOST": params.get("HOST"),
            "PGPORT": params.get("PORT"),
            "PGUSER": params.get("USER"),
            "PGPASSWORD": params.get("PASSWORD"),
            "PGDATABASE": params.get("NAME"),
            "PGSSLMODE": params.get("OPTIONS", {}).get("sslmode"),
        }
        environment = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        environment.update({k: str(v) for k, v in variables.items() if v})
        return environment

    @staticmethod
    def run(command: list[str], environment: dict[str, str] | None = None) -> str:
        done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            tail = done.stderr.strip().splitlines()[-5:]
            raise ServiceError(f"{Path(command[0]).name} failed: {' / '.join(tail)}", code="pg_tool_failed")
        return done.stdout

    def summary_with(self, connection, cursor) -> dict[str, dict]:
        tables = connection.introspection.table_names(cursor)
        return summarize(cursor, tables, lambda table: connection.introspection.get_primary_key_columns(cursor, table))

    def dump(self, connection, target: Path) -> dict[str, dict]:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            command = [self.program(connection, "pg_dump"), "--format=custom", f"--snapshot={snapshot}"]
            self.run([*command, f"--file={target}"], self.environment(connection))
            return self.summary_with(connection, cursor)

    def check(self, connection, dump: Path, manifest: dict) -> list[str]:
        listing = self.run([self.program(connection, "pg_restore"), "--list", str(dump)])
        # "3456; 0 16390 TABLE DATA public exams_answer owner": schema, then the table
        entries = [line.split(" TABLE DATA ", 1)[1].split() for line in listing.splitlines() if " TABLE DATA " in line]
        dumped = {entry[1] for entry in entries}
        return [f"the dump holds no data for table {table}" for table in manifest["tables"] if table not in dumped]

    def load(self, connection, dump: Path, *, force: bool) -> None:
        if force:
            with connection.cursor() as cursor:
                for table in connection.introspection.table_names(cursor):
                    cursor.execute(f"DROP TABLE IF EXISTS {_quote(table)} CASCADE")
        command = [self.program(connection, "pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges"]
        command += ["--single-transaction", "--exit-on-error", f"--dbname={connection.settings_dict['NAME']}"]
        connection.close()
        self.run([*command, str(dump)], self.environment(connection))

    def summary(self, connection) -> dict[str, dict]:
        with connection.cursor() as cursor:
            return self.summary_with(connection, cursor)


ENGINES = {"sqlite": SQLiteEngine(), "postgresql": PostgresEngine()}


def engine_of(connection):
    try:
        return ENGINES[connection.vendor]
    except KeyError:
        raise ServiceError(f"Backups of a {connection.vendor} database are not supported.", code="engine") from None


# --- Files ----------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _checksum_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _pack(archive: Path, engine, dump: Path, manifest: dict) -> None:
    data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
    options = {"compresslevel": 6} if engine.tar_mode.endswith("gz") else {}
    with tarfile.open(archive, engine.tar_mode, **options) as tar:
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        tar.add(dump, arcname=engine.dump_name)


def _unpack(archive: Path, into: Path) -> tuple[dict, str]:
    """The manifest and the dump's name; only the two expected regular files are read, by name."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = {member.name: member for member in tar.getmembers() if member.isfile()}
            if MANIFEST not in members:
                raise ServiceError("The backup holds no manifest.", code="bad_backup")
            manifest = json.loads(tar.extractfile(members[MANIFEST]).read())
            engine = ENGINES.get(manifest.get("engine"))
            if engine is None or engine.dump_name not in members:
                raise ServiceError("The backup holds no database dump.", code="bad_backup")
            with tar.extractfile(members[engine.dump_name]) as source, (into / engine.dump_name).open("wb") as out:
                shutil.copyfileobj(source, out, 1 << 20)
    except (tarfile.TarError, json.JSONDecodeError, EOFError, OSError) as error:
        raise ServiceError(f"The backup's contents cannot be read: {error}", code="bad_backup") from None
    return manifest, engine.name


def _name(created_at: datetime.datetime, engine: str) -> str:
    moment = created_at.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return f"{PREFIX}{moment}-{engine}{SUFFIX}"


# --- Backup ---------------------------------------------------------------------------------------


def _migrations(connection) -> dict[str, list[str]]:
    from django.db.migrations.recorder import MigrationRecorder

    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def backup_create(*, now: datetime.datetime | None = None, using: str = DEFAULT_DB_ALIAS) -> Backup:
    """Write, verify and encrypt a backup of the database; then delete backups past the retention period.

    Refuses at once (nothing written) without a public key to encrypt to. A
    backup whose plaintext does not match its manifest is never kept.
    """
    keys = recipients()
    connection = connections[using]
    engine = engine_of(connection)
    created_at = now or timezone.now()
    directory = Path(settings.BACKUP_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / _name(created_at, engine.name)
    with tempfile.TemporaryDirectory(dir=directory, prefix=".tmp-") as work_dir:
        work = Path(work_dir)
        manifest = {
            "format": FORMAT,
            "engine": engine.name,
            "created_at": created_at.isoformat(),
            "migrations": _migrations(connection),
            "sample_rows": SAMPLE_ROWS,
        }
        manifest["tables"] = engine.dump(connection, work / engine.dump_name)
        _pack(work / "backup.tar", engine, work / engine.dump_name, manifest)
        _verify_archive(connection, work / "backup.tar", work / "check")
        pyrage.encrypt_file(str(work / "backup.tar"), str(work / "encrypted"), keys)
        digest = _sha256(work / "encrypted")
        (work / "encrypted").chmod(0o600)
        os.replace(work / "encrypted", target)
    backup = _seal(target, digest, manifest)
    backup.deleted = prune(newest=backup)
    return backup


def _verify_archive(connection, archive: Path, into: Path) -> None:
    """Read the packed plaintext back and check it against its own manifest before it is encrypted."""
    into.mkdir()
    manifest, engine_name = _unpack(archive, into)
    problems = ENGINES[engine_name].check(connection, into / ENGINES[engine_name].dump_name, manifest)
    shutil.rmtree(into)
    if problems:
        raise ServiceError("The backup failed its verification: " + "; ".join(problems), code="not_verified")


def _seal(target: Path, digest: str, manifest: dict) -> Backup:
    """Checksum file and sidecar, after the ciphertext on disk is read back and matches."""
    with target.open("rb") as stream:
        header = stream.read(len(AGE_HEADER))
    if header != AGE_HEADER or _sha256(target) != digest:
        target.unlink()
        raise ServiceError(f"{target} did not read back as written.", code="not_verified")
    _checksum_path(target).write_text(f"{digest}  {target.name}\n", encoding="ascii")
    _checksum_path(target).chmod(0o600)
    tables = manifest["tables"]
    backup = Backup(
        path=target,
        created_at=datetime.datetime.fromisoformat(manifest["created_at"]),
        engine=manifest["engine"],
        size=target.stat().st_size,
        sha256=digest,
        tables=len(tables),
        rows=sum(table["rows"] for table in tables.values()),
    )
    sidecar = {
        "file": target.name,
        "size": backup.size,
        "sha256": digest,
        "created_at": manifest["created_at"],
        "engine": backup.engine,
        "tables": backup.tables,
        "rows": backup.rows,
        "verified": True,
    }
    _sidecar_path(target).write_text(json.dumps(sidecar, indent=1) + "\n", encoding="utf-8")
    _sidecar_path(target).chmod(0o600)
    return backup


# --- Status and retention -------------------------------------------------------------------------


def _status_of(sidecar: Path, now: datetime.datetime) -> dict | None:
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
        created_at = datetime.datetime.fromisoformat(data["created_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    path = sidecar.with_name(sidecar.name.removesuffix(".json"))
    size = path.stat().st_size if path.exists() else None
    return {
        "path": str(path),
        "created_at": created_at,
        "size": size,
        "verified": bool(data.get("verified")) and size == data.get("size"),
        "age": (now - created_at).total_seconds(),
    }


def statuses(now: datetime.datetime | None = None) -> list[dict]:
    """Every backup in BACKUP_DIR that has a sidecar, newest first."""
    now = now or timezone.now()
    directory = Path(settings.BACKUP_DIR)
    sidecars = sorted(directory.glob(f"{PREFIX}*{SUFFIX}.json"), reverse=True) if directory.is_dir() else []
    return [status for status in (_status_of(sidecar, now) for sidecar in sidecars) if status is not None]


def latest_status(*, verified_only: bool = False, now: datetime.datetime | None = None) -> dict | None:
    """The newest backup: path, created_at, size (bytes), verified, age (seconds); None when there is none.

    Cheap enough for /healthz: it reads the sidecars and the file's size, never the whole file.
    """
    for status in statuses(now):
        if status["verified"] or not verified_only:
            return status
    return None


def prune(*, newest: Backup, now: datetime.datetime | None = None) -> list[Path]:
    """Delete backups older than the retention period, and only those older than `newest`, a verified backup."""
    now = now or newest.created_at
    cutoff = now - datetime.timedelta(days=settings.BACKUP_RETENTION_DAYS)
    deleted = []
    for status in statuses(now):
        path = Path(status["path"])
        if path != newest.path and status["created_at"] < min(cutoff, newest.created_at):
            for file in (path, _checksum_path(path), _sidecar_path(path)):
                file.unlink(missing_ok=True)
            deleted.append(path)
            logger.info("backup %s deleted: older than %s days", path.name, settings.BACKUP_RETENTION_DAYS)
    return deleted


# --- Restore --------------------------------------------------------------------------------------


def checksum_check(path: Path) -> None:
    """The file matches the checksum written beside it; a damaged or truncated file is refused."""
    if not path.is_file():
        raise ServiceError(f"{path}: no such file.", code="no_file")
    checksum = _checksum_path(path)
    try:
        expected = checksum.read_text(encoding="ascii").split()[0].lower()
    except (OSError, IndexError, UnicodeDecodeError):
        message = f"{checksum} is missing or unreadable: the backup cannot be checked."
        raise ServiceError(message, code="no_checksum") from None
    found = _sha256(path)
    if found != expected:
        raise ServiceError(
            f"{path.name} is damaged or truncated: its SHA-256 is {found}, the checksum file says {expected}. "
            "Nothing was restored; use another copy of this backup or an older backup.",
            code="bad_checksum",
        )


def holds_data(connection) -> list[str]:
    """The tables of the database that hold rows (those `migrate` fills by itself aside)."""
    with connection.cursor() as cursor:
        tables = [t for t in connection.introspection.table_names(cursor) if t not in MIGRATE_FILLS]
        full = []
        for table in tables:
            cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608
            if cursor.fetchone():
                full.append(table)
    return full


def _decrypt(path: Path, into: Path, keys: list) -> None:
    try:
        pyrage.decrypt_file(str(path), str(into), keys)
    except (pyrage.DecryptError, OSError) as error:  # a damaged payload surfaces as OSError
        raise ServiceError(
            f"{path.name} cannot be decrypted with this key, or is damaged ({error}). Nothing was restored.",
            code="cannot_decrypt",
        ) from None


def _refuse_other_engine(manifest_engine: str, engine) -> None:
    if manifest_engine != engine.name:
        names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
        raise ServiceError(
            f"This is a backup of a {names.get(manifest_engine, manifest_engine)} database and the configured "
            f"database is {names[engine.name]}: restore it into a {names.get(manifest_engine, manifest_engine)} "
            "database (DATABASE_URL unset for SQLite, set for PostgreSQL). Nothing was restored.",
            code="other_engine",
        )


def backup_restore(
    *, path: Path, identity_file: str | None = None, force: bool = False, using: str = DEFAULT_DB_ALIAS
) -> RestoreReport:
    """Restore a backup into the configured database, then compare the database with the manifest.

    Refuses, touching nothing: a file that fails its checksum or cannot be
    decrypted, a backup of the other engine, and a database that holds data
    unless `force` (which replaces everything in it).
    """
    keys = identities(identity_file)
    connection = connections[using]
    engine = engine_of(connection)
    checksum_check(path)
    with tempfile.TemporaryDirectory(prefix="kantoku-restore-") as work_dir:
        work = Path(work_dir)
        _decrypt(path, work / "backup.tar", keys)
        manifest, manifest_engine = _unpack(work / "backup.tar", work)
        _refuse_other_engine(manifest_engine, engine)
        problems = engine.check(connection, work / engine.dump_name, manifest)
        if problems:
            raise ServiceError("The backup does not match its manifest: " + "; ".join(problems), code="bad_backup")
        full = holds_data(connection)
        if full and not force:
            raise ServiceError(
                f"The configured database is not empty ({len(full)} tables hold rows, e.g. {full[0]}). "
                "Restore into an empty database, or give --force to replace everything in it.",
                code="not_empty",
            )
        engine.load(connection, work / engine.dump_name, force=force)
    found = engine.summary(connection)
    return RestoreReport(
        manifest=manifest,
        tables=len(found),
        rows=sum(table["rows"] for table in found.values()),
        problems=compare(manifest["tables"], found),
        migrations_to_apply=_migrations_to_apply(connection),
    )


def _migrations_to_apply(connection) -> int:
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
