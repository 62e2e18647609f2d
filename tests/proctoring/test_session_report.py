"""The session report (/proctor/sessions/<id>/report/ and its CSV): every signal, incident and revocation
per examinee, for the session's teacher and the org admins only, naming nobody who left (docs/design.md §5, §7).
"""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from classrooms.models import Enrollment, Membership
from classrooms.schoolyear import today
from proctoring import services
from proctoring.models import Signal
from proctoring.report import session_report
from tests.exams.test_class_results import pupil
from tests.exams.test_results import finished_attempt
from tests.proctoring.test_incidents import signal

pytestmark = pytest.mark.django_db

OUTSIDERS = ["other_teacher", "foreign_teacher", "foreign_org_admin", "examinee", "operator"]
NOTE = "Private: the pupil said their cousin helped"
HEADER = ["番号", "氏名", "利用者ID", "記録", "内容", "日時", "最終日時", "回数", "時間(秒)", "措置・理由"]


@pytest.fixture(autouse=True)
def english(settings):
    """These tests read the page's words; the English source strings are the stable ones."""
    settings.LANGUAGE_CODE = "en"


def report_url(session) -> str:
    return reverse("proctoring:session_report", args=[session.pk])


def export_url(session) -> str:
    return reverse("proctoring:session_report_export", args=[session.pk])


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8").removeprefix("\ufeff"), newline="")))


@pytest.fixture
def eventful(teacher, examinee, proctored_session):
    """A finished attempt, signals with counts and durations, an incident linking one, a revocation."""
    attempt = finished_attempt(proctored_session, examinee, score=7)
    hidden = signal(proctored_session, examinee, Signal.Kind.TAB_HIDDEN, count=4, duration_ms=12_500, seconds_ago=200)
    signal(proctored_session, examinee, Signal.Kind.TAB_HIDDEN, count=1, duration_ms=2_000, seconds_ago=100)
    signal(proctored_session, examinee, Signal.Kind.COPY, count=2, seconds_ago=50)
    incident = services.incident_report(
        session=proctored_session, subject=examinee, by=teacher, category="leaking", note=NOTE, signals=[hidden]
    )
    revocation = services.result_revoke(attempt=attempt, by=teacher, reason="Copied the questions.", incident=incident)
    return {"attempt": attempt, "incident": incident, "revocation": revocation}


# --- Who reads it ----------------------------------------------------------------------------------


@pytest.mark.parametrize("reader", ["teacher", "org_admin"])
def test_the_sessions_teacher_and_the_org_admin_read_it(request, client_of, proctored_session, reader):
    client = client_of(request.getfixturevalue(reader))
    assert client.get(report_url(proctored_session)).status_code == 200
    response = client.get(export_url(proctored_session))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_everyone_else_gets_404(request, client_of, proctored_session, outsider):
    client = client_of(request.getfixturevalue(outsider))
    assert client.get(report_url(proctored_session)).status_code == 404
    assert client.get(export_url(proctored_session)).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, proctored_session):
    for url in (report_url(proctored_session), export_url(proctored_session)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("classrooms:login"))


def test_the_class_tests_list_and_the_org_admins_class_page_link_to_it(
    client_of, teacher, org_admin, school_class, proctored_session
):
    assert (
        report_url(proctored_session)
        in client_of(teacher).get(reverse("proctoring:session_list", args=[school_class.pk])).content.decode()
    )
    assert (
        report_url(proctored_session)
        in client_of(org_admin)
        .get(reverse("classrooms:orgadmin_class_detail", args=[school_class.pk]))
        .content.decode()
    )


# --- What it says -------------------------------------------------------------------------------------


def test_it_shows_each_signal_with_counts_and_durations_the_incident_and_the_revocation(
    client_of, teacher, examinee, proctored_session, eventful
):
    response = client_of(teacher).get(report_url(proctored_session))
    report = response.context["report"]
    [row] = report.examinees
    assert row.named
    assert row.name == examinee.name
    totals = {total.kind: (total.count, total.duration_ms) for total in row.totals}
    assert totals == {"tab_hidden": (5, 14_500), "copy": (2, None)}
    assert row.signal_count == 7
    assert [event.what for event in row.events] == [
        "started",
        "signal",
        "signal",
        "signal",
        "finished",
        "incident",
        "revocation",
    ]
    assert row.revocation == eventful["revocation"]
    assert not row.may_revoke
    page = response.content.decode()
    assert "Tab hidden" in page
    assert "12.5 s" in page
    assert "14.5 s" in page
    assert "Leaking or copying exam questions" in page
    assert "検定問題の漏えい・複製" in page
    assert NOTE in page  # private to the teacher and the org admins, who are reading
    assert "Copied the questions." in page
    assert f"#incident-{eventful['incident'].pk}" in page


