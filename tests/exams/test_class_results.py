"""A class's results: the teacher's and org admin's page with its chart, the CSV, and the summary math."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from classrooms import services as classroom_services
from classrooms.models import Membership, User
from classrooms.schoolyear import today
from exams import services
from exams.results import bucket_of, class_summary, results_for_class
from proctoring.models import ProctoredSession
from tests.conftest import enroll, make_exam, make_user
from tests.exams.test_results import another_session, finished_attempt

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    """These tests read the page's words; the English source strings are the stable ones."""
    settings.LANGUAGE_CODE = "en"


BOM = "\ufeff"
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
    "採点の修正",
    "修正の理由",
]


def page_url(school_class, **query) -> str:
    url = reverse("exams:class_results", args=[school_class.pk])
    return url + "".join(f"?{key}={value}" for key, value in query.items())


def org_page_url(school_class) -> str:
    return reverse("exams:org_class_results", args=[school_class.pk])


def export_url(school_class, **query) -> str:
    url = reverse("exams:class_results_export", args=[school_class.pk])
    return url + "".join(f"?{key}={value}" for key, value in query.items())


def pupil(organization, school_class, login_id: str, name: str, number: int | None = None) -> User:
    user = make_user(login_id, User.Role.EXAMINEE, organization, name=name)
    enroll(school_class, user, number=number)
    return user


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8").removeprefix(BOM), newline="")))


def names_on(response) -> list[str]:
    return [result.examinee.name for result in response.context["results"]]


# --- Summary math ------------------------------------------------------------------------------------


def test_it_averages_exact_percentages_and_counts_passes(organization, school_class, examinee, proctored_session):
    second = pupil(organization, school_class, "sakura-p2", "二番", 2)
    third = pupil(organization, school_class, "sakura-p3", "三番", 3)
    finished_attempt(proctored_session, examinee, score=1, total=3)  # 33.3 %
    finished_attempt(proctored_session, second, score=2, total=3)  # 66.7 %, passes at 60 %
    finished_attempt(proctored_session, third, score=3, total=3)  # 100 %
    summary = class_summary(results_for_class(school_class))
    assert summary.count == 3
    assert summary.mean_percent == 66.7  # the mean of the rounded-down 33, 66, 100 would be 66.3
    assert summary.passed == 2
    assert summary.pass_rate == 66.7


def test_it_puts_each_result_in_its_ten_point_bucket_and_100_percent_in_the_top_one(
    organization, school_class, proctored_session
):
    scores = [0, 9, 10, 89, 90, 99, 100, 100]
    for index, score in enumerate(scores):
        finished_attempt(
            proctored_session,
            pupil(organization, school_class, f"sakura-b{index}", f"b{index}"),
            score=score,
            total=100,
        )
    summary = class_summary(results_for_class(school_class))
    assert [(bucket.low, bucket.high) for bucket in summary.buckets] == [
        (0, 9),
        (10, 19),
        (20, 29),
        (30, 39),
        (40, 49),
        (50, 59),
        (60, 69),
        (70, 79),
        (80, 89),
        (90, 100),
    ]
    assert [bucket.count for bucket in summary.buckets] == [2, 1, 0, 0, 0, 0, 0, 0, 1, 4]
    assert summary.largest_bucket == 4


@pytest.mark.parametrize(("percent", "bucket"), [(0, 0), (9, 0), (10, 1), (59, 5), (60, 6), (99, 9), (100, 9)])
def test_bucket_of_each_edge(percent, bucket):
    assert bucket_of(percent) == bucket


def test_it_summarises_an_empty_class_as_nothing(school_class):
    summary = class_summary(results_for_class(school_class))
    assert summary.count == 0
    assert summary.passed == 0
    assert summary.mean_percent is None
    assert summary.pass_rate is None
    assert [bucket.count for bucket in summary.buckets] == [0] * 10


