"""Roster files: reading the CSV a teacher uploads, writing the CSV they download (docs/design.md §2).

A file is read whole and checked whole: `parse_roster` either returns every
row or raises `RosterFileError` listing every problem with its line number,
so the import is all-or-nothing and the teacher can fix the file in one go.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from classrooms.models import TIME_MULTIPLIERS, Enrollment, SchoolClass, User, login_id_validator
from classrooms.services import RosterRow
from classrooms.spreadsheet import unquote_formula

MAX_BYTES = 1024 * 1024
MAX_NAME_LENGTH = 100  # User.name and User.kana
MAX_NUMBER = 999  # Enrollment.number
STANDARD_TIME = Decimal("1.00")
ALLOWED_MULTIPLIERS = {value: value for value, _label in TIME_MULTIPLIERS}  # Decimal("1.5") finds 1.50

EXPORT_HEADER = ["番号", "氏名", "ふりがな", "利用者ID", "時間"]

# Accepted headings, compared after _heading_key(): NFKC (so full-width "ＩＤ" is "ID"), casefolded.
HEADINGS = {
    "number": "number",
    "no": "number",
    "番号": "number",
    "出席番号": "number",
    "name": "name",
    "氏名": "name",
    "kana": "kana",
    "ふりがな": "kana",
    "フリガナ": "kana",
    "よみがな": "kana",
    "ヨミガナ": "kana",
    "かな": "kana",
    "login_id": "login_id",
    "利用者id": "login_id",
    # The standing accommodation (docs/design.md §4): 1, 1.25, 1.5 or 2 times the test's time.
    "時間": "time",
    "時間倍率": "time",
    "時間の配慮": "time",
    "time": "time",
    "time_multiplier": "time",
}

# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
# The full-width forms are included because Japanese spreadsheets may treat them alike.

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
WORKBOOK_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx (a zip) and the older .xls


class RosterFileError(Exception):
    """The file cannot be imported. `message` says why in general; `errors` lists (line, reason)."""

    def __init__(self, message: str, errors: Iterable[tuple[int, str]] = ()):
        super().__init__(message)
        self.message = message
        self.errors = sorted(errors, key=lambda error: error[0])  # stable: a line's reasons keep their order


def parse_roster(data: bytes, *, max_rows: int = SchoolClass.CAPACITY) -> list[RosterRow]:
    """The rows of a roster file, or RosterFileError with every problem found.

    Line numbers are physical lines of the file, the header being line 1.
    Login ids already taken in the database are reported too (the service
    checks again under its lock).
    """
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, list[str]]] = []
    line = 0
    try:
        for cells in reader:
            first_line, line = line + 1, reader.line_num
            cells = [cell.strip() for cell in cells]
            if any(cells):
                records.append((first_line, cells))
    except csv.Error as error:
        raise RosterFileError(
            _("The file could not be read as CSV."),
            [(line + 1, _("This line is not valid CSV (%(detail)s).") % {"detail": error})],
        ) from None

    if not records:
        raise RosterFileError(
            _("The file is empty. The first line must be the header, for example: %(header)s")
            % {"header": ",".join(EXPORT_HEADER)}
        )
    header_line, header = records[0]
    columns = _columns(header_line, header)
    body = records[1:]
    if not body:
        raise RosterFileError(_("The file has a header but no examinees."))
    if len(body) > max_rows:
        raise RosterFileError(
            _("The file lists %(count)d examinees; a class holds at most %(limit)d. Split it or remove rows.")
            % {"count": len(body), "limit": max_rows}
        )

    errors: list[tuple[int, str]] = []
    rows: list[tuple[int, RosterRow]] = []
    for line_number, cells in body:
        row_problems, row = _row(cells, columns)
        errors.extend((line_number, problem) for problem in row_problems)
        rows.append((line_number, row))
    errors.extend(_duplicates(rows, "login_id", _("The login id %(value)s is also on line %(other)s.")))
    errors.extend(_duplicates(rows, "number", _("The number %(value)s is also on line %(other)s.")))
    errors.extend(_taken_login_ids(rows))
    if errors:
        raise RosterFileError(_("Nothing was imported. Correct these lines and upload the file again."), errors)
    return [row for _line, row in rows]


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise RosterFileError(_("The file is larger than 1 MB."))
    if data.startswith(UTF16_BOMS):
        raise RosterFileError(_("The file is saved as UTF-16 (Unicode text). Save it as “CSV UTF-8” or “CSV” instead."))
    if data.startswith(WORKBOOK_SIGNATURES):
        raise RosterFileError(
            _("This is an Excel workbook, not a CSV file. In Excel, choose “Save As” and the type “CSV UTF-8”.")
        )
    if b"\x00" in data:
        raise RosterFileError(_("This is not a CSV text file. Save the roster as “CSV UTF-8” or “CSV” and try again."))
    if data.startswith(UTF8_BOM):
        try:
            return data[len(UTF8_BOM) :].decode("utf-8")
        except UnicodeDecodeError:
            raise RosterFileError(_("The file starts like UTF-8 but contains bytes that are not UTF-8.")) from None
    for encoding in ("utf-8", "cp932"):  # cp932: Shift_JIS as written by Japanese Excel, with its extra kanji
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RosterFileError(
        _("The file is neither UTF-8 nor Shift_JIS text. Save the roster as “CSV UTF-8” or “CSV” and try again.")
    )


def _heading_key(cell: str) -> str:
    key = unicodedata.normalize("NFKC", cell).strip().casefold()
    return key.replace(" ", "_").replace("-", "_")


def _columns(line_number: int, header: list[str]) -> list[str | None]:
    """The field of each column; None for trailing blank headings (Excel leaves those)."""
    while header and not header[-1]:
        header = header[:-1]
    problems = []
    columns: list[str | None] = []
    seen: dict[str, str] = {}
    for position, heading in enumerate(header, start=1):
        field = HEADINGS.get(_heading_key(heading))
        if not heading:
            problems.append(_("Column %(position)d has no heading.") % {"position": position})
        elif field is None:
            problems.append(_("Unknown column “%(heading)s”.") % {"heading": _shorten(heading)})
        elif field in seen:
            problems.append(
                _("The columns “%(first)s” and “%(second)s” are the same column.")
                % {"first": seen[field], "second": _shorten(heading)}
            )
        else:
            seen[field] = _shorten(heading)
        columns.append(field)
    if "name" not in seen:
        problems.append(_("There is no name column (氏名 or name)."))
    if problems:
        raise RosterFileError(
            _(
                "The header (the first line) is not right. Use the headings 番号, 氏名, ふりがな, 利用者ID and 時間 "
                "(or number, name, kana, login_id, time); only 氏名 is required."
            ),
            [(line_number, problem) for problem in problems],
        )
    return columns


def _row(cells: list[str], columns: list[str | None]) -> tuple[list[str], RosterRow]:
    """The problems of one line, and the row as far as it could be read.

    A number or login id that is not valid is left out of the row, so the
    duplicate checks that follow only compare valid values.
    """
    problems = []
    if any(cells[len(columns) :]):
        problems.append(
            _("This line has more values than the header has columns (%(columns)d).") % {"columns": len(columns)}
        )
    values = dict.fromkeys(("number", "name", "kana", "login_id", "time"), "")
    for field, cell in zip(columns, cells, strict=False):
        if field is not None:
            values[field] = unquote_formula(cell)
    problems += _name_problems(values)
    number, number_problems = _number(values["number"])
    login_id, login_id_problems = _login_id(values["login_id"])
    time_multiplier, time_problems = _time_multiplier(values["time"])
    return problems + number_problems + login_id_problems + time_problems, RosterRow(
        name=values["name"], kana=values["kana"], number=number, login_id=login_id, time_multiplier=time_multiplier
    )


def _name_problems(values: dict[str, str]) -> list[str]:
    # Whole sentences per field, so each translates naturally.
    checks = {
        "name": (
            _('The name contains a line break or control character (is a closing quote “"” missing?).'),
            _("The name has %(length)d characters; at most %(limit)d are allowed."),
        ),
        "kana": (
            _('The kana contains a line break or control character (is a closing quote “"” missing?).'),
            _("The kana has %(length)d characters; at most %(limit)d are allowed."),
        ),
    }
    problems = []
    for field, (control_message, length_message) in checks.items():
        value = values[field]
        if any(unicodedata.category(char) == "Cc" for char in value):
            problems.append(control_message)
        elif len(value) > MAX_NAME_LENGTH:
            problems.append(length_message % {"length": len(value), "limit": MAX_NAME_LENGTH})
    if not values["name"]:
        problems.append(_("The name is empty."))
    return problems


def _number(value: str) -> tuple[int | None, list[str]]:
    """The class number of a cell (None when empty or not valid), and its problem."""
    if not value:
        return None, []
    digits = unicodedata.normalize("NFKC", value)  # full-width "１２" is 12
    if digits.isascii() and digits.isdigit() and len(digits) <= 4 and 1 <= int(digits) <= MAX_NUMBER:
        return int(digits), []
    return None, [
        _("The number “%(value)s” is not a whole number from 1 to %(limit)d.")
        % {"value": _shorten(value), "limit": MAX_NUMBER}
    ]


def _time_multiplier(value: str) -> tuple[Decimal, list[str]]:
    """The accommodation of a cell: empty is standard time; "1.5", "１.５" and "1.5倍" are 1.5 times."""
    text = unicodedata.normalize("NFKC", value).strip().removesuffix("倍").lstrip("×x").strip()
    if not text:
        return STANDARD_TIME, []
    try:
        multiplier = Decimal(text)
    except InvalidOperation:
        multiplier = None
    if multiplier is not None and multiplier.is_finite() and multiplier in ALLOWED_MULTIPLIERS:
        return ALLOWED_MULTIPLIERS[multiplier], []
    allowed = ", ".join(_multiplier_text(allowed) for allowed in ALLOWED_MULTIPLIERS.values())
    return STANDARD_TIME, [
        _("The time “%(value)s” is not one of %(allowed)s (times the test's time; empty is 1).")
        % {"value": _shorten(value), "allowed": allowed}
    ]


def _multiplier_text(multiplier: Decimal) -> str:
    """1.00 → "1", 1.50 → "1.5", 1.25 → "1.25": as a person writes it."""
    return format(multiplier.normalize(), "f")


def _login_id(value: str) -> tuple[str, list[str]]:
    """The login id of a cell, normalized ("" when empty or not valid), and its problem."""
    login_id = unicodedata.normalize("NFKC", value).lower()
    if not login_id:
        return "", []
    try:
        login_id_validator(login_id)
    except ValidationError as error:
        return "", [
            _("The login id “%(value)s” is not valid. %(reason)s")
            % {"value": _shorten(value), "reason": " ".join(error.messages)}
        ]
    return login_id, []


def _duplicates(rows: list[tuple[int, RosterRow]], field: str, template: str) -> list[tuple[int, str]]:
    lines_by_value: dict[object, list[int]] = defaultdict(list)
    for line_number, row in rows:
        value = getattr(row, field)
        if value not in ("", None):
            lines_by_value[value].append(line_number)
    problems = []
    for value, lines in lines_by_value.items():
        if len(lines) > 1:
            for line_number in lines:
                others = ", ".join(str(other) for other in lines if other != line_number)
                problems.append((line_number, template % {"value": value, "other": others}))
    return problems


def _taken_login_ids(rows: list[tuple[int, RosterRow]]) -> list[tuple[int, str]]:
    wanted = {row.login_id for _line, row in rows if row.login_id}
    if not wanted:
        return []
    taken = set(User.objects.filter(login_id__in=wanted).values_list("login_id", flat=True))
    return [
        (line_number, _("The login id %(value)s is already taken.") % {"value": row.login_id})
        for line_number, row in rows
        if row.login_id in taken
    ]


def _shorten(value: str, limit: int = 20) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def roster_rows(enrollments: Iterable[Enrollment]) -> Iterable[list[str]]:
    """The export's rows under EXPORT_HEADER. Enrollments need their examinee loaded."""
    for enrollment in enrollments:
        examinee = enrollment.examinee
        number = "" if enrollment.number is None else str(enrollment.number)
        yield [number, examinee.name, examinee.kana, examinee.login_id, _multiplier_text(enrollment.time_multiplier)]
