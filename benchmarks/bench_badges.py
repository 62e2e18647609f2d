"""Benchmark: signing and verifying a badge, and signing the status list (docs/design.md §12).

Run from the project root:

    .venv/bin/python benchmarks/bench_badges.py [--runs 20]

It uses a temporary SQLite database (never db.sqlite3 nor DATABASE_URL) and
the development key (DEBUG on, derived from SECRET_KEY). It measures what the
service does after a pass (award_sign: build the OpenBadgeCredential and sign
it, eddsa-rdfc-2022, with the database read and write), the status list
credential signed again after a revocation (131,072 entries), and a full
verification of a badge (its proof and the status list's). Medians.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import tempfile
import time
from pathlib import Path

from harness import configure_django, machine, new_class


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="repetitions of each measurement (default 20)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kantoku-bench-") as directory:
        configure_django(Path(directory) / "bench.sqlite3")
        run(args.runs)


def median_ms(timings: list[float]) -> str:
    return f"{statistics.median(timings) * 1000:.1f} ms"


def run(runs: int) -> None:
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from badges import services
    from badges.models import Award, StatusList
    from classrooms.models import Organization
    from classrooms.schoolyear import today
    from exams.models import Attempt, Choice, Exam, Question
    from proctoring.models import ProctoredSession

    call_command("migrate", verbosity=0)
    organization = Organization.objects.create(
        code="bench",
        name="ベンチマーク小学校",
        status=Organization.Status.APPROVED,
        contract_starts_on=today() - datetime.timedelta(days=30),
    )
    teacher, school_class, pupils = new_class(organization, 1, min(runs, 40))
    exam = Exam.objects.create(
        code="bench-badge", title="漢字テスト 3年", time_limit_minutes=10, questions_per_attempt=1, pass_mark_percent=60
    )
    question = Question.objects.create(exam=exam, key="q1", prompt="問", position=0)
    Choice.objects.create(question=question, text="a", is_correct=True, position=0)
    version = exam.latest_version()
    session = ProctoredSession.objects.create(school_class=school_class, exam=exam, teacher=teacher)
    now = timezone.now()

    awards = []
    for pupil in pupils:
        attempt = Attempt.objects.create(
            session=session,
            examinee=pupil,
            exam=exam,
            version=version,
            status=Attempt.Status.FINISHED,
            deadline=now,
            finished_at=now,
            score=1,
            total=1,
            passed=True,
        )
        with transaction.atomic():
            awards.append(services.award_for_result(attempt=attempt))

    sign = []
    for award in awards:
        started = time.perf_counter()
        services.award_sign(award)
        sign.append(time.perf_counter() - started)

    entries = StatusList.objects.get()
    relist = []
    for award in awards:
        with transaction.atomic():
            services.award_revoke(attempt=award.attempt, revoked_for=Award.RevokedFor.MISCONDUCT, reason="bench")
        entries.refresh_from_db()
        started = time.perf_counter()
        services.signed_status_list(entries)
        relist.append(time.perf_counter() - started)

    verify = []
    for award in Award.objects.all():
        started = time.perf_counter()
        services.verify_award(award)  # the list is signed already: proof + list proof + bit
        verify.append(time.perf_counter() - started)

    print(machine())
    print(f"runs: {runs}")
    print(f"award_sign (build + eddsa-rdfc-2022 + save): {median_ms(sign)}")
    print(f"status list signed again after a revocation (131,072 entries): {median_ms(relist)}")
    print(f"verify_award (badge proof + list proof + bit): {median_ms(verify)}")


if __name__ == "__main__":
    main()
