"""Benchmark: signing and verifying a badge, and signing the status list (docs/design.md §12).

Run from the project root:

    .venv/bin/python benchmarks/bench_badges.py [--runs 20]

It uses a temporary SQLite database (never db.sqlite3 nor DATABASE_URL) and
the development key (DEBUG on, derived from SECRET_KEY). It measures what the
service does after a pass (award_sign: build the OpenBadgeCredential and sign
it, eddsa-rdfc-2022, with the database read and write), the status list
credential signed again after a revocation (131,072 entries), a full
verification of a badge (as the public verification page does it), and the
end of a session of 40 pupils who all pass, with badges (the operator's test)
and without (a school's test without one), alternately. Medians.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from harness import configure_django, machine, new_class, new_school


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="repetitions of each measurement (default 20)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kantoku-bench-") as directory:
        configure_django(Path(directory) / "bench.sqlite3")
        run(args.runs)


ENDS = 3  # sessions ended of each kind


def median_ms(timings: list[float]) -> str:
    return f"{statistics.median(timings) * 1000:.1f} ms"


def run(runs: int) -> None:
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from badges import services
    from badges.models import Award, StatusList
    from exams import services as exam_services
    from exams.models import Attempt, Choice, Exam, Question
    from proctoring import presence
    from proctoring import services as proctoring
    from proctoring.models import ProctoredSession

    call_command("migrate", verbosity=0)
    organization = new_school()
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

    # The awards were signed after their commit already: their credential is emptied first, or award_sign
    # would only read the row back and return it.
    Award.objects.update(credential=None, signed_at=None)
    sign = []
    for award in awards:
        award.credential = None
        started = time.perf_counter()
        services.award_sign(award)
        sign.append(time.perf_counter() - started)
        assert Award.objects.get(pk=award.pk).credential  # signed and stored

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
        services.verify_award(award)  # as the verification page: key, proof, dates, the served list's proof and bit
        verify.append(time.perf_counter() - started)

    # Ending a session of a class of 40 who all pass, as the proctor's "end" does: the operator's test
    # (each pass awards a badge in the finishing transaction, signed after its commit, inside this call)
    # against a school's test that awards none, alternately in the same run.
    school_exam = Exam.objects.create(
        organization=organization,
        code="bench-no-badge",
        title="漢字テスト 3年（学校）",
        time_limit_minutes=10,
        questions_per_attempt=1,
        pass_mark_percent=60,
    )
    question = Question.objects.create(exam=school_exam, key="q1", prompt="問", position=0)
    Choice.objects.create(question=question, text="a", is_correct=True, position=0)
    classes = iter(range(2, 1000))

    def end_of_passing_class(exam) -> tuple[float, int]:
        """(session_end's wall time, badges signed by its end) for a new class of 40 who answered right."""
        teacher, school_class, pupils = new_class(organization, next(classes), 40)
        session = proctoring.session_open(school_class=school_class, exam=exam, by=teacher)
        for pupil in pupils:
            presence.connection_open(
                session=session, examinee=pupil, channel_name=f"bench.{pupil.pk}", ip="127.0.0.1", process="bench"
            )
        proctoring.session_start(session=session, by=teacher)
        for attempt in Attempt.objects.filter(session=session):
            assert exam_services.answer_save(attempt=attempt, position=0, choice=0, seq=1).applied
        started = time.perf_counter()
        proctoring.session_end(session=session, by=teacher)
        wall = time.perf_counter() - started
        assert Attempt.objects.filter(session=session, passed=True).count() == 40
        return wall, Award.objects.filter(attempt__session=session, credential__isnull=False).count()

    ends: dict[str, list[float]] = {"badges": [], "none": []}
    signed_at_end = set()
    for _round in range(ENDS):
        wall, signed = end_of_passing_class(exam)
        ends["badges"].append(wall)
        signed_at_end.add(signed)
        wall, signed = end_of_passing_class(school_exam)
        ends["none"].append(wall)
        assert signed == 0

    print(machine())
    print(f"runs: {runs}")
    print(f"award_sign (build + eddsa-rdfc-2022 + save): {median_ms(sign)}")
    print(f"status list signed again after a revocation (131,072 entries): {median_ms(relist)}")
    print(f"verify_award (as the verification page: key, proof, dates, list proof, bit): {median_ms(verify)}")
    print(
        f"session_end, 40 passing, {ENDS} rounds: operator's test (badges signed: {sorted(signed_at_end)}) "
        f"{median_ms(ends['badges'])}, school test without a badge {median_ms(ends['none'])}"
    )


if __name__ == "__main__":
    main()
