"""Benchmark: a running proctored session of a class of 40.

Run from the project root:

    .venv/bin/python benchmarks/bench_proctoring.py [--runs 3] [--postgres-runs 1]

It builds a class of 40 (and one of 10); each run starts a new session of the
class of 40, every examinee connected, and measures

- the proctor's `snapshot` (wall time, SQL queries: the same for 10 and 40);
- `answer_save`: 40 x 5 new answers (each announces the examinee's tile),
  40 x 5 changed answers (no tile), and 40 new answers through the HTTP view;
- `signals_record`: a burst of 20 signals of one kind, and 20 signals of five
  tab switches (four kinds), with the rows they write;
- `session_end` finishing the 40 open attempts;
- opening a new database connection.

It uses a temporary SQLite database (never db.sqlite3), the in-memory channel
layer and a fast password hasher for the setup. When DATABASE_URL is set
(`scripts/pgtest start` prints one), it then measures the same on PostgreSQL
in a throwaway database `kantoku_bench_<pid>` that it creates on that server
and drops afterwards; the URL's own database is never touched. It builds one
class there by default (about 15 s), --sqlite-only skips it. Everything runs in
one thread, i.e. on one core; 30–50 s in all on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from harness import configure_django, machine, new_school
from harness import new_class as harness_new_class

CLASS_SIZE = 40
SMALL_CLASS_SIZE = 10
SAVES_PER_EXAMINEE = 5
HTTP_SAVES_PER_EXAMINEE = 1
SNAPSHOTS = 20
BURST = 20
CONNECTS = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="sessions of the class of 40 (default 3)")
    parser.add_argument("--postgres-runs", type=int, default=1, help="the same on PostgreSQL (default 1)")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL even when DATABASE_URL is set")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite", help=argparse.SUPPRESS)
    args = parser.parse_args()
    runs = max(args.runs, 1)

    if args.backend == "postgres":
        run_postgres(runs)
        return
    database_url = os.environ.get("DATABASE_URL", "")  # read before the SQLite part unsets it
    postgres = bool(database_url) and not args.sqlite_only
    started = time.perf_counter()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="kantoku-bench-") as directory:
        configure_django(Path(directory) / "bench.sqlite3")
        import sqlite3

        print(f"\n== SQLite {sqlite3.sqlite_version} (temporary file, WAL, synchronous=NORMAL); {runs} runs ==")
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        run(runs)
    if postgres:
        # Settings are read once per process: PostgreSQL gets a process of its own.
        sys.stdout.flush()
        command = [sys.executable, __file__, "--runs", str(max(args.postgres_runs, 1)), "--backend", "postgres"]
        environment = {**os.environ, "DATABASE_URL": database_url}
        try:
            finished = subprocess.run(command, timeout=120, env=environment)  # noqa: S603 - our interpreter and script
        except subprocess.TimeoutExpired:
            print("(the PostgreSQL part took over 120 s and was stopped)")
        else:
            if finished.returncode:
                print(f"(the PostgreSQL part failed: exit status {finished.returncode})")
    print(f"\ntotal {time.perf_counter() - started:.1f} s")


def run_postgres(runs: int) -> None:
    configure_django(None)
    from django.db import OperationalError, connection

    if connection.vendor != "postgresql":
        sys.exit(f"PostgreSQL skipped: DATABASE_URL is not a PostgreSQL database ({connection.vendor})")
    try:
        connection.ensure_connection()
    except OperationalError as error:
        sys.exit(f"PostgreSQL skipped: cannot connect ({error}); `scripts/pgtest start` starts a server")
    # A database of our own, created and dropped here, as the test runner does; the
    # name is unique so that a test suite running on the same server is left alone.
    connection.settings_dict["TEST"]["NAME"] = f"kantoku_bench_{os.getpid()}"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        settings_dict = connection.settings_dict
        where = f"{settings_dict['HOST'] or 'local socket'}:{settings_dict['PORT'] or 5432}"
        print(f"\n== PostgreSQL {version} ({where}, throwaway database {settings_dict['NAME']}); {runs} runs ==")
        run(runs)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[18] if len(samples) > 1 else samples[0]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:6.1f} ms"


def spread(values: list[float]) -> str:
    """The range of the per-run figures, in ms."""
    low, high = min(values) * 1000, max(values) * 1000
    return f"{low:.1f} ms" if len(values) == 1 else f"{low:.1f}–{high:.1f} ms"


def run(runs: int) -> None:
    section_started = time.perf_counter()
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from classrooms.models import SchoolClass, User
    from exams import services as exam_services
    from exams.models import Attempt, Choice, Exam, Question
    from proctoring import presence, services
    from proctoring.live import snapshot
    from proctoring.models import ProctoredSession, Signal, SignalReceipt

    fast_hasher = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    # DEBUG=False as in production: no query log behind every cursor.
    with fast_hasher, override_settings(DEBUG=False):
        organization = new_school()
        exam = Exam.objects.create(
            code="bench-reading",
            title="読解テスト",
            time_limit_minutes=30,
            questions_per_attempt=10,
            pass_mark_percent=60,
        )
        for number in range(20):
            question = Question.objects.create(exam=exam, key=f"q{number}", prompt=f"問{number}", position=number)
            Choice.objects.bulk_create(
                Choice(question=question, text=f"選択肢{number}-{c}", is_correct=c == 0, position=c) for c in range(4)
            )
        classes = iter(range(1, 1000))

        def new_class(size: int) -> tuple[User, SchoolClass, list[User]]:
            """A new teacher and class of `size`, signed in once (their issued passwords changed)."""
            return harness_new_class(organization, next(classes), size)

        def running_session(
            teacher: User, school_class: SchoolClass, examinees: list[User]
        ) -> tuple[ProctoredSession, dict[int, Attempt]]:
            """A new session of the class, every examinee connected (hence seated), the test started."""
            session = services.session_open(school_class=school_class, exam=exam, by=teacher)
            for examinee in examinees:
                presence.connection_open(
                    session=session,
                    examinee=examinee,
                    channel_name=f"bench.{session.pk}.{examinee.pk}",
                    ip="127.0.0.1",
                    process="bench",
                )
            services.session_start(session=session, by=teacher)
            attempts = {attempt.examinee_id: attempt for attempt in Attempt.objects.filter(session=session)}
            assert len(attempts) == len(examinees), (len(attempts), len(examinees))
            return session, attempts

        def snapshots(session: ProctoredSession, size: int) -> tuple[list[float], int]:
            snapshot(session)  # warm up
            with CaptureQueriesContext(connection) as queries:
                picture = snapshot(session)
            assert len(picture["examinees"]) == size
            times = []
            for _ in range(SNAPSHOTS):
                started = time.perf_counter()
                snapshot(session)
                times.append(time.perf_counter() - started)
            return times, len(queries)

        def saves(attempts: list[Attempt], positions: range, choice_of, seq_of) -> tuple[list[float], float, float]:
            """One save per attempt and position, position by position; (latencies, wall, CPU)."""
            times = []
            wall, cpu = time.perf_counter(), time.process_time()
            for position in positions:
                for attempt in attempts:
                    started = time.perf_counter()
                    outcome = exam_services.answer_save(
                        attempt=attempt, position=position, choice=choice_of(position), seq=seq_of(position)
                    )
                    times.append(time.perf_counter() - started)
                    assert outcome.applied
            return times, time.perf_counter() - wall, time.process_time() - cpu

        def save_queries(attempt: Attempt, position: int, choice: int, seq: int) -> int:
            with CaptureQueriesContext(connection) as queries:
                assert exam_services.answer_save(attempt=attempt, position=position, choice=choice, seq=seq).applied
            return len(queries)

        def burst(session: ProctoredSession, examinee: User, kinds: list[str]) -> tuple[float, int, int, int]:
            """(wall time, queries, Signal rows, SignalReceipt rows) for these signals sent back to back."""
            signals_before = Signal.objects.filter(session=session).count()
            receipts_before = SignalReceipt.objects.filter(signal__session=session).count()
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                for kind in kinds:  # one at a time, as a pupil's socket sends them
                    item = services.SignalItem(session.pk, examinee.pk, kind, uuid.uuid4(), timezone.now())
                    services.signals_record([item])
                elapsed = time.perf_counter() - started
            return (
                elapsed,
                len(queries),
                Signal.objects.filter(session=session).count() - signals_before,
                SignalReceipt.objects.filter(signal__session=session).count() - receipts_before,
            )

        results: dict[str, list] = {}

        def keep(name: str, value) -> None:
            results.setdefault(name, []).append(value)

        # The class of 10, for the snapshot's query count: some answers and a flag, so that every
        # query of the snapshot finds rows. Built once; the class of 40 is new in every run.
        small_teacher, small_class, small_examinees = new_class(SMALL_CLASS_SIZE)
        small_session, small_attempts = running_session(small_teacher, small_class, small_examinees)
        for examinee in small_examinees:
            exam_services.answer_save(attempt=small_attempts[examinee.pk], position=0, choice=1, seq=1)
        burst(small_session, small_examinees[0], ["copy"])

        # The class of 40, and a test client signed in for each examinee; every run is a new session.
        teacher, school_class, examinees = new_class(CLASS_SIZE)
        clients = {}
        for examinee in examinees:
            clients[examinee.pk] = Client()
            clients[examinee.pk].force_login(examinee)

        for _ in range(runs):
            session, attempts = running_session(teacher, school_class, examinees)
            ordered = [attempts[examinee.pk] for examinee in examinees]

            # answer_save: every examinee answers 5 new questions (answered count changes: tile announced),
            # then changes those 5 answers (no tile).
            keep("new", saves(ordered, range(SAVES_PER_EXAMINEE), lambda p: p % 4, lambda p: 1))
            keep("changed", saves(ordered, range(SAVES_PER_EXAMINEE), lambda p: (p + 1) % 4, lambda p: 2))
            keep("new_queries", save_queries(ordered[0], SAVES_PER_EXAMINEE, 0, 1))
            keep("changed_queries", save_queries(ordered[0], SAVES_PER_EXAMINEE, 1, 2))

            # The same through the HTTP view (test client: middleware, session, auth; no network).
            http_times = []
            wall, cpu = time.perf_counter(), time.process_time()
            for position in range(SAVES_PER_EXAMINEE + 1, SAVES_PER_EXAMINEE + 1 + HTTP_SAVES_PER_EXAMINEE):
                for examinee in examinees:
                    url = reverse("exams:answer_save", args=[attempts[examinee.pk].pk])
                    body = {"position": position, "choice": 2, "seq": 1}
                    started = time.perf_counter()
                    response = clients[examinee.pk].post(url, body, content_type="application/json")
                    http_times.append(time.perf_counter() - started)
                    assert response.status_code == 200, response.content
                    assert response.json()["applied"], response.content
            keep("http", (http_times, time.perf_counter() - wall, time.process_time() - cpu))

            # signals_record: one kind 20 times (a pupil pasting, or a jittery focus), and five tab switches.
            keep("burst_one", burst(session, examinees[0], ["paste"] * BURST))
            switch = ["tab_hidden", "focus_lost", "tab_visible", "focus_returned"]
            keep("burst_tabs", burst(session, examinees[1], switch * (BURST // len(switch))))

            keep("snapshot", snapshots(session, CLASS_SIZE))
            keep("snapshot_small", snapshots(small_session, SMALL_CLASS_SIZE))

            # session_end: 40 open attempts finished and scored.
            open_attempts = Attempt.objects.filter(session=session).exclude(status=Attempt.Status.FINISHED).count()
            assert open_attempts == CLASS_SIZE, open_attempts
            with CaptureQueriesContext(connection) as queries:
                wall, cpu = time.perf_counter(), time.process_time()
                services.session_end(session=session, by=teacher)
                keep("end", (time.perf_counter() - wall, time.process_time() - cpu, len(queries)))
            assert not Attempt.objects.filter(session=session).exclude(status=Attempt.Status.FINISHED).exists()

            # A new connection (with conn_max_age=0 under ASGI, every request and consumer call opens one).
            connects = []
            for _ in range(CONNECTS):
                connection.close()
                started = time.perf_counter()
                connection.ensure_connection()
                connects.append(time.perf_counter() - started)
            keep("connect", statistics.median(connects))
        services.session_end(session=small_session, by=None)

    def latency(name: str, label: str, queries: str = "") -> None:
        samples = [t for times, _, _ in results[name] for t in times]
        count = len(results[name][0][0])
        rate = [count / wall for _, wall, _ in results[name]]
        cpu_rate = [count / cpu for _, _, cpu in results[name]]
        print(
            f"{label:<34} median {ms(statistics.median(samples))}, p95 {ms(p95(samples))}{queries}; "
            f"{count} saves in a row: {statistics.median(rate):4.0f}/s wall ({min(rate):.0f}–{max(rate):.0f}), "
            f"{statistics.median(cpu_rate):4.0f}/s of CPU"
        )

    def queries_of(name: str) -> str:
        counts = sorted(set(results[name]))
        return "/".join(str(count) for count in counts)

    pooled = [t for times, _ in results["snapshot"] for t in times]
    pooled_small = [t for times, _ in results["snapshot_small"] for t in times]
    per_run = [statistics.median(times) for times, _ in results["snapshot"]]
    print(
        f"{'snapshot, 40 examinees':<34} median {ms(statistics.median(pooled))}, p95 {ms(p95(pooled))}, "
        f"{'/'.join(str(n) for n in sorted({n for _, n in results['snapshot']}))} queries "
        f"(per-run medians {spread(per_run)}; {SNAPSHOTS} per run)"
    )
    print(
        f"{'snapshot, 10 examinees':<34} median {ms(statistics.median(pooled_small))}, p95 {ms(p95(pooled_small))}, "
        f"{'/'.join(str(n) for n in sorted({n for _, n in results['snapshot_small']}))} queries"
    )
    latency("new", "answer_save, new answer (tile)", f", {queries_of('new_queries')} queries")
    latency("changed", "answer_save, changed answer", f", {queries_of('changed_queries')} queries")
    latency("http", "answer_save via HTTP view (new)")
    for name, label in (("burst_one", "20 x 'paste'"), ("burst_tabs", "5 tab switches (4 kinds)")):
        elapsed = [sample[0] for sample in results[name]]
        queries, signals, receipts = (sorted({sample[i] for sample in results[name]}) for i in (1, 2, 3))
        print(
            f"{'signals_record, ' + label:<34} {ms(statistics.median(elapsed))} for 20 "
            f"({ms(statistics.median(elapsed) / BURST).strip()} each; runs {spread(elapsed)}), "
            f"{'/'.join(map(str, queries))} queries; rows: {'/'.join(map(str, signals))} Signal + "
            f"{'/'.join(map(str, receipts))} SignalReceipt"
        )
    walls, cpus, counts = zip(*results["end"], strict=True)
    print(
        f"{'session_end, 40 open attempts':<34} median {ms(statistics.median(walls))} wall "
        f"(runs {spread(list(walls))}), {ms(statistics.median(cpus)).strip()} CPU, "
        f"{'/'.join(str(n) for n in sorted(set(counts)))} queries"
    )
    print(f"{'new database connection':<34} median {ms(statistics.median(results['connect']))}")
    print(f"(this part took {time.perf_counter() - section_started:.1f} s, setup included)")


if __name__ == "__main__":
    main()
