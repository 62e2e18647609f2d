"""The teacher's roster import page: all-or-nothing CSV import, every error with its line."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pytest_django.asserts import assertTemplateNotUsed, assertTemplateUsed

from classrooms.models import Enrollment, SchoolClass, User
from tests.conftest import enroll, make_class, make_user

pytestmark = pytest.mark.django_db


def import_url(school_class: SchoolClass) -> str:
    return reverse("classrooms:teacher_roster_import", args=[school_class.pk])


def roster_file(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def form_token(client, school_class: SchoolClass) -> str:
    """The one-time token of a freshly opened import form (a form imports at most once); "" for outsiders."""
    response = client.get(import_url(school_class))
    return response.context["import_token"] if response.status_code == 200 else ""


def upload(client, school_class: SchoolClass, data: bytes, filename: str = "roster.csv"):
    # English, so the assertions below hold once the Japanese translations exist.
    return client.post(
        import_url(school_class),
        {
            "file": SimpleUploadedFile(filename, data, content_type="text/csv"),
            "import_token": form_token(client, school_class),
        },
        headers={"accept-language": "en"},
    )


def counts() -> tuple[int, int]:
    return User.objects.count(), Enrollment.objects.count()


def roster_names(school_class: SchoolClass) -> list[str]:
    return sorted(Enrollment.objects.filter(school_class=school_class).values_list("examinee__name", flat=True))


JAPANESE_ROSTER = (
    "番号,氏名,ふりがな,利用者ID",
    "1,山田 太郎,やまだ たろう,yamada-taro",
    "2,髙橋 花子,たかはし はなこ,",
)


# --- The page --------------------------------------------------------------------------------------


def test_it_shows_the_upload_form_and_the_file_format(client_of, teacher, school_class):
    response = client_of(teacher).get(import_url(school_class), headers={"accept-language": "en"})
    assert response.status_code == 200
    assert b'enctype="multipart/form-data"' in response.content
    assert reverse("classrooms:teacher_roster_template").encode() in response.content
    assert "利用者ID" in response.content.decode()
    assert b'role="alert"' not in response.content


# --- Successful imports ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\xef\xbb\xbf" + roster_file(*JAPANESE_ROSTER), id="utf8-bom"),
        pytest.param(roster_file(*JAPANESE_ROSTER), id="utf8"),
        pytest.param(roster_file(*JAPANESE_ROSTER, encoding="cp932"), id="cp932"),
    ],
)
def test_it_issues_and_enrolls_every_examinee_of_the_file(client_of, teacher, school_class, data):
    response = upload(client_of(teacher), school_class, data)

    assert response.status_code == 200
    assertTemplateUsed(response, "classrooms/slips.html")
    assert roster_names(school_class) == ["山田 太郎", "髙橋 花子"]
    taro = User.objects.get(login_id="yamada-taro")
    assert (taro.kana, taro.role, taro.must_change_password) == ("やまだ たろう", User.Role.EXAMINEE, True)
    assert Enrollment.objects.get(examinee=taro).number == 1
    credentials = response.context["credentials"]
    assert [credential.user.name for credential in credentials] == ["山田 太郎", "髙橋 花子"]
    assert all(credential.password in response.content.decode() for credential in credentials)
    assert response.context["back_url"] == reverse("classrooms:teacher_roster", args=[school_class.pk])
    assert response.context["organization"] == school_class.organization


def test_the_accommodation_of_the_file_is_set_on_each_enrollment(client_of, teacher, school_class):
    upload(client_of(teacher), school_class, roster_file("氏名,利用者ID,時間", "山田,yamada-1,1.5", "佐藤,sato-1,"))
    multipliers = dict(
        Enrollment.objects.filter(school_class=school_class).values_list("examinee__login_id", "time_multiplier")
    )
    assert multipliers == {"yamada-1": Decimal("1.50"), "sato-1": Decimal("1.00")}


# --- Refused files: an error for every bad line, nothing imported ----------------------------------


def assert_refused(response, before: tuple[int, int]) -> None:
    assert response.status_code == 200
    assertTemplateUsed(response, "classrooms/teacher/roster_import.html")
    assertTemplateNotUsed(response, "classrooms/slips.html")
    assert b'role="alert"' in response.content
    assert counts() == before


def test_nothing_is_imported_when_a_login_id_is_repeated_in_the_file(client_of, teacher, school_class):
    before = counts()
    data = roster_file("氏名,利用者ID", "山田,yamada", "佐藤,sato", "山田二,yamada")
    response = upload(client_of(teacher), school_class, data)
    assert_refused(response, before)
    assert [line for line, _reason in response.context["line_errors"]] == [2, 4]
    assert "Line 2: The login id yamada is also on line 4." in response.content.decode()


def test_nothing_is_imported_when_a_login_id_is_already_taken(
    client_of, teacher, school_class, examinee_of_other_class
):
    before = counts()
    data = roster_file("氏名,利用者ID", "山田,yamada", f"田中,{examinee_of_other_class.login_id}")
    response = upload(client_of(teacher), school_class, data)
    assert_refused(response, before)
    assert response.context["line_errors"] == [(3, "The login id sakura-pupil2 is already taken.")]


def test_nothing_is_imported_when_the_file_has_more_than_40_examinees(client_of, teacher, school_class):
    before = counts()
    response = upload(client_of(teacher), school_class, roster_file("氏名", *[f"生徒{n}" for n in range(41)]))
    assert_refused(response, before)
    assert "at most 40" in response.context["problem"]


def test_nothing_is_imported_when_the_class_would_hold_more_than_40(client_of, teacher, school_class, organization):
    for n in range(30):
        enroll(school_class, make_user(f"sakura-p{n:02}", User.Role.EXAMINEE, organization), number=n + 1)
    before = counts()
    response = upload(client_of(teacher), school_class, roster_file("氏名", *[f"生徒{n}" for n in range(15)]))
    assert_refused(response, before)
    assert "A class holds at most 40 examinees" in response.context["problem"]
    assert response.context["line_errors"] == []


def test_nothing_is_imported_when_the_teacher_would_proctor_more_than_40(
    client_of, teacher, school_class, organization
):
    second_class = make_class(organization, teacher, "5年3組")
    for n in range(30):
        enroll(second_class, make_user(f"sakura-p{n:02}", User.Role.EXAMINEE, organization))
    before = counts()
    response = upload(client_of(teacher), school_class, roster_file("氏名", *[f"生徒{n}" for n in range(11)]))
    assert_refused(response, before)
    assert "A teacher proctors at most 40 examinees" in response.context["problem"]


@pytest.mark.parametrize(
    ("data", "problem", "line_errors"),  # line_errors: (line, a fragment of its reason)
    [
        pytest.param(b"\xef\xbb\xbf\r\n\r\n", "The file is empty", [], id="empty"),
        pytest.param(roster_file("番号,氏名,ふりがな,利用者ID"), "no examinees", [], id="header-only"),
        pytest.param(
            roster_file("番号,名簿,ふりがな", "1,山田,やまだ"),
            "The header (the first line) is not right",
            [(1, "Unknown column “名簿”."), (1, "There is no name column (氏名 or name).")],
            id="wrong-header",
        ),
        pytest.param(
            roster_file("番号,氏名,ふりがな", "1,山田,やまだ", "2," + "長" * 101 + ",ながい"),
            "Nothing was imported",
            [(3, "The name has 101 characters; at most 100 are allowed.")],
            id="long-name",
        ),
        pytest.param(
            roster_file("番号,氏名", "1,山田", "x" * 150_000 + ",佐藤"),
            "could not be read as CSV",
            [(3, "This line is not valid CSV")],
            id="absurdly-long-field",
        ),
        pytest.param(
            roster_file("番号,氏名", "1,山田", "一,佐藤", "1000,鈴木"),
            "Nothing was imported",
            [
                (3, "The number “一” is not a whole number from 1 to 999."),
                (4, "The number “1000” is not a whole number from 1 to 999."),
            ],
            id="bad-number",
        ),
        pytest.param(b"name\r\n\x81 \r\n", "neither UTF-8 nor Shift_JIS", [], id="not-text"),
    ],
)
def test_nothing_is_imported_when_the_file_is_wrong(client_of, teacher, school_class, data, problem, line_errors):
    before = counts()
    response = upload(client_of(teacher), school_class, data)
    assert_refused(response, before)
    assert problem in response.context["problem"]
    shown = response.context["line_errors"]
    assert [line for line, _reason in shown] == [line for line, _fragment in line_errors]
    for (line, reason), (_line, fragment) in zip(shown, line_errors, strict=True):
        assert fragment in reason
        assert f"Line {line}: {reason}" in response.content.decode()


def test_nothing_is_imported_when_the_upload_has_zero_bytes(client_of, teacher, school_class):
    before = counts()
    response = upload(client_of(teacher), school_class, b"")
    assert_refused(response, before)
    assert "The submitted file is empty." in response.content.decode()


def test_nothing_is_imported_when_the_upload_is_larger_than_1_mb(client_of, teacher, school_class):
    before = counts()
    response = upload(client_of(teacher), school_class, roster_file("氏名", "山田") + b" " * (1024 * 1024))
    assert_refused(response, before)
    assert "larger than 1 MB" in response.content.decode()


def test_error_when_no_file_is_chosen(client_of, teacher, school_class):
    before = counts()
    client = client_of(teacher)
    token = form_token(client, school_class)
    response = client.post(import_url(school_class), {"import_token": token}, headers={"accept-language": "en"})
    assert_refused(response, before)
    assert response.context["form"].errors["file"]


# --- Who may import ------------------------------------------------------------------------------------


@pytest.mark.parametrize("outsider", ["other_teacher", "foreign_teacher", "org_admin", "examinee"])
def test_not_found_when_not_the_teacher_of_the_class(client_of, request, school_class, outsider):
    client = client_of(request.getfixturevalue(outsider))
    before = counts()
    assert client.get(import_url(school_class)).status_code == 404
    assert upload(client, school_class, roster_file("氏名", "侵入者")).status_code == 404
    assert counts() == before


def test_not_found_when_a_teacher_names_their_class_in_another_organization(client_of, teacher, foreign_class):
    assert client_of(teacher).get(import_url(foreign_class)).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, school_class):
    before = counts()
    response = upload(client, school_class, roster_file("氏名", "侵入者"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("classrooms:login"))
    assert counts() == before


def test_it_refuses_other_methods(client_of, teacher, school_class):
    assert client_of(teacher).put(import_url(school_class)).status_code == 405
