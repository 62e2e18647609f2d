"""The audit table is append-only: a guard on the database connection that sees every statement (docs/design.md §9).

On PostgreSQL a trigger refuses UPDATE and DELETE of audit entries; SQLite has
no such thing, so every test runs with this guard on its connection (see
tests/conftest.py): an UPDATE of the audit table, or a DELETE outside a school's
data deletion (`classrooms.audit_chain.audit_purge`), fails the test. It also
collects each audit entry written, so that the test fails when one of them
carries an action, a detail key or a coded detail value without the words an
org admin reads.
"""

from __future__ import annotations

import contextvars
import json
import re
from contextlib import contextmanager

from classrooms.audit_chain import purging_organization_id
from classrooms.audit_log import AUDIT_DETAILS_NOT_SHOWN
from classrooms.models import AUDIT_DETAIL_LABELS, AuditEntry, audit_action_labels, audit_detail_declarations

TABLE = AuditEntry._meta.db_table
CHANGES = re.compile(rf'^\s*(UPDATE|DELETE\s+FROM)\s+"?{TABLE}"?\b', re.IGNORECASE)
FLUSH = f'DELETE FROM "{TABLE}";'  # noqa: S608 - compared with, never executed
INSERT = re.compile(rf'^\s*INSERT\s+INTO\s+"?{TABLE}"?\s*\(([^)]*)\)', re.IGNORECASE)

# A test that forges a row on purpose (to see the chain catch it) says so.
_forging = contextvars.ContextVar("forging", default=False)


@contextmanager
def forging():
    token = _forging.set(True)
    try:
        yield
    finally:
        _forging.reset(token)


class AuditGuard:
    """A connection.execute_wrapper: refuses changes to audit rows, collects the entries inserted."""

    def __init__(self):
        self.violations: list[str] = []
        self.written: list[tuple[str, dict]] = []

    def __call__(self, execute, sql, params, many, context):
        if CHANGES.match(sql) and not _forging.get() and not self._purge_allows(sql):
            self.violations.append(sql)
            raise AssertionError(f"The application changed the audit log: {sql}")
        if match := INSERT.match(sql):
            self._collect(match.group(1), params, many)
        return execute(sql, params, many, context)

    @staticmethod
    def _purge_allows(sql: str) -> bool:
        if sql.strip() == FLUSH:
            return True  # `manage.py flush` empties every table (a restore test does); on PostgreSQL a TRUNCATE
        return sql.lstrip().upper().startswith("DELETE") and purging_organization_id() is not None

    def _collect(self, columns: str, params, many: bool) -> None:
        names = [name.strip().strip('"') for name in columns.split(",")]
        for row in params if many else [params]:
            values = dict(zip(names, row, strict=False))
            details = values.get("details") or "{}"
            self.written.append((values.get("action", ""), json.loads(details) if isinstance(details, str) else {}))

    def missing_labels(self) -> list[str]:
        return [problem for action, details in self.written for problem in missing_labels(action, details)]


def missing_labels(action: str, details: dict) -> list[str]:
    """What an org admin would read as a raw code in this entry: the action, a detail key, a coded value."""
    if action not in audit_action_labels():
        return []  # AuditEntry.record refuses such a code; only a row of an older version has one
    declared = audit_detail_declarations().get(action, {})
    problems = []
    for key, value in details.items():
        if key in AUDIT_DETAILS_NOT_SHOWN or "password" in key.lower():
            continue
        if key not in declared and key not in AUDIT_DETAIL_LABELS:
            problems.append(f"{action}: detail key {key!r}")
        elif declared.get(key, ("", {}))[1] and str(value) not in declared[key][1]:
            problems.append(f"{action}: value {value!r} of {key!r}")
    return problems
