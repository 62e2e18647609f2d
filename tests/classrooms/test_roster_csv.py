"""Reading and writing roster CSV files (classrooms.roster_csv), without the views."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from classrooms.models import Enrollment, User
from classrooms.roster_csv import EXPORT_HEADER, RosterFileError, parse_roster, roster_rows
from classrooms.services import RosterRow
from classrooms.spreadsheet import csv_download

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    # Assertions read the English source messages; keep them true once Japanese translations exist.
    with translation.override("en"):
        yield


def roster_file(*lines: str, encoding: str = "utf-8", newline: str = "\r\n") -> bytes:
    return (newline.join(lines) + newline).encode(encoding)


def refusal(data: bytes) -> RosterFileError:
    with pytest.raises(RosterFileError) as caught:
        parse_roster(data)
    return caught.value


def lines_of(error: RosterFileError) -> list[int]:
    return [line for line, _reason in error.errors]


def reasons_on(error: RosterFileError, line: int) -> str:
    return " | ".join(reason for number, reason in error.errors if number == line)


JAPANESE_ROSTER = (
    "番号,氏名,ふりがな,利用者ID",
    "1,山田 太郎,やまだ たろう,yamada-taro",
    "2,髙橋 花子,たかはし はなこ,",
)
EXPECTED_ROWS = [
    RosterRow(number=1, name="山田 太郎", kana="やまだ たろう", login_id="yamada-taro"),
    RosterRow(number=2, name="髙橋 花子", kana="たかはし はなこ", login_id=""),
]


# --- Encodings and line endings ---------------------------------------------------------------


def test_it_reads_utf8_with_bom():
    assert parse_roster(b"\xef\xbb\xbf" + roster_file(*JAPANESE_ROSTER)) == EXPECTED_ROWS


def test_it_reads_utf8_without_bom():
    assert parse_roster(roster_file(*JAPANESE_ROSTER)) == EXPECTED_ROWS


def test_it_reads_cp932_as_written_by_japanese_excel():
    # 髙 exists in cp932 (Excel's Shift_JIS) but not in plain Shift_JIS.
    assert parse_roster(roster_file(*JAPANESE_ROSTER, encoding="cp932")) == EXPECTED_ROWS


def test_it_reads_lf_and_cr_line_endings():
    assert parse_roster(roster_file(*JAPANESE_ROSTER, newline="\n")) == EXPECTED_ROWS
    assert parse_roster(roster_file(*JAPANESE_ROSTER, newline="\r")) == EXPECTED_ROWS


def test_error_when_file_is_neither_utf8_nor_shift_jis():
    error = refusal(b"name\r\n\x81 \r\n")
    assert "neither UTF-8 nor Shift_JIS" in error.message


def test_error_when_file_is_utf16():
    error = refusal("氏名\r\n山田\r\n".encode("utf-16"))
    assert "UTF-16" in error.message


def test_error_when_file_is_an_excel_workbook():
    error = refusal(b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 20)
    assert "Excel workbook" in error.message


def test_error_when_file_is_larger_than_1_mb():
    error = refusal(roster_file("氏名", "山田") + b" " * (1024 * 1024))
    assert "1 MB" in error.message


# --- Header ---------------------------------------------------------------------------------------


def test_it_accepts_english_headings_in_any_order():
    rows = parse_roster(roster_file("Login_ID,kana,Name,number", "Sato-Hanako,さとう,佐藤 花子,7"))
    assert rows == [RosterRow(number=7, name="佐藤 花子", kana="さとう", login_id="sato-hanako")]


@pytest.mark.parametrize("heading", ["出席番号", "番号", "ｎｕｍｂｅｒ"])
def test_it_accepts_each_name_of_the_number_column(heading):
    assert parse_roster(roster_file(f"{heading},氏名", "3,山田"))[0].number == 3


@pytest.mark.parametrize("heading", ["ふりがな", "よみがな", "かな", "kana"])
def test_it_accepts_each_name_of_the_kana_column(heading):
    assert parse_roster(roster_file(f"氏名,{heading}", "山田,やまだ"))[0].kana == "やまだ"


def test_it_accepts_only_a_name_column():
    assert parse_roster(roster_file("氏名", "山田 太郎")) == [RosterRow(name="山田 太郎")]


def test_it_ignores_trailing_empty_columns_left_by_excel():
    assert parse_roster(roster_file("番号,氏名,,", "1,山田,,")) == [RosterRow(number=1, name="山田")]


def test_error_names_an_unknown_heading():
    error = refusal(roster_file("番号,氏名,学年", "1,山田,5"))
    assert error.errors == [(1, "Unknown column “学年”.")]


def test_error_when_a_column_appears_twice():
    error = refusal(roster_file("氏名,name", "山田,山田"))
    assert lines_of(error) == [1]
    assert "“氏名” and “name”" in reasons_on(error, 1)


def test_error_when_name_column_is_missing():
    error = refusal(roster_file("番号,ふりがな", "1,やまだ"))
    assert "no name column" in reasons_on(error, 1)


def test_error_when_header_is_missing_and_the_first_line_is_data():
    error = refusal(roster_file("1,山田 太郎,やまだ", "2,佐藤 花子,さとう"))
    assert "Unknown column “山田 太郎”" in reasons_on(error, 1)


# --- Empty and oversized files ----------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\r\n  \r\n,,\r\n"])
def test_error_when_file_is_empty(data):
    assert "empty" in refusal(data).message


def test_error_when_file_has_only_a_header():
    error = refusal(roster_file("番号,氏名,ふりがな,利用者ID", "", ""))
    assert "no examinees" in error.message


def test_it_accepts_40_rows():
    assert len(parse_roster(roster_file("氏名", *[f"生徒{n}" for n in range(40)]))) == 40


def test_error_when_file_has_more_than_40_rows():
    error = refusal(roster_file("氏名", *[f"生徒{n}" for n in range(41)]))
    assert "41 examinees" in error.message
    assert "at most 40" in error.message


# --- Rows ------------------------------------------------------------------------------------------


def test_it_trims_whitespace_including_full_width_spaces():
    rows = parse_roster(roster_file("  番号 , 氏名 ", " 1 ,\u3000山田 太郎\u3000"))
    assert rows == [RosterRow(number=1, name="山田 太郎")]


def test_it_reads_full_width_numbers_and_login_ids():
    rows = parse_roster(roster_file("番号,氏名,利用者ＩＤ", "１２,山田,ＹＡＭＡＤＡ"))
    assert rows == [RosterRow(number=12, name="山田", login_id="yamada")]


def test_it_reports_physical_line_numbers_across_blank_lines():
    error = refusal(roster_file("氏名,番号", "", "山田,1", "", "", ",2"))
    assert lines_of(error) == [6]


def test_error_when_name_is_empty():
    error = refusal(roster_file("番号,氏名,ふりがな", "1,山田,やまだ", "2,,さとう"))
    assert error.errors == [(3, "The name is empty.")]


def test_it_accepts_a_name_of_100_characters():
    assert parse_roster(roster_file("氏名", "山" * 100))[0].name == "山" * 100


@pytest.mark.parametrize(("heading", "field"), [("氏名,ふりがな", "name"), ("ふりがな,氏名", "kana")])
def test_error_when_name_or_kana_is_longer_than_100_characters(heading, field):
    error = refusal(roster_file(heading, "あ" * 101 + ",やまだ"))
    assert reasons_on(error, 2) == f"The {field} has 101 characters; at most 100 are allowed."


def test_error_when_a_field_is_absurdly_long():
    # Longer than the csv module's field limit: refused with the line, not a crash.
    error = refusal(roster_file("氏名", "山田", "x" * 200_000))
    assert lines_of(error) == [3]


def test_error_does_not_echo_a_long_bad_value_in_full():
    error = refusal(roster_file("番号,氏名", "9" * 5000 + ",山田"))
    assert len(reasons_on(error, 2)) < 200


@pytest.mark.parametrize("number", ["0", "1000", "-1", "1.5", "abc", "十二", "1e3"])
def test_error_when_number_is_not_a_whole_number_from_1_to_999(number):
    error = refusal(roster_file("番号,氏名", f"{number},山田"))
    assert reasons_on(error, 2) == f"The number “{number}” is not a whole number from 1 to 999."


@pytest.mark.parametrize("login_id", ["ab", "x" * 31, "-abc", "yamada taro", "やまだ"])
def test_error_when_login_id_is_not_valid(login_id):
    error = refusal(roster_file("氏名,利用者ID", f"山田,{login_id}"))
    assert "is not valid" in reasons_on(error, 2)


def test_error_on_both_lines_when_a_login_id_is_repeated_in_the_file():
    error = refusal(roster_file("氏名,利用者ID", "山田,yamada", "佐藤,sato", "山田二,YAMADA"))
    assert error.errors == [
        (2, "The login id yamada is also on line 4."),
        (4, "The login id yamada is also on line 2."),
    ]


def test_error_when_login_id_is_already_taken(examinee):
    error = refusal(roster_file("氏名,利用者ID", "山田,yamada", f"佐藤,{examinee.login_id.upper()}"))
    assert error.errors == [(3, f"The login id {examinee.login_id} is already taken.")]


def test_error_on_both_lines_when_a_number_is_repeated_in_the_file():
    error = refusal(roster_file("番号,氏名", "1,山田", "2,佐藤", "１,鈴木"))
    assert error.errors == [(2, "The number 1 is also on line 4."), (4, "The number 1 is also on line 2.")]


def test_error_when_a_line_has_more_values_than_the_header():
    error = refusal(roster_file("番号,氏名", "1,山田,やまだ"))
    assert error.errors == [(2, "This line has more values than the header has columns (2).")]


def test_error_when_a_quote_is_not_closed():
    error = refusal(roster_file("番号,氏名", '1,"山田', "2,佐藤"))
    assert "closing quote" in reasons_on(error, 2)


def test_it_reports_every_bad_line_at_once():
    error = refusal(roster_file("番号,氏名,利用者ID", "0,山田,", "2,,", "3,佐藤,!!", "4,鈴木,ok-id"))
    assert lines_of(error) == [2, 3, 4]
    assert "Nothing was imported" in error.message


# --- Writing ----------------------------------------------------------------------------------------


def enrollment_of(name: str, kana: str = "", login_id: str = "pupil", number: int | None = None) -> Enrollment:
    return Enrollment(examinee=User(name=name, kana=kana, login_id=login_id), number=number)


def exported(enrollments) -> str:
    response = csv_download("roster.csv", EXPORT_HEADER, roster_rows(enrollments))
    assert response.content.startswith("\ufeff".encode())
    return response.content.decode("utf-8-sig")


def test_it_writes_the_japanese_header_and_one_line_per_examinee():
    assert (
        exported([enrollment_of("山田 太郎", "やまだ", "yamada", 1), enrollment_of("佐藤", login_id="sato")])
        == "番号,氏名,ふりがな,利用者ID,時間\r\n1,山田 太郎,やまだ,yamada,1\r\n,佐藤,,sato,1\r\n"
    )


def test_it_writes_the_accommodation_as_a_person_writes_it():
    enrollment = enrollment_of("山田", login_id="yamada")
    enrollment.time_multiplier = Decimal("1.50")
    assert exported([enrollment]).splitlines()[1] == ",山田,,yamada,1.5"


# --- The accommodation column -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "multiplier"),
    [
        ("", "1.00"),
        ("1", "1.00"),
        ("1.25", "1.25"),
        ("1.5", "1.50"),
        ("１．５", "1.50"),
        ("1.5倍", "1.50"),
        ("2", "2.00"),
    ],
)
def test_it_reads_the_time_column(cell, multiplier):
    (row,) = parse_roster(roster_file("氏名,時間", f"山田,{cell}"))
    assert row.time_multiplier == Decimal(multiplier)


@pytest.mark.parametrize("cell", ["3", "0.5", "1.1", "abc", "NaN", "-1"])
def test_it_names_a_time_it_cannot_use(cell):
    error = refusal(roster_file("氏名,time", "山田,1.5", f"佐藤,{cell}"))
    assert lines_of(error) == [3]
    assert "is not one of 1, 1.25, 1.5, 2" in reasons_on(error, 3)


def test_an_exported_roster_imports_back_with_its_accommodations():
    enrollment = enrollment_of("山田", login_id="yamada-x", number=3)
    enrollment.time_multiplier = Decimal("2.00")
    (row,) = parse_roster(exported([enrollment]).encode())
    assert (row.number, row.name, row.login_id, row.time_multiplier) == (3, "山田", "yamada-x", Decimal("2.00"))


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "＝"])
def test_it_neutralises_cells_a_spreadsheet_would_run_as_formulas(start):
    written = exported([enrollment_of(f"{start}1+1", kana=f"{start}cmd")])
    assert f"'{start}1+1" in written
    assert f"'{start}cmd" in written


def test_it_reads_back_what_it_writes():
    enrollments = [
        enrollment_of('=HYPERLINK("http://x")', "-ふりがな", "pupil-one", 1),
        enrollment_of("山田, 太郎", '"やまだ"', "pupil-two", 2),
    ]
    rows = parse_roster(exported(enrollments).encode("utf-8"))
    assert rows == [
        RosterRow(number=1, name='=HYPERLINK("http://x")', kana="-ふりがな", login_id="pupil-one"),
        RosterRow(number=2, name="山田, 太郎", kana='"やまだ"', login_id="pupil-two"),
    ]
