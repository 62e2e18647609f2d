"""Results: every query that shows a finished attempt's score lives here (docs/design.md §3).

A result is a finished attempt that was not revoked. Keeping all result
queries behind `_results()` means a rule about which results may be shown
(revocation, docs/design.md §5) is added in one place and holds for the examinee's
history, the class page, its chart and counts, and the CSV export alike.

A class sees the results of examinees on its roster today only (`roster_of`):
an examinee who left the class or the organization disappears from its
results, name, score and counts alike (docs/design.md §7).
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field, replace
from fractions import Fraction

from django.db.models import (
    Case,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Floor
from django.http import Http404
from django.utils import timezone

from classrooms.access import history_shared_until, roster_of
from classrooms.models import Enrollment, Membership, Organization, SchoolClass, User
from classrooms.schoolyear import today
from exams.item_statistics import (
    FLAG_MIN_RESPONSES,
    OTHER,
    OTHER_ORDER,
    RIGHT_ORDER,
    Flag,
    Option,
    OptionCount,
    Response,
    cells_to_hide,
    item_statistics,
)
from exams.models import Attempt, AttemptQuestion, Choice, Exam, ExamVersion, Question
from exams.scoring import chosen_choice, normalize_answer, picked_choices
from exams.services import question_points
from proctoring.models import ProctoredSession, Revocation

BUCKET_COUNT = 10  # 0–9 %, 10–19 %, …, 90–100 %


def _results() -> QuerySet[Attempt]:
    """The attempts that count as results: finished, not revoked. The single place to hide a result."""
    # `regrade`: the newest correction of a key that scored the result again (exams/regrade.py), for its note.
    results = Attempt.objects.filter(status=Attempt.Status.FINISHED, revocation__isnull=True)
    return results.select_related("regrade").annotate(
        # Rounded down, like the pass mark compares (Exam.passes), so 59.9 % never shows as a passing 60 %.
        percent=Case(
            When(total=0, then=Value(0)),
            default=Cast(
                Floor(ExpressionWrapper(F("score") * 100 / F("total"), output_field=DecimalField())), IntegerField()
            ),
            output_field=IntegerField(),
        ),
    )


def result_of(attempt: Attempt) -> Attempt:
    """The examinee's result for a finished attempt they may see (from `get_attempt_for_examinee`); else 404."""
    try:
        return _results().select_related("exam", "version").get(pk=attempt.pk)
    except Attempt.DoesNotExist:
        raise Http404 from None


def revocation_of(attempt: Attempt) -> Revocation | None:
    """Whether the examinee's attempt was revoked: what their result page says instead of a score."""
    return Revocation.objects.filter(attempt=attempt).only("attempt_id", "reason", "revoked_at").first()


def revocations_for_examinee(user: User) -> QuerySet[Revocation]:
    """The examinee's revoked attempts, newest first: a notice each, never a score."""
    return Revocation.objects.filter(attempt__examinee=user).select_related("attempt__exam").order_by("-revoked_at")


def results_for_examinee(user: User) -> QuerySet[Attempt]:
    """The examinee's own results, newest first. Theirs to keep wherever they move (docs/design.md §7)."""
    return _results().filter(examinee=user).select_related("exam", "version").order_by("-finished_at", "-pk")


def results_seen_by_school(examinee: User, organization: Organization) -> QuerySet[Attempt]:
    """An examinee's results as a school sees them (docs/design.md §7), newest first.

    Results in the school's own classes; and, when the examinee arrived by a
    transfer and agreed that the new school may see their past history,
    everything they finished before the arrival date too.
    """
    visible = Q(session__school_class__organization=organization)
    shared_until = history_shared_until(examinee, organization)
    if shared_until is not None:
        start = datetime.datetime.combine(shared_until, datetime.time.min, tzinfo=timezone.get_current_timezone())
        visible |= Q(finished_at__lt=start)
    return (
        _results()
        .filter(visible, examinee=examinee)
        .select_related("exam", "version", "session__school_class")
        .order_by("-finished_at", "-pk")
    )


def sessions_of_class(school_class: SchoolClass) -> QuerySet[ProctoredSession]:
    """The class's sessions, newest first: what the class results page can be narrowed to."""
    return ProctoredSession.objects.filter(school_class=school_class).select_related("exam").order_by("-created_at")


