"""The teacher's roster CSV download and the empty template file."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from classrooms import services
from classrooms.models import User
from tests.conftest import enroll, make_user

pytestmark = pytest.mark.django_db

BOM = "\ufeff"


def export_url(school_class) -> str:
    return reverse("classrooms:teacher_roster_export", args=[school_class.pk])


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8").removeprefix(BOM), newline="")))


def test_it_downloads_utf8_with_bom_and_the_japanese_header(client_of, teacher, school_class, examinee):
    response = client_of(teacher).get(export_url(school_class))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert rows_of(response)[0] == ["番号", "氏名", "ふりがな", "利用者ID", "時間"]


def test_it_lists_the_enrolled_examinee_and_nobody_else(
    client_of, teacher, school_class, examinee, examinee_of_other_class, foreign_examinee
):
    rows = rows_of(client_of(teacher).get(export_url(school_class)))
    assert rows[1:] == [["1", "鈴木 一郎", "すずき いちろう", "sakura-pupil", "1"]]
    text = "\n".join(",".join(row) for row in rows)
    assert examinee_of_other_class.login_id not in text
    assert foreign_examinee.login_id not in text


def test_it_leaves_out_an_examinee_no_longer_in_the_class(client_of, teacher, school_class, enrollment):
    services.enrollment_end(enrollment=enrollment, by=teacher)
    assert rows_of(client_of(teacher).get(export_url(school_class))) == [
        ["番号", "氏名", "ふりがな", "利用者ID", "時間"]
    ]


def test_it_orders_examinees_by_number(client_of, teacher, school_class, organization, examinee):
    enroll(school_class, make_user("sakura-third", User.Role.EXAMINEE, organization, name="三番"), number=3)
    enroll(school_class, make_user("sakura-second", User.Role.EXAMINEE, organization, name="二番"), number=2)
    rows = rows_of(client_of(teacher).get(export_url(school_class)))
    assert [row[0] for row in rows[1:]] == ["1", "2", "3"]


def test_it_neutralises_spreadsheet_formulas(client_of, teacher, school_class, organization):
    enroll(
        school_class,
        make_user(
            "sakura-formula",
            User.Role.EXAMINEE,
            organization,
            name='=HYPERLINK("http://evil.example","click")',
            kana="+1-2",
        ),
    )
    enroll(school_class, make_user("sakura-at", User.Role.EXAMINEE, organization, name="@SUM(A1)", kana="-3"))
    rows = rows_of(client_of(teacher).get(export_url(school_class)))
    cells = {cell for row in rows[1:] for cell in row[1:3]}
    assert cells == {'\'=HYPERLINK("http://evil.example","click")', "'+1-2", "'@SUM(A1)", "'-3"}


def test_it_names_the_file_after_the_class_and_year(client_of, teacher, school_class):
    disposition = client_of(teacher).get(export_url(school_class))["Content-Disposition"]
    year = school_class.school_year
    assert disposition.startswith("attachment; ")
    assert f'filename="roster-{year}-5_1_.csv"' in disposition
    assert f"filename*=UTF-8''roster-{year}-5%E5%B9%B41%E7%B5%84.csv" in disposition


def test_it_keeps_unsafe_characters_out_of_the_file_name(client_of, teacher, school_class):
    school_class.name = 'A/B "x";y'
    school_class.save()
    disposition = client_of(teacher).get(export_url(school_class))["Content-Disposition"]
    assert f'filename="roster-{school_class.school_year}-A_B _x__y.csv"' in disposition
    assert "/" not in disposition.split("filename*=")[1]


@pytest.mark.parametrize("outsider", ["other_teacher", "foreign_teacher", "org_admin", "examinee"])
def test_not_found_when_not_the_teacher_of_the_class(client_of, request, school_class, examinee, outsider):
    response = client_of(request.getfixturevalue(outsider)).get(export_url(school_class))
    assert response.status_code == 404
    assert examinee.name not in response.content.decode()


def test_anonymous_is_sent_to_sign_in(client, school_class, examinee):
    response = client.get(export_url(school_class))
    assert response.status_code == 302
    assert response.url.startswith(reverse("classrooms:login"))


def test_it_refuses_post(client_of, teacher, school_class):
    assert client_of(teacher).post(export_url(school_class)).status_code == 405


# --- The empty template ------------------------------------------------------------------------------


def test_template_is_the_header_alone_with_a_bom(client_of, teacher):
    response = client_of(teacher).get(reverse("classrooms:teacher_roster_template"))
    assert response.status_code == 200
    assert response.content == "\ufeff番号,氏名,ふりがな,利用者ID,時間\r\n".encode()
    assert 'filename="roster-template.csv"' in response["Content-Disposition"]


@pytest.mark.parametrize("outsider", ["org_admin", "examinee"])
def test_template_is_not_found_for_anyone_but_teachers(client_of, request, outsider):
    assert (
        client_of(request.getfixturevalue(outsider)).get(reverse("classrooms:teacher_roster_template")).status_code
        == 404
    )


def test_template_sends_anonymous_to_sign_in(client):
    response = client.get(reverse("classrooms:teacher_roster_template"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("classrooms:login"))
