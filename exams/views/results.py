"""Results screens (docs/design.md §3): the examinee's own result and history, a class's results, chart and CSV.

Which results may be shown is decided in exams/results.py, never here.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from badges import pages as badge_pages
from badges import services as badge_services
from classrooms.access import (
    get_class_for_org_admin,
    get_class_for_teacher,
    get_enrollment_for_teacher,
    organization_of,
    role_required,
)
from classrooms.models import SchoolClass, User
from classrooms.spreadsheet import csv_download
from exams.access import get_attempt_for_examinee, get_version_for_analysis, may_read_questions
from exams.models import Exam
from exams.results import (
    ClassSummary,
    ItemRow,
    VersionItems,
    absentees,
    by_version,
    class_summary,
    item_analysis,
    latest_session_with_results,
    result_of,
    results_for_class,
    results_for_examinee,
    results_seen_by_school,
    revocation_of,
    revocations_for_examinee,
    school_version_analysis,
    school_versions,
    sessions_of_class,
)
from exams.scoring import points_text
from proctoring.models import ProctoredSession

examinee_required = role_required(User.Role.EXAMINEE)

CSV_HEADER = [
    "番号",
    "氏名",
    "利用者ID",
    "テスト",
    "版",
    "受検日時",
    "得点",
    "満点",
    "得点率(%)",
    "合否",
    "採点の修正",  # when a corrected key scored the result again (exams/regrade.py, docs/design.md §3)
    "修正の理由",
]


@examinee_required
@require_GET
@never_cache  # children's scores: not for the back button of a shared school tablet
def attempt_result(request, attempt_id: int):
    attempt = get_attempt_for_examinee(request.user, attempt_id)
    revocation = revocation_of(attempt)
    if attempt.is_open and revocation is None:
        return redirect(reverse("exams:attempt", args=[attempt.pk]))
    badge_card = badge_pages.badge_card(badge_services.award_of(attempt))  # the pupil's badge (docs/design.md §12)
    if revocation is not None:  # no score any more: the notice, with the reason in plain words
        return render(
            request,
            "exams/result_revoked.html",
            {"attempt": attempt, "revocation": revocation, "badge_card": badge_card},
        )
    return render(request, "exams/result.html", {"result": result_of(attempt), "badge_card": badge_card})


@examinee_required
@require_GET
@never_cache
def history(request):
    return render(
        request,
        "exams/history.html",
        {"results": results_for_examinee(request.user), "revocations": revocations_for_examinee(request.user)},
    )


@role_required(User.Role.TEACHER)
@require_GET
@never_cache
def examinee_history(request, class_id: int, enrollment_id: int):
    """One examinee's results as the school sees them: its own, and earlier ones if they agreed on arrival."""
    enrollment = get_enrollment_for_teacher(request.user, class_id, enrollment_id)
    organization = enrollment.school_class.organization
    results = results_seen_by_school(enrollment.examinee, organization)
    return render(
        request,
        "exams/examinee_history.html",
        {"enrollment": enrollment, "results": results, "organization_id": organization.pk},
    )


@role_required(User.Role.TEACHER)
@require_GET
@never_cache
def class_results(request, class_id: int):
    school_class = get_class_for_teacher(request.user, class_id)
    return _class_results_page(
        request,
        school_class,
        back_url=reverse("classrooms:teacher_roster", args=[school_class.pk]),
        export_url=reverse("exams:class_results_export", args=[school_class.pk]),
        revokes_all=False,  # only the results of the tests they proctored (proctoring.access)
    )


@role_required(User.Role.ORG_ADMIN)
@require_GET
@never_cache
def org_class_results(request, class_id: int):
    school_class = get_class_for_org_admin(request.user, class_id)
    return _class_results_page(
        request,
        school_class,
        back_url=reverse("classrooms:orgadmin_class_detail", args=[school_class.pk]),
        export_url=None,
        revokes_all=True,
    )


@role_required(User.Role.TEACHER)
@require_GET
def class_results_export(request, class_id: int):
    school_class = get_class_for_teacher(request.user, class_id)
    session = _chosen_session(request, school_class)[1]
    filename = f"results-{school_class.school_year}-{school_class.name}.csv"
    return csv_download(filename, CSV_HEADER, _result_rows(results_for_class(school_class, session)))