def results_for_class(school_class: SchoolClass, session: ProctoredSession | None = None) -> QuerySet[Attempt]:
    """Results from the class's sessions of examinees on its roster today, each with their class `number`.

    Newest session first, then by number in class. One query.
    """
    roster = roster_of(school_class)
    results = _results().filter(session__school_class=school_class, examinee_id__in=roster.values("examinee_id"))
    if session is not None:
        results = results.filter(session=session)
    return (
        results.annotate(number=Subquery(roster.filter(examinee_id=OuterRef("examinee_id")).values("number")[:1]))
        .select_related("examinee", "exam", "version", "session")
        .order_by(
            "-session__created_at", "-session_id", F("number").asc(nulls_last=True), "examinee__kana", "examinee__name"
        )
    )


@dataclass(frozen=True)
class Bucket:
    low: int
    high: int  # inclusive; the top bucket holds 100 %
    count: int


@dataclass(frozen=True)
class ClassSummary:
    count: int
    passed: int
    mean_percent: float | None  # None when there is no result
    pass_rate: float | None
    buckets: list[Bucket]

    @property
    def largest_bucket(self) -> int:
        return max(bucket.count for bucket in self.buckets)


def bucket_of(percent: int) -> int:
    """The score-percent bucket (0–9) a percentage falls in; 100 % shares the top bucket."""
    return min(max(percent, 0) // 10, BUCKET_COUNT - 1)


def _rates(rows: list[tuple[int, int, bool]]) -> tuple[float, float]:
    """The mean exact percentage and the pass rate of (score, total, passed) rows, to one decimal."""
    exact = [float(score) * 100 / total if total else 0.0 for score, total, _passed in rows]
    passed = sum(1 for _score, _total, ok in rows if ok)
    return round(sum(exact) / len(rows), 1), round(passed * 100 / len(rows), 1)


def class_summary(results) -> ClassSummary:
    """Count, mean percentage, pass rate and distribution of results (from `results_for_class`).

    The mean is taken over exact percentages, not the rounded-down ones shown per row.
    """
    results = list(results)
    counts = [0] * BUCKET_COUNT
    for result in results:
        counts[bucket_of(result.percent)] += 1
    buckets = [
        Bucket(low=index * 10, high=100 if index == BUCKET_COUNT - 1 else index * 10 + 9, count=count)
        for index, count in enumerate(counts)
    ]
    if not results:
        return ClassSummary(count=0, passed=0, mean_percent=None, pass_rate=None, buckets=buckets)
    mean_percent, pass_rate = _rates([(result.score, result.total, result.passed) for result in results])
    return ClassSummary(
        count=len(results),
        passed=sum(1 for result in results if result.passed),
        mean_percent=mean_percent,
        pass_rate=pass_rate,
        buckets=buckets,
    )


@dataclass(frozen=True)
class ChoiceCount:
    """One line of a question's picks: a choice (ticked, for multiple choice), a typed answer, "other answers",
    or the right or another order; `text` is empty for the rows the template names itself (`other`, `order`).
    """

    text: str
    correct: bool
    count: int | None  # None: hidden on the operator's page, `shown` says how
    percent: int | None  # of the results that had the question
    shown: str = ""  # "<5", or "*" for a count hidden so that a smaller one cannot be subtracted out
    other: bool = False  # short answer: every answer given less often than those shown
    order: str = ""  # ordering: "right" or "other"


@dataclass(frozen=True)
class ItemRow:
    """One question of one version across results: how many had it, how much they earned, what they gave, and
    how it behaved. Questions of different versions are different rows (docs/design.md §3).
    """

    position: int  # the question's place in its version (1-based) among those answered, not in any draw
    prompt: str
    asked: int
    correct: float  # the sum of item scores: the number right, partial credit included
    unanswered: int
    choices: list[ChoiceCount]
    discrimination: float | None = None  # corrected point-biserial (exams/item_statistics.py); None: undefined
    upper_lower: float | None = None
    flags: list[Flag] = field(default_factory=list)
    correct_shown: str | None = None  # "<5" when the number right is suppressed (the operator's page)
    unanswered_shown: str | None = None
    kind: str = Question.Kind.SINGLE
    version: int = 1  # the version's number
    version_id: int | None = None
    exam: Exam | None = None

    @property
    def percent_correct(self) -> int:
        return math.floor(self.correct * 100 / self.asked + 1e-9) if self.asked else 0

    @property
    def unanswered_percent(self) -> int:
        """Rounded down, as each choice's percent."""
        return self.unanswered * 100 // self.asked if self.asked else 0

    @property
    def kind_label(self) -> str:
        return Question.Kind(self.kind).label

    @property
    def too_few_to_flag(self) -> bool:
        """No flag yet says nothing about the question (exams/item_statistics.py): the page says so."""
        return self.asked < FLAG_MIN_RESPONSES

    @property
    def flag_min(self) -> int:
        return FLAG_MIN_RESPONSES


@dataclass(frozen=True)
class VersionItems:
    """The item rows of one version of one test, for a page that groups its question table by version."""

    exam: Exam
    number: int
    items: list[ItemRow]


def given_answer(row: AttemptQuestion, points: Fraction):
    """What one drawn question's answer gave, as exams/item_statistics.py counts it for the question's kind
    (None: not answered): a choice id, the ticked ids, the normalized text, or the right or another order.
    """
    kind, order = row.question.kind, row.choice_order
    if kind == Question.Kind.SINGLE:
        return chosen_choice(order, row.answer)
    if kind == Question.Kind.SHORT:
        text = normalize_answer(row.response) if isinstance(row.response, str) else ""
        return text or None
    picked = picked_choices(order, row.response)
    if picked is None:
        return None
    if kind == Question.Kind.MULTIPLE:
        return frozenset(picked)
    return RIGHT_ORDER if points == 1 else OTHER_ORDER


def _choices_by_question(question_ids) -> dict[int, list[Choice]]:
    choices: dict[int, list[Choice]] = {}
    for choice in Choice.objects.filter(question_id__in=question_ids).order_by("position", "pk"):
        choices.setdefault(choice.question_id, []).append(choice)
    return choices


def responses_of(attempt_ids) -> list[Response]:
    """The answers given in these attempts, as the plain rows exams/item_statistics.py reads. Two queries.

    Every kind: the item score is what scoring gave it (exams/scoring.py through `question_points`, partial
    credit included), and what was given is read per kind by `given_answer`.
    """
    rows = list(
        AttemptQuestion.objects.filter(attempt_id__in=attempt_ids)
        .select_related("question")
        .only("attempt_id", "question_id", "choice_order", "answer", "response", *QUESTION_FIELDS)
    )
    choices = _choices_by_question({row.question_id for row in rows})
    responses = []
    for row in rows:
        points = question_points(row, choices.get(row.question_id, []))
        responses.append(Response(row.attempt_id, row.question_id, given_answer(row, points), float(points)))
    return responses


QUESTION_FIELDS = ("question__kind", "question__credit", "question__accepted_answers")


def _options_of(question: Question) -> list[Option]:
    """The options item statistics count for the question's kind (the module docstring of item_statistics)."""
    if question.kind == Question.Kind.SHORT:
        return [Option(normalize_answer(text), text, True) for text in question.accepted_answers]
    if question.kind == Question.Kind.ORDERING:
        return [Option(RIGHT_ORDER, "", True), Option(OTHER_ORDER, "", False)]
    return [Option(choice.pk, choice.text, choice.is_correct) for choice in question.choices.all()]


def _choice_count(count: OptionCount, n: int, kind: str) -> ChoiceCount:
    option = count.option
    return ChoiceCount(
        text=option.text,
        correct=option.is_key,
        count=count.count,
        percent=count.count * 100 // n,
        other=kind == Question.Kind.SHORT and option.id == OTHER,
        order=option.id if kind == Question.Kind.ORDERING else "",
    )


def item_rows(responses: list[Response], *, least_shown: int = 1) -> list[ItemRow]:
    """Per question the responses touch, by version and in its order: counts, discrimination and flags.

    Two queries. `least_shown`: a short answer given fewer times is counted with the other answers.
    """
    questions = list(
        Question.objects.filter(pk__in={response.question for response in responses})
        .select_related("version", "exam")
        .prefetch_related("choices")
        .order_by("exam__title", "exam_id", "version__number", "position", "pk")
    )
    options = {question.pk: _options_of(question) for question in questions}
    kinds = {question.pk: question.kind for question in questions}
    statistics = item_statistics(responses, options, kinds, least_shown=least_shown)
    places: dict[int, int] = {}
    rows = []
    for question, item in zip(questions, statistics, strict=True):
        places[question.version_id] = places.get(question.version_id, 0) + 1
        rows.append(
            ItemRow(
                position=places[question.version_id],
                prompt=question.prompt,
                asked=item.n,
                correct=item.correct,
                unanswered=item.unanswered,
                choices=[_choice_count(count, item.n, question.kind) for count in item.choices],
                discrimination=item.point_biserial,
                upper_lower=item.upper_lower,
                flags=item.flags,
                kind=question.kind,
                version=question.version.number,
                version_id=question.version_id,
                exam=question.exam,
            )
        )
    return rows


def by_version(items: list[ItemRow]) -> list[VersionItems]:
    """The rows grouped by test and version, oldest version first (item_rows gives them in that order)."""
    groups: list[VersionItems] = []
    last = None
    for item in items:
        if item.version_id != last:
            groups.append(VersionItems(exam=item.exam, number=item.version, items=[]))
            last = item.version_id
        groups[-1].items.append(item)
    return groups


def item_analysis(results: list[Attempt]) -> list[ItemRow]:
    """Per question of the results' tests (each version's questions apart): correct rate, what was given,
    discrimination and flags.

    For the teacher's eyes only (the class results page): it names the correct choice, which never
    reaches an examinee (docs/design.md §3). Each examinee drew their own questions, so a question
    counts over the results that had it. Four queries, whatever the number of results.
    """
    if not results:
        return []
    return item_rows(responses_of([result.pk for result in results]))


SUPPRESS_BELOW = 5  # the operator sees no number of fewer pupils than this: "<5" (docs/design.md §3)
SUPPRESSED = "<5"
HIDDEN_BESIDES = "*"  # hidden because a single "<5" in its row could otherwise be subtracted out


@dataclass(frozen=True)
class SchoolGroup:
    name: str
    count: int | None  # None: hidden with nothing else, `shown` says how (as ChoiceCount.shown)
    mean_percent: float | None
    pass_rate: float | None
    shown: str = ""


@dataclass(frozen=True)
class ExamAnalysis:
    """The operator's item analysis of one exam over every school (docs/design.md §3)."""

    count: int
    items: list[ItemRow]  # empty when count < SUPPRESS_BELOW: the count alone is shown
    schools: list[SchoolGroup]


def _mark(index: int, small: set[int], besides: set[int]) -> str:
    return SUPPRESSED if index in small else HIDDEN_BESIDES if index in besides else ""


def _suppressed(row: ItemRow) -> ItemRow:
    """The row with every count of 1–4 pupils hidden, and one more when the hidden one could be subtracted out."""
    small, besides = cells_to_hide([choice.count for choice in row.choices] + [row.unanswered], SUPPRESS_BELOW)
    # A key's count hidden: the number right would tell it (single choice, ordering) or bound it.
    choices = [
        replace(choice, count=None, percent=None, shown=_mark(index, small, besides))
        if index in small | besides
        else choice
        for index, choice in enumerate(row.choices)
    ]
    key_hidden = next((choice.shown for choice in choices if choice.correct and choice.count is None), None)
    return replace(
        row,
        choices=choices,
        correct_shown=key_hidden or (SUPPRESSED if 0 < row.correct < SUPPRESS_BELOW else None),
        unanswered_shown=_mark(len(row.choices), small, besides) or None,
    )


def _school_groups(results: QuerySet[Attempt]) -> list[SchoolGroup]:
    per_school: dict[tuple[str, int], list[tuple[int, int, bool]]] = {}
    for name, organization_id, score, total, passed in results.values_list(
        "session__school_class__organization__name",
        "session__school_class__organization_id",
        "score",
        "total",
        "passed",
    ):
        per_school.setdefault((name, organization_id), []).append((score, total, passed))
    schools = sorted(per_school.items())
    small, besides = cells_to_hide([len(rows) for _school, rows in schools], SUPPRESS_BELOW)
    groups = []
    for index, ((name, _organization_id), rows) in enumerate(schools):
        if index in small | besides:
            shown = _mark(index, small, besides)
            groups.append(SchoolGroup(name=name, count=None, mean_percent=None, pass_rate=None, shown=shown))
            continue
        mean_percent, pass_rate = _rates(rows)
        groups.append(SchoolGroup(name=name, count=len(rows), mean_percent=mean_percent, pass_rate=pass_rate))
    return groups


def versions_with_results(results: QuerySet[Attempt]) -> list[int]:
    """The version numbers these results were sat in, newest first."""
    return sorted(set(results.values_list("version__number", flat=True)), reverse=True)


def exam_analysis(exam: Exam, version: ExamVersion | None = None) -> ExamAnalysis:
    """Item analysis of every finished, non-revoked attempt of one version of the exam in every school, for
    the operator (`version` None: every version, each question in its own version's rows).

    Not limited to today's rosters: the question is how the test behaved, not who is in which class.
    Fewer than SUPPRESS_BELOW results in all: the count alone. Otherwise each count of 1–4 pupils, and each
    school with fewer than SUPPRESS_BELOW results, is shown as "<5"; when a row (a question's choices and
    no-answers, or the schools) has a single "<5", its smallest other count is hidden too ("*"), since the
    total minus the rest would give it away. A short answer typed by fewer than SUPPRESS_BELOW pupils is
    never shown by itself: it counts with the other answers.
    """
    results = _results().filter(exam=exam)
    if version is not None:
        results = results.filter(version=version)
    attempt_ids = list(results.values_list("pk", flat=True))
    if len(attempt_ids) < SUPPRESS_BELOW:
        return ExamAnalysis(count=len(attempt_ids), items=[], schools=[])
    rows = item_rows(responses_of(attempt_ids), least_shown=SUPPRESS_BELOW)
    return ExamAnalysis(
        count=len(attempt_ids), items=[_suppressed(row) for row in rows], schools=_school_groups(results)
    )


def operator_versions(exam: Exam) -> list[int]:
    """The exam's version numbers that have a result anywhere, newest first: the console's version selector."""
    return versions_with_results(_results().filter(exam=exam))


@dataclass(frozen=True)
class ClassCount:
    name: str
    school_year: int
    count: int


@dataclass(frozen=True)
class SchoolVersionAnalysis:
    """One version of a test over every class of one school that sat it (docs/design.md §3)."""

    count: int
    mean_percent: float | None
    pass_rate: float | None
    classes: list[ClassCount]
    items: list[ItemRow]


def school_results(organization: Organization) -> QuerySet[Attempt]:
    """Results in the school's classes of examinees on that class's roster today (docs/design.md §7)."""
    day = today()
    members = Membership.objects.active_on(day).filter(organization=organization).values("user_id")
    on_roster = Enrollment.objects.active_on(day).filter(
        school_class_id=OuterRef("session__school_class_id"), examinee_id=OuterRef("examinee_id")
    )
    return _results().filter(
        Exists(on_roster), session__school_class__organization=organization, examinee_id__in=members
    )


def school_versions(organization: Organization, exam: Exam) -> list[int]:
    """The exam's version numbers the school's classes have results of, newest first."""
    return versions_with_results(school_results(organization).filter(exam=exam))


CLASS_FIELDS = ("session__school_class__name", "session__school_class__school_year")


def school_version_analysis(organization: Organization, version: ExamVersion) -> SchoolVersionAnalysis:
    """Item analysis of one version over every class of the school that sat it, with a count per class.

    For the school's teachers and org admins (the view decides whether questions may be read). Five queries.
    """
    results = list(
        school_results(organization)
        .filter(version=version)
        .values_list("pk", "score", "total", "passed", *CLASS_FIELDS)
    )
    if not results:
        return SchoolVersionAnalysis(count=0, mean_percent=None, pass_rate=None, classes=[], items=[])
    per_class: dict[tuple[int, str], int] = {}
    for _pk, _score, _total, _passed, name, year in results:
        per_class[(year, name)] = per_class.get((year, name), 0) + 1
    mean_percent, pass_rate = _rates([(score, total, passed) for _pk, score, total, passed, *_class in results])
    return SchoolVersionAnalysis(
        count=len(results),
        mean_percent=mean_percent,
        pass_rate=pass_rate,
        classes=[ClassCount(name, year, count) for (year, name), count in sorted(per_class.items())],
        items=item_rows(responses_of([row[0] for row in results])),
    )


def absentees(school_class: SchoolClass, session: ProctoredSession) -> QuerySet[Enrollment]:
    """Enrollments of examinees on the class roster today with no attempt in the session: they did not sit it."""
    sat = Attempt.objects.filter(session=session).values("examinee_id")
    return (
        roster_of(school_class)
        .exclude(examinee_id__in=sat)
        .order_by(F("number").asc(nulls_last=True), "examinee__kana", "examinee__name")
    )


def latest_session_with_results(school_class: SchoolClass) -> ProctoredSession | None:
    """The class's newest session that has a result: what the results page shows first."""
    return sessions_of_class(school_class).filter(attempts__in=_results()).distinct().first()
