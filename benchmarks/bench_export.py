"""A school's data export and the deletion after its contract ended, on a big school (docs/benchmarks.md).

Runs on a copy of a database made by benchmarks/make_big_db.py (10,000 pupils by default):

    .venv/bin/python benchmarks/make_big_db.py --sqlite /tmp/big.sqlite3
    .venv/bin/python benchmarks/bench_export.py /tmp/big.sqlite3

It copies the file (the original is left as it is), then in this one process: asks for the school's
export and waits for its background thread to finish it, as the page does, times it and reads the ZIP's size and
row count; plans the deletion (the dry run); terminates the contract in the past and deletes the
school's personal data (the --apply run). Peak memory is this process's max RSS after each step.
"""

from __future__ import annotations

import argparse
import datetime
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from harness import configure_django, machine


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database", type=Path, help="a SQLite file made by benchmarks/make_big_db.py")
    parser.add_argument("--code", default="big", help="the organization's code (default: big)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kantoku-bench-export-"))
    copy = work / "db.sqlite3"
    shutil.copyfile(args.database, copy)
    configure_django(copy)
    from django.conf import settings

    settings.EXPORT_DIR = work / "exports"
    say = sys.stdout.write
    say(machine() + "\n")
    organization, admin = school(args.code)
    say(f"start: max RSS {rss_mb():.0f} MB\n")
    export(organization, admin, say)
    delete(organization, say)
    shutil.rmtree(work)


def school(code: str):
    from classrooms.models import Membership, Organization, User
    from classrooms.schoolyear import today

    organization = Organization.objects.get(code=code)
    admin, _created = User.objects.get_or_create(
        login_id=f"{code}-admin", defaults={"name": "管理 者", "role": User.Role.ORG_ADMIN}
    )
    Membership.objects.get_or_create(user=admin, organization=organization, defaults={"starts_on": today()})
    return organization, admin


def export(organization, admin, say) -> None:
    from operations.export import export_request
    from operations.models import DataExport

    started = time.monotonic()
    queued, _new = export_request(organization=organization, by=admin)  # built by its thread, as on the page
    while DataExport.objects.filter(pk=queued.pk, status__in=DataExport.IN_PROGRESS).exists():
        time.sleep(0.2)
    done = DataExport.objects.get(pk=queued.pk)
    elapsed = time.monotonic() - started
    say(
        f"export: {done.status}, {done.rows_done:,} rows, ZIP {done.size_bytes / 1e6:.1f} MB "
        f"in {elapsed:.1f} s; max RSS {rss_mb():.0f} MB\n"
    )


def delete(organization, say) -> None:
    from classrooms.models import Organization
    from operations.deletion import deletion_plan, personal_data_delete

    Organization.objects.filter(pk=organization.pk).update(
        status=Organization.Status.TERMINATED, ended_on=datetime.date(2020, 3, 31)
    )
    organization.refresh_from_db()
    started = time.monotonic()
    plan = deletion_plan(organization)
    rows = sum(step.count() for step in plan.steps) + len(plan.user_ids)
    say(f"deletion dry run: {rows:,} rows planned in {time.monotonic() - started:.1f} s\n")
    started = time.monotonic()
    counts = personal_data_delete(organization=organization)
    say(
        f"deletion --apply: {sum(counts.values()):,} rows in {time.monotonic() - started:.1f} s; "
        f"max RSS {rss_mb():.0f} MB\n"
    )


if __name__ == "__main__":
    main()