class ResultsFilterForm(forms.Form):
    session = forms.ModelChoiceField(
        label=gettext_lazy("Test"),
        queryset=ProctoredSession.objects.none(),
        required=False,
        empty_label=gettext_lazy("All tests"),
    )

    def __init__(self, *args, school_class: SchoolClass, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["session"]
        field.queryset = sessions_of_class(school_class)
        field.label_from_instance = _session_label


def _session_label(session: ProctoredSession) -> str:
    day = timezone.localtime(session.started_at or session.created_at)
    return f"{formats.date_format(day, 'DATE_FORMAT')} {session.exam.plain_title}"


def _chosen_session(request, school_class: SchoolClass) -> tuple[ResultsFilterForm, ProctoredSession | None]:
    """The `?session=` filter; a session that is not this class's is as unknown as any other id.

    Without the parameter, the newest test with results: one test's histogram and mean, not every
    test mixed together. `?session=` (empty) asks for all tests on purpose.
    """
    data = request.GET.copy()
    if "session" not in data:
        latest = latest_session_with_results(school_class)
        data["session"] = str(latest.pk) if latest else ""
    form = ResultsFilterForm(data, school_class=school_class)
    if not form.is_valid():
        raise Http404
    return form, form.cleaned_data["session"]


def _class_results_page(
    request, school_class: SchoolClass, *, back_url: str, export_url: str | None, revokes_all: bool
):
    form, session = _chosen_session(request, school_class)
    results = list(results_for_class(school_class, session))
    summary = class_summary(results)
    if export_url and session is not None:
        export_url += "?" + urlencode({"session": session.pk})
    items = item_analysis(results)
    context = {
        "school_class": school_class,
        "form": form,
        "session": session,
        "results": results,
        "summary": summary,
        "chart": ScoreChart.of(summary),
        "items": items,
        # Items of different versions are different questions: a table per test and version (docs/design.md §3).
        "item_groups": [ItemGroup.of(request.user, group) for group in by_version(items)],
        "absentees": absentees(school_class, session) if session is not None else [],
        "back_url": back_url,
        "export_url": export_url,
        "revokes_all": revokes_all,
    }
    return render(request, "exams/class_results.html", context)


@dataclass(frozen=True)
class ItemGroup:
    """One version's question table on the class page, with whether its questions may be read and the
    link to the same version over every class of the school.
    """

    exam: Exam
    number: int
    items: list[ItemRow]
    questions_readable: bool
    analysis_url: str

    @property
    def heading_id(self) -> str:
        return f"items-{self.exam.pk}-v{self.number}"

    @classmethod
    def of(cls, user: User, group: VersionItems) -> ItemGroup:
        return cls(
            exam=group.exam,
            number=group.number,
            items=group.items,
            # A test of the operator's catalog: its questions, choices and key stay unknown to schools (§3).
            questions_readable=may_read_questions(user, group.exam),
            analysis_url=reverse("exams:version_analysis", args=[group.exam.pk, group.number]),
        )


@role_required(User.Role.TEACHER, User.Role.ORG_ADMIN)
@require_GET
@never_cache
def version_analysis(request, exam_id: int, number: int):
    """One version of a test over every class of the school that sat it (docs/design.md §3).

    The school's own test: questions, what was given and flags, as on the class page. A test of the
    operator's catalog: the rates only, never a question, a choice or the key.
    """
    version = get_version_for_analysis(request.user, exam_id, number)
    organization = organization_of(request.user)
    analysis = school_version_analysis(organization, version)
    context = {
        "exam": version.exam,
        "version": version,
        "analysis": analysis,
        "items": analysis.items,
        "questions_readable": may_read_questions(request.user, version.exam),
        "versions": [
            (other, reverse("exams:version_analysis", args=[exam_id, other]))
            for other in school_versions(organization, version.exam)
        ],
    }
    return render(request, "exams/version_analysis.html", context)


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    x: int
    y: int
    height: int
    label_x: int


@dataclass(frozen=True)
class ScoreChart:
    """Geometry of the score histogram, drawn as inline SVG by exams/partials/score_chart.html."""

    width: int
    height: int
    left: int
    baseline: int
    top: int
    largest: int
    bars: list[Bar]

    PLOT_HEIGHT = 180
    SLOT = 56
    BAR = 40

    @classmethod
    def of(cls, summary: ClassSummary) -> ScoreChart:
        left, top = 40, 24
        baseline = top + cls.PLOT_HEIGHT
        largest = max(summary.largest_bucket, 1)
        bars = []
        for index, bucket in enumerate(summary.buckets):
            height = round(bucket.count * cls.PLOT_HEIGHT / largest)
            x = left + index * cls.SLOT + (cls.SLOT - cls.BAR) // 2
            bars.append(
                Bar(
                    label=f"{bucket.low}–{bucket.high}",
                    count=bucket.count,
                    x=x,
                    y=baseline - height,
                    height=height,
                    label_x=x + cls.BAR // 2,
                )
            )
        width = left + len(bars) * cls.SLOT + 8
        return cls(width=width, height=baseline + 40, left=left, baseline=baseline, top=top, largest=largest, bars=bars)


def _result_rows(results):
    for result in results:
        yield [
            "" if result.number is None else str(result.number),
            result.examinee.name,
            result.examinee.login_id,
            result.exam.plain_title,
            str(result.version.number),
            _minute(result.finished_at),
            points_text(result.score),
            str(result.total),
            str(result.percent),
            "合格" if result.passed else "不合格",
            _minute(result.regraded_at),
            result.regrade.reason if result.regrade else "",
        ]


def _minute(moment) -> str:
    return "" if moment is None else timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
