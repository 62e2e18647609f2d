"""Make a big database for the backup and restore measurements (docs/benchmarks.md, "Backup and restore").

One approved organization with classes of 40: a teacher per class, the
pupils (members, enrolled), and per class a number of ended tests in which
every pupil finished an attempt with every question answered. Rows are
written with bulk_create; every account shares one password hash, made once.

    .venv/bin/python benchmarks/make_big_db.py --sqlite /tmp/big.sqlite3 [--pupils 10000] [--tests 3]
    DATABASE_URL=postgres://... .venv/bin/python benchmarks/make_big_db.py --postgres

The SQLite file must not exist yet (the project's db.sqlite3 is never touched); the
PostgreSQL database must be empty (it is migrated here).
"""

from __future__ import annotations

import argparse
import datetime
import random
import sys
import time
from pathlib import Path

from harness import configure_django

CLASS_SIZE = 40
BATCH = 2000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--sqlite", type=Path, help="a new SQLite file to create")
    where.add_argument("--postgres", action="store_true", help="the empty database of DATABASE_URL")
    parser.add_argument("--pupils", type=int, default=10_000, help="pupils (default 10000), in classes of 40")
    parser.add_argument("--tests", type=int, default=3, help="finished tests per class (default 3)")
    args = parser.parse_args()
    if args.sqlite is not None and args.sqlite.exists():
        sys.exit(f"{args.sqlite} exists already: give a new file")
    configure_django(args.sqlite)
    started = time.monotonic()
    counts = build(pupils=args.pupils, tests=args.tests)
    print(f"made in {time.monotonic() - started:.1f} s: " + ", ".join(f"{n} {what}" for what, n in counts.items()))


def build(*, pupils: int, tests: int) -> dict[str, int]:
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import transaction

    from classrooms.models import Organization
    from classrooms.schoolyear import current_school_year, school_year_bounds

    call_command("migrate", verbosity=0)
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115 - the sample exams, and an operator
    first_day = school_year_bounds(current_school_year())[0]
    password = make_password("kantoku-bench")
    with transaction.atomic():
        organization = Organization.objects.create(
            code="big", name="大規模ベンチマーク学園", status=Organization.Status.APPROVED, contract_starts_on=first_day
        )
        classes = people(organization, pupils=pupils, password=password, first_day=first_day)
        attempts = results(classes, tests=tests)
    return {"classes": len(classes), "pupils": pupils, "attempts": attempts}