def test_it_does_not_count_an_open_attempt(organization, school_class, examinee, proctored_session):
    second = pupil(organization, school_class, "sakura-p2", "二番", 2)
    services.attempt_start(session=proctored_session, examinee=examinee)
    finished_attempt(proctored_session, second, score=7)
    summary = class_summary(results_for_class(school_class))
    assert summary.count == 1
    assert [result.examinee for result in results_for_class(school_class)] == [second]


# --- The page ----------------------------------------------------------------------------------------


def test_it_shows_each_result_with_number_name_exam_score_percent_and_verdict(
    client_of, teacher, school_class, examinee, proctored_session
):
    finished_attempt(proctored_session, examinee, score=8)
    response = client_of(teacher).get(page_url(school_class))
    assert response.status_code == 200
    page = response.content.decode()
    row = page.split("<tbody>")[-1]
    for text in ("<td>1</td>", "鈴木 一郎", "読解テスト", "8 / 10", "80%", "Passed"):
        assert text in row


def test_it_draws_an_accessible_chart_with_a_table_of_the_same_numbers(
    client_of, teacher, organization, school_class, examinee, proctored_session
):
    finished_attempt(proctored_session, examinee, score=8)
    finished_attempt(proctored_session, pupil(organization, school_class, "sakura-p2", "二番", 2), score=3)
    page = client_of(teacher).get(page_url(school_class)).content.decode()
    assert (
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="score-chart-title score-chart-desc"'
        in page
    )
    assert '<title id="score-chart-title">' in page
    assert '<desc id="score-chart-desc">' in page
    assert page.count("<rect ") == 10
    assert '<tr><th scope="row">80–89</th><td>1</td></tr>' in page
    assert '<tr><th scope="row">30–39</th><td>1</td></tr>' in page
    assert "Pass rate 50.0%: 1 of 2 passed." in page


def test_it_scales_the_tallest_bar_to_the_full_chart_height(
    client_of, teacher, organization, school_class, examinee, proctored_session
):
    finished_attempt(proctored_session, examinee, score=8)
    finished_attempt(proctored_session, pupil(organization, school_class, "sakura-p2", "二番", 2), score=8)
    finished_attempt(proctored_session, pupil(organization, school_class, "sakura-p3", "三番", 3), score=3)
    chart = client_of(teacher).get(page_url(school_class)).context["chart"]
    heights = {bar.label: bar.height for bar in chart.bars}
    assert heights["80–89"] == chart.PLOT_HEIGHT
    assert heights["30–39"] == chart.PLOT_HEIGHT // 2
    assert heights["0–9"] == 0
    assert all(bar.y + bar.height == chart.baseline for bar in chart.bars)


def test_it_says_so_when_the_class_has_no_results(client_of, teacher, school_class, examinee):
    response = client_of(teacher).get(page_url(school_class))
    assert response.status_code == 200
    assert "No results yet." in response.content.decode()
    assert response.context["summary"].count == 0


def test_it_leaves_out_an_examinee_whose_membership_ended(
    client_of, teacher, organization, school_class, examinee, proctored_session
):
    stays = pupil(organization, school_class, "sakura-p2", "残る 子", 2)
    finished_attempt(proctored_session, examinee, score=9)
    finished_attempt(proctored_session, stays, score=4)
    Membership.objects.filter(user=examinee, organization=organization).update(ends_on=today())
    response = client_of(teacher).get(page_url(school_class))
    assert names_on(response) == ["残る 子"]
    assert examinee.name not in response.content.decode()
    assert response.context["summary"].count == 1
    assert [row[1] for row in rows_of(client_of(teacher).get(export_url(school_class)))[1:]] == ["残る 子"]


def test_it_leaves_out_an_examinee_who_left_the_class(client_of, teacher, school_class, enrollment, proctored_session):
    finished_attempt(proctored_session, enrollment.examinee, score=9)
    classroom_services.enrollment_end(enrollment=enrollment, by=teacher)
    response = client_of(teacher).get(page_url(school_class))
    assert names_on(response) == []
    assert enrollment.examinee.name not in response.content.decode()