def test_the_csv_has_a_line_per_event_and_never_the_note(client_of, teacher, examinee, proctored_session, eventful):
    response = client_of(teacher).get(export_url(proctored_session))
    rows = rows_of(response)
    assert rows[0] == HEADER
    kinds = [row[3] for row in rows[1:]]
    assert kinds == ["開始", "シグナル", "シグナル", "シグナル", "終了", "不正行為", "結果の取消"]
    first_signal = rows[2]
    assert first_signal[:3] == ["1", examinee.name, examinee.login_id]
    assert (first_signal[4], first_signal[7], first_signal[8]) == ("Tab hidden", "4", "12.5")
    incident = rows[6]
    assert incident[4].startswith("Leaking or copying exam questions")
    assert incident[9] == "Result revoked"
    assert rows[7][9] == "Copied the questions."
    assert NOTE not in response.content.decode()
    assert "attachment;" in response["Content-Disposition"]


def test_it_lists_the_whole_roster_even_who_did_not_start(
    client_of, teacher, examinee, school_class, proctored_session
):
    absent = pupil(school_class.organization, school_class, "sakura-absent", "欠席 太郎", number=2)
    report = client_of(teacher).get(report_url(proctored_session)).context["report"]
    assert [row.examinee_id for row in report.examinees] == [examinee.pk, absent.pk]
    assert report.examinees[1].attempt is None
    assert report.examinees[1].events == []


def test_the_org_admin_also_reads_incidents_about_the_proctor(client_of, org_admin, teacher, proctored_session):
    services.incident_report(session=proctored_session, subject=teacher, by=org_admin, category="proctor_neglect")
    page = client_of(org_admin).get(report_url(proctored_session)).content.decode()
    assert "Proctor neglecting supervision" in page
    rows = rows_of(client_of(org_admin).get(export_url(proctored_session)))
    assert any(row[1] == teacher.name and row[4].startswith("Proctor neglecting") for row in rows)
    teacher_rows = rows_of(client_of(teacher).get(export_url(proctored_session)))
    assert not any(row[4].startswith("Proctor neglecting") for row in teacher_rows[1:])


def test_it_takes_the_same_number_of_queries_for_one_or_many_examinees(
    teacher, examinee, school_class, proctored_session
):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            session_report(proctored_session, for_org_admin=True)
        return len(queries)

    signal(proctored_session, examinee)
    services.incident_report(session=proctored_session, subject=examinee, by=teacher, category="talking")
    few = count()
    for number in range(2, 6):
        other = pupil(school_class.organization, school_class, f"sakura-p{number}", f"生徒 {number}", number=number)
        signal(proctored_session, other)
        attempt = finished_attempt(proctored_session, other, score=3)
        incident = services.incident_report(session=proctored_session, subject=other, by=teacher, category="aids")
        services.result_revoke(attempt=attempt, by=teacher, reason="r", incident=incident)
    assert count() == few


# --- Nobody who left is named -------------------------------------------------------------------


@pytest.mark.parametrize("how", ["left the organization", "left the class"])
def test_a_transferred_examinee_is_counted_but_not_named(
    client_of, teacher, org_admin, examinee, organization, proctored_session, eventful, how
):
    if how == "left the organization":
        Membership.objects.filter(user=examinee, organization=organization).update(ends_on=today())
    else:
        Enrollment.objects.filter(examinee=examinee).update(ends_on=today())
    for reader in (teacher, org_admin):
        response = client_of(reader).get(report_url(proctored_session))
        page = response.content.decode()
        assert examinee.name not in page
        assert examinee.login_id not in page
        assert "Transferred examinee" in page
        [row] = response.context["report"].examinees
        assert not row.named
        assert row.signal_count == 7
        assert len(row.incidents) == 1
        assert row.revocation
        assert NOTE not in page
        assert "Copied the questions." not in page
        assert reverse("proctoring:incident_new", args=[proctored_session.pk, examinee.pk]) not in page
        csv_text = client_of(reader).get(export_url(proctored_session)).content.decode("utf-8")
        assert examinee.name not in csv_text
        assert examinee.login_id not in csv_text
        rows = rows_of(client_of(reader).get(export_url(proctored_session)))
        assert {row[1] for row in rows[1:]} == {"Transferred examinee"}
        assert len(rows) == 8
