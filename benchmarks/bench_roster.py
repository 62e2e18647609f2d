"""Benchmark: issuing a class of 40 examinees, and the roster page for 40.

Run from the project root:

    .venv/bin/python benchmarks/bench_roster.py [--runs 5]

It uses a temporary SQLite database (never db.sqlite3 nor DATABASE_URL),
migrates it, and prints the machine and the figures that docs/benchmarks.md
records. Each import run uses a fresh teacher and class, since a teacher
proctors at most 40 examinees per school year.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from harness import configure_django, machine, new_school

CLASS_SIZE = 40


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="repetitions of each measurement (default 5)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kantoku-bench-") as directory:
        configure_django(Path(directory) / "bench.sqlite3")
        run(args.runs)


def run(runs: int) -> None:
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from classrooms.models import Membership, SchoolClass, User
    from classrooms.schoolyear import current_school_year, today
    from classrooms.services import RosterRow, examinees_issue

    call_command("migrate", verbosity=0)
    organization = new_school()
    teachers = iter(range(1, 1000))

    def new_class() -> tuple[User, SchoolClass]:
        number = next(teachers)
        teacher = User.objects.create_user(
            login_id=f"bench-teacher{number}", password=None, name=f"先生 {number}", role=User.Role.TEACHER
        )
        Membership.objects.create(user=teacher, organization=organization, starts_on=today())
        school_class = SchoolClass.objects.create(
            organization=organization, teacher=teacher, school_year=current_school_year(), name=f"{number}組"
        )
        return teacher, school_class

    rows = [
        RosterRow(name=f"受検 {index:02d}", kana=f"じゅけん {index:02d}", number=index)
        for index in range(1, CLASS_SIZE + 1)
    ]

    def import_class() -> tuple[tuple[float, float], User, SchoolClass]:
        teacher, school_class = new_class()
        started, cpu_started = time.perf_counter(), time.process_time()
        examinees_issue(school_class=school_class, rows=rows, by=teacher)
        return (time.perf_counter() - started, time.process_time() - cpu_started), teacher, school_class

    def medians(samples: list[tuple[float, float]]) -> str:
        wall = statistics.median(sample[0] for sample in samples)
        cpu = statistics.median(sample[1] for sample in samples)
        return f"{wall * 1000:8.1f} ms wall, {cpu * 1000:8.1f} ms CPU"

    print(f"machine: {machine()}")
    print(f"runs: {runs} (figures are medians)")

    # Wall time is what a teacher waits; CPU time (of this process, all its
    # threads) is steadier when other work shares the machine.
    hash_times = []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        for _ in range(CLASS_SIZE):
            make_password("abcd-efgh-jkmn")
        hash_times.append((time.perf_counter() - started, time.process_time() - cpu_started))
    print(f"{CLASS_SIZE} Argon2 hashes alone (Django defaults):  {medians(hash_times)}")

    import_times = [import_class()[0] for _ in range(runs)]
    print(f"examinees_issue, {CLASS_SIZE} rows (Argon2):        {medians(import_times)}")

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        fast_times = [import_class()[0] for _ in range(runs)]
    print(f"examinees_issue, {CLASS_SIZE} rows (MD5, no Argon2): {medians(fast_times)}")

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        _, teacher, school_class = import_class()
    # Not setup_test_environment(): its template instrumentation copies every
    # context for the test client and would double the rendering time.
    client = Client()
    client.force_login(teacher)
    url = reverse("classrooms:teacher_roster", args=[school_class.pk])
    page_times, query_counts = [], []
    with override_settings(DEBUG=False):
        response = client.get(url)  # warm up template loading and caches
        assert response.status_code == 200, response.status_code
        for _ in range(max(runs, 20)):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                page_times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
            query_counts.append(len(queries))
    print(
        f"roster page, {CLASS_SIZE} examinees:                {statistics.median(page_times) * 1000:8.1f} ms, "
        f"{statistics.median(query_counts):.0f} queries, {len(response.content) // 1024} KiB of HTML"
    )


if __name__ == "__main__":
    main()