def test_it_leaves_out_results_from_another_class(
    client_of, teacher, other_teacher, school_class, other_class, examinee, examinee_of_other_class, exam
):
    enroll(other_class, examinee, number=5)  # in both classes: only this class's sessions count
    theirs = ProctoredSession.objects.create(school_class=other_class, exam=exam, teacher=other_teacher)
    finished_attempt(theirs, examinee, score=10)
    finished_attempt(theirs, examinee_of_other_class, score=10)
    response = client_of(teacher).get(page_url(school_class))
    assert names_on(response) == []


def test_it_narrows_to_one_session_of_the_class(
    client_of, teacher, organization, school_class, examinee, proctored_session
):
    later = another_session(proctored_session)
    finished_attempt(proctored_session, examinee, score=2)
    finished_attempt(later, examinee, score=9)
    first = client_of(teacher).get(page_url(school_class))
    assert [result.score for result in first.context["results"]] == [9]  # the newest test, not all mixed
    assert first.context["session"] == later
    everything = client_of(teacher).get(page_url(school_class, session=""))
    assert [result.score for result in everything.context["results"]] == [9, 2]  # newest session first
    narrowed = client_of(teacher).get(page_url(school_class, session=proctored_session.pk))
    assert [result.score for result in narrowed.context["results"]] == [2]
    assert narrowed.context["summary"].count == 1
    assert f"?session={proctored_session.pk}" in narrowed.context["export_url"]


def test_it_orders_a_session_by_number_in_class(
    client_of, teacher, organization, school_class, examinee, proctored_session
):
    finished_attempt(proctored_session, pupil(organization, school_class, "sakura-p3", "三番", 3), score=1)
    finished_attempt(proctored_session, examinee, score=1)
    finished_attempt(proctored_session, pupil(organization, school_class, "sakura-p2", "二番", 2), score=1)
    response = client_of(teacher).get(page_url(school_class))
    assert [result.number for result in response.context["results"]] == [1, 2, 3]


def test_not_found_when_the_session_is_another_classes(
    client_of, teacher, other_teacher, school_class, other_class, exam
):
    theirs = ProctoredSession.objects.create(school_class=other_class, exam=exam, teacher=other_teacher)
    assert client_of(teacher).get(page_url(school_class, session=theirs.pk)).status_code == 404
    assert client_of(teacher).get(export_url(school_class, session=theirs.pk)).status_code == 404


def test_not_found_when_the_session_is_not_a_number(client_of, teacher, school_class):
    assert client_of(teacher).get(page_url(school_class, session="x")).status_code == 404


def test_it_needs_the_same_number_of_queries_for_many_results(
    client_of, teacher, organization, school_class, examinee, proctored_session
):
    client = client_of(teacher)
    finished_attempt(proctored_session, examinee, score=5)
    with CaptureQueriesContext(connection) as one:
        client.get(page_url(school_class, session=proctored_session.pk))
    for index in range(5):
        finished_attempt(
            proctored_session,
            pupil(organization, school_class, f"sakura-q{index}", f"q{index}", 10 + index),
            score=index,
        )
    finished_attempt(another_session(proctored_session), examinee, score=7)
    with CaptureQueriesContext(connection) as many:
        client.get(page_url(school_class, session=proctored_session.pk))
    assert len(many) == len(one)


# --- Who may see it ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "outsider", ["other_teacher", "foreign_teacher", "org_admin", "foreign_org_admin", "examinee", "operator"]
)
def test_not_found_when_not_the_teacher_of_the_class(
    client_of, request, school_class, examinee, proctored_session, outsider
):
    finished_attempt(proctored_session, examinee, score=8)
    client = client_of(request.getfixturevalue(outsider))
    for url in (page_url(school_class), export_url(school_class)):
        response = client.get(url)
        assert response.status_code == 404
        assert examinee.name not in response.content.decode()


