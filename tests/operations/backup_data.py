"""What the backup tests back up and compare: a populated database, and every row of every table."""

from __future__ import annotations

import datetime
import io
import sqlite3
import tarfile
from pathlib import Path

import pyrage
from django.core.management import call_command

from classrooms import transfers
from classrooms.models import Enrollment, SchoolClass, User
from classrooms.schoolyear import today
from exams import services as exam_services
from exams.models import Exam
from messaging import services as messaging_services
from proctoring import services as proctoring
from proctoring.models import Incident


def populate() -> None:
    """The demo, plus a finished test with answers, an incident and a revocation, messages, a notice and a transfer."""
    call_command("load_demo", stdout=io.StringIO())
    teacher = User.objects.get(login_id="sakura-teacher")
    org_admin = User.objects.get(login_id="sakura-admin")
    school_class = SchoolClass.objects.get(name="5年1組")
    session = proctoring.session_open(
        school_class=school_class, exam=Exam.objects.get(code="reading-spring"), by=teacher
    )
    proctoring.session_start(session=session, by=teacher)
    pupils = list(User.objects.filter(login_id__in=["sakura-pupil1", "sakura-pupil2", "sakura-pupil3"]))
    attempts = []
    for number, pupil in enumerate(pupils):
        _seat, attempt = proctoring.seat_take(session=session, examinee=pupil)
        for row in attempt.questions.select_related("question"):
            exam_services.answer_save(attempt=attempt, position=row.position, seq=1, **_answer(row, number))
        attempts.append(attempt)
    proctoring.session_end(session=session, by=teacher)
    incident = proctoring.incident_report(
        subject=pupils[0], by=teacher, category=Incident.Category.TALKING, note="隣の席と話していた", session=session
    )
    proctoring.result_revoke(attempt=attempts[0], by=teacher, reason="試験中の会話のため無効", incident=incident)
    message = messaging_services.message_send(by=teacher, recipient=pupils[1], body="よくできました")
    messaging_services.message_mark_delivered(message=message, by=pupils[1])
    messaging_services.notice_send(school_class=school_class, by=teacher, body="来週もテストがあります")
    enrollment = Enrollment.objects.get(examinee=pupils[2], ends_on__isnull=True)
    transfer = transfers.transfer_file_examinee_out(
        enrollment=enrollment, effective_on=today() + datetime.timedelta(days=7), reason="転居", by=teacher
    )
    transfers.transfer_approve(transfer=transfer, by=org_admin)


def _answer(row, number: int) -> dict:
    """An answer of the question's kind (the sample test mixes kinds, docs/design.md §3)."""
    kind, size = row.question.kind, len(row.choice_order)
    if kind == "single":
        return {"choice": (row.position + number) % 2}
    if kind == "short":
        return {"response": row.question.accepted_answers[0] if number % 2 else "わからない"}
    indexes = list(range(size))
    return {"response": indexes if kind == "ordering" else indexes[: 1 + number % size]}


def sqlite_rows(path: str | Path) -> dict[str, list[tuple]]:
    """Every table's schema and rows, all columns, in one order: what "row for row" compares."""
    with sqlite3.connect(path) as db:
        tables = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall()
        rows = {"": tables}
        for name, _sql in tables:
            width = len(db.execute(f'SELECT * FROM "{name}" LIMIT 0').description)  # noqa: S608 - a table of the file
            order = ", ".join(str(column) for column in range(1, width + 1))
            rows[name] = db.execute(f'SELECT * FROM "{name}" ORDER BY {order}').fetchall()  # noqa: S608
    db.close()
    return rows


def key_pair(directory: Path) -> tuple[str, Path]:
    """A fresh age key pair: the public key, and the private key in an identity file as age-keygen writes it."""
    identity = pyrage.x25519.Identity.generate()
    path = directory / "backup-key.txt"
    path.write_text(f"# public key: {identity.to_public()}\n{identity}\n", encoding="utf-8")
    return str(identity.to_public()), path


def fake_backup(path: Path, *, engine: str, dump_name: str, recipient: str) -> Path:
    """A well-formed, encrypted backup of another engine (its dump is not a real one)."""
    from operations.backups import _sha256

    buffer = io.BytesIO()
    manifest = f'{{"format": 1, "engine": "{engine}", "created_at": "2026-12-01T00:00:00+00:00", "tables": {{}}}}'
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in (("manifest.json", manifest.encode()), (dump_name, b"not a real dump")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(pyrage.encrypt(buffer.getvalue(), [pyrage.x25519.Recipient.from_str(recipient)]))
    path.with_name(path.name + ".sha256").write_text(f"{_sha256(path)}  {path.name}\n")
    return path