def people(organization, *, pupils: int, password: str, first_day: datetime.date) -> list:
    """Teachers, classes of 40 and their pupils; returns [(class, teacher, [pupil ids])]."""
    from classrooms.models import Enrollment, Membership, SchoolClass, User
    from classrooms.schoolyear import current_school_year

    count = -(-pupils // CLASS_SIZE)
    teachers = User.objects.bulk_create(
        User(login_id=f"big-t{n}", name=f"先生 {n}", role=User.Role.TEACHER, password=password) for n in range(count)
    )
    students = User.objects.bulk_create(
        (
            User(login_id=f"big-p{n}", name=f"児童 {n}", kana=f"じどう {n}", role=User.Role.EXAMINEE, password=password)
            for n in range(pupils)
        ),
        batch_size=BATCH,
    )
    Membership.objects.bulk_create(
        (Membership(user=user, organization=organization, starts_on=first_day) for user in teachers + students),
        batch_size=BATCH,
    )
    classes = SchoolClass.objects.bulk_create(
        SchoolClass(organization=organization, teacher=teacher, school_year=current_school_year(), name=f"{n + 1}組")
        for n, teacher in enumerate(teachers)
    )
    enrollments, roster = [], []
    for n, (school_class, teacher) in enumerate(zip(classes, teachers, strict=True)):
        members = students[n * CLASS_SIZE : (n + 1) * CLASS_SIZE]
        enrollments += [
            Enrollment(school_class=school_class, examinee=pupil, number=i + 1, starts_on=first_day)
            for i, pupil in enumerate(members)
        ]
        roster.append((school_class, teacher, [pupil.pk for pupil in members]))
    Enrollment.objects.bulk_create(enrollments, batch_size=BATCH)
    return roster


def results(classes: list, *, tests: int) -> int:
    """Per class `tests` ended sessions in which every pupil finished, every question answered."""
    from django.utils import timezone

    from exams.models import Attempt, AttemptQuestion, Exam
    from proctoring.models import ProctoredSession, Seat

    exam = Exam.objects.get(code="reading-spring")
    version = exam.published_version()  # bulk_create calls no save(): sessions and attempts name it here
    questions = list(version.questions.prefetch_related("choices").order_by("position"))
    rng = random.Random(11)  # noqa: S311 - the same database every time, not a secret
    total = 0
    for test in range(tests):
        ended = timezone.now() - datetime.timedelta(days=7 * (tests - test))
        sessions = ProctoredSession.objects.bulk_create(
            ProctoredSession(
                school_class=school_class,
                exam=exam,
                version=version,
                teacher=teacher,
                status=ProctoredSession.Status.ENDED,
                started_at=ended - datetime.timedelta(minutes=12),
                ended_at=ended,
            )
            for school_class, teacher, _pupils in classes
        )
        pairs = [
            (session, pupil) for session, (_c, _t, pupils) in zip(sessions, classes, strict=True) for pupil in pupils
        ]
        Seat.objects.bulk_create((Seat(session=s, examinee_id=p, joined_at=s.started_at) for s, p in pairs), BATCH)
        attempts = Attempt.objects.bulk_create(
            (finished(session, pupil, exam, rng) for session, pupil in pairs), batch_size=BATCH
        )
        AttemptQuestion.objects.bulk_create(
            (row for attempt in attempts for row in answered(attempt, questions, exam, rng)), batch_size=BATCH
        )
        total += len(attempts)
    return total


def finished(session, pupil: int, exam, rng: random.Random):
    from exams.models import Attempt

    score = rng.randint(0, exam.questions_per_attempt)
    return Attempt(
        session=session,
        examinee_id=pupil,
        exam=exam,
        version_id=session.version_id,
        status=Attempt.Status.FINISHED,
        started_at=session.started_at,
        deadline=session.started_at + datetime.timedelta(minutes=exam.time_limit_minutes),
        finished_at=session.started_at + datetime.timedelta(minutes=rng.randint(3, 10)),
        finish_reason=Attempt.FinishReason.SUBMITTED,
        score=score,
        total=exam.questions_per_attempt,
        passed=exam.passes(score, exam.questions_per_attempt),
    )


def answered(attempt, questions: list, exam, rng: random.Random) -> list:
    """Every drawn question answered, each as its kind takes it (docs/design.md §3)."""
    from exams.models import AttemptQuestion

    rows = []
    for position, question in enumerate(drawn(questions, exam.questions_per_attempt, rng)):
        order = [choice.pk for choice in question.choices.all()]
        rng.shuffle(order)
        answer, response = response_of(question, order, rng)
        rows.append(
            AttemptQuestion(
                attempt=attempt,
                position=position,
                question=question,
                choice_order=order,
                answer=answer,
                response=response,
                save_seq=1,
                answered_at=attempt.finished_at,
            )
        )
    return rows


def drawn(questions: list, count: int, rng: random.Random) -> list:
    """As exams.services.draw_questions, with this script's seeded random: a passage's questions together."""
    units: dict[tuple[str, int], list] = {}
    for question in questions:
        unit = ("passage", question.group_id) if question.group_id else ("question", question.pk)
        units.setdefault(unit, []).append(question)
    order = list(units.values())
    rng.shuffle(order)
    taken: list = []
    for unit in order:
        if len(taken) + len(unit) <= count:
            taken.extend(unit)
    return taken


def response_of(question, order: list[int], rng: random.Random) -> tuple[int | None, object]:
    """A random answer: `answer` for single choice, else `response` (indexes into the order, or text)."""
    if question.kind == "single":
        return rng.randrange(len(order)), None
    if question.kind == "short":
        return None, rng.choice([*question.accepted_answers, "わからない"])
    indexes = list(range(len(order)))
    rng.shuffle(indexes)
    return None, indexes if question.kind == "ordering" else sorted(indexes[: rng.randint(1, len(indexes))])


if __name__ == "__main__":
    main()