def test_anonymous_is_sent_to_sign_in_from_the_class_results(client, school_class):
    for url in (page_url(school_class), export_url(school_class), org_page_url(school_class)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("classrooms:login"))


def test_org_admin_sees_the_class_results_without_a_download(
    client_of, org_admin, school_class, examinee, proctored_session
):
    finished_attempt(proctored_session, examinee, score=8)
    response = client_of(org_admin).get(org_page_url(school_class))
    assert response.status_code == 200
    assert names_on(response) == [examinee.name]
    assert response.context["export_url"] is None
    assert reverse("exams:class_results_export", args=[school_class.pk]) not in response.content.decode()


def test_org_admin_sees_a_colleagues_class_too(client_of, org_admin, other_class):
    assert client_of(org_admin).get(org_page_url(other_class)).status_code == 200


@pytest.mark.parametrize("outsider", ["foreign_org_admin", "teacher", "examinee", "foreign_teacher"])
def test_not_found_when_not_an_org_admin_of_the_classes_organization(
    client_of, request, school_class, examinee, proctored_session, outsider
):
    finished_attempt(proctored_session, examinee, score=8)
    response = client_of(request.getfixturevalue(outsider)).get(org_page_url(school_class))
    assert response.status_code == 404
    assert examinee.name not in response.content.decode()


# --- CSV ---------------------------------------------------------------------------------------------


def test_it_downloads_utf8_with_bom_and_the_japanese_header(
    client_of, teacher, school_class, examinee, proctored_session
):
    finished_attempt(proctored_session, examinee, score=8)
    response = client_of(teacher).get(export_url(school_class))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = rows_of(response)
    assert rows[0] == CSV_HEADER
    assert rows[1][:5] == ["1", "鈴木 一郎", "sakura-pupil", "読解テスト", "1"]
    assert rows[1][6:] == ["8", "10", "80", "合格", "", ""]  # not regraded


def test_it_writes_finished_at_in_japan_time(client_of, teacher, school_class, examinee, proctored_session):
    finished_attempt(
        proctored_session, examinee, score=4, finished_at=datetime.datetime(2026, 5, 1, 0, 30, tzinfo=datetime.UTC)
    )
    rows = rows_of(client_of(teacher).get(export_url(school_class)))
    assert rows[1][5] == "2026-05-01 09:30"
    assert rows[1][9] == "不合格"


def test_it_neutralises_spreadsheet_formulas_in_the_csv(client_of, teacher, organization, school_class, exam):
    exam.title = "+SUM(1)"
    exam.save()
    session = ProctoredSession.objects.create(school_class=school_class, exam=exam, teacher=teacher)
    evil = pupil(organization, school_class, "sakura-formula", '=HYPERLINK("http://evil.example","x")', 1)
    finished_attempt(session, evil, score=5)
    rows = rows_of(client_of(teacher).get(export_url(school_class)))
    assert rows[1][1] == '\'=HYPERLINK("http://evil.example","x")'
    assert rows[1][3] == "'+SUM(1)"


def test_it_exports_only_the_chosen_session(client_of, teacher, school_class, examinee, proctored_session):
    other_exam = make_exam(code="other-test")
    later = ProctoredSession.objects.create(school_class=school_class, exam=other_exam, teacher=teacher)
    finished_attempt(proctored_session, examinee, score=2)
    finished_attempt(later, examinee, score=9)
    rows = rows_of(client_of(teacher).get(export_url(school_class, session=later.pk)))
    assert [row[6] for row in rows[1:]] == ["9"]


def test_it_names_the_file_after_the_class_and_year(client_of, teacher, school_class):
    disposition = client_of(teacher).get(export_url(school_class))["Content-Disposition"]
    year = school_class.school_year
    assert f'filename="results-{year}-5_1_.csv"' in disposition
    assert f"filename*=UTF-8''results-{year}-5%E5%B9%B41%E7%B5%84.csv" in disposition
