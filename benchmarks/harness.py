"""What every benchmark here needs: Django on a database of its own, and a line about the machine."""

from __future__ import annotations

import os
import platform
import sqlite3
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def configure_django(sqlite_path: Path | None) -> None:
    """Set Django up with the in-memory channel layer, on a SQLite file (never the project's
    db.sqlite3) or, with `sqlite_path=None`, on DATABASE_URL as it is set.
    """
    sys.path.insert(0, str(PROJECT_DIR))
    os.environ.pop("REDIS_URL", None)
    if sqlite_path is not None:
        os.environ.pop("DATABASE_URL", None)
        os.environ["SQLITE_PATH"] = str(sqlite_path)
    os.environ["DEBUG"] = "true"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()


def machine() -> str:
    """CPU, cores, load, Python and SQLite versions: figures mean little without them."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        load = "?"
    return (
        f"{cpu}, {os.cpu_count()} cores (load average {load}); Python {platform.python_version()}; "
        f"SQLite {sqlite3.sqlite_version}; {platform.system()} {platform.release()}"
    )


def new_school(code: str = "bench", name: str = "ベンチマーク小学校"):
    """An approved school whose contract began 30 days ago (its accounts may sign in)."""
    import datetime

    from classrooms.models import Organization
    from classrooms.schoolyear import today

    return Organization.objects.create(
        code=code,
        name=name,
        status=Organization.Status.APPROVED,
        contract_starts_on=today() - datetime.timedelta(days=30),
    )


def new_class(organization, number: int, size: int, *, login_prefix: str = "bench"):
    """A new teacher (`<prefix>-teacher<number>`) and their class of `size` issued examinees, as after
    everyone's first sign-in (issued passwords changed). Returns (teacher, school_class, examinees).
    """
    from classrooms.models import Membership, SchoolClass, User
    from classrooms.schoolyear import current_school_year, today
    from classrooms.services import RosterRow, examinees_issue

    teacher = User.objects.create_user(
        login_id=f"{login_prefix}-teacher{number}", password=None, name=f"先生 {number}", role=User.Role.TEACHER
    )
    Membership.objects.create(user=teacher, organization=organization, starts_on=today())
    school_class = SchoolClass.objects.create(
        organization=organization, teacher=teacher, school_year=current_school_year(), name=f"{number}組"
    )
    rows = [RosterRow(name=f"受検 {i:02d}", kana=f"じゅけん {i:02d}", number=i) for i in range(1, size + 1)]
    examinees = [issued.user for issued in examinees_issue(school_class=school_class, rows=rows, by=teacher)]
    # PasswordChangeRequiredMiddleware would otherwise send every request to the password page.
    User.objects.filter(pk__in=[examinee.pk for examinee in examinees]).update(must_change_password=False)
    return teacher, school_class, examinees
