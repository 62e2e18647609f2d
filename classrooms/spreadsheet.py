"""CSV files for Excel, as Japanese schools open them.

UTF-8 with a BOM (without it Japanese Excel reads Shift_JIS and garbles names),
CRLF line ends, no cell that a spreadsheet would run as a formula, and a
download name that survives any browser.
"""

from __future__ import annotations

import csv
import datetime
import re
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone

# Cells starting with these are formulas to Excel or LibreOffice (full-width forms too).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
UNSAFE_IN_FILENAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|;]')


def neutralize_formula(value: str) -> str:
    """Keep spreadsheets from running a cell as a formula: prefix a single quote."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def unquote_formula(cell: str) -> str:
    """Undo `neutralize_formula`, so an exported file imports back unchanged."""
    if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def attachment_disposition(filename: str) -> str:
    """Content-Disposition with an ASCII fallback and the real name per RFC 5987/6266."""
    filename = UNSAFE_IN_FILENAME.sub("_", filename)
    fallback = filename.encode("ascii", "replace").decode("ascii").replace("?", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def spreadsheet_time(value: datetime.datetime | None) -> str:
    """A moment as spreadsheets read it, in local (Japan) time: 2026-12-01 07:35:00; empty when there is none."""
    return "" if value is None else timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


def write_csv(stream, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Write a CSV for Excel to a text stream: BOM, header, rows with every cell neutralized. Rows hold strings.

    Rows are written as they come, so an iterator of any length needs no more memory than one row.
    """
    stream.write("\ufeff")
    writer = csv.writer(stream)
    writer.writerow(header)
    writer.writerows([neutralize_formula(cell) for cell in row] for row in rows)


def csv_download(filename: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> HttpResponse:
    """A CSV attachment; every text cell is neutralized. Rows hold strings."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    write_csv(response, header, rows)
    response["Content-Disposition"] = attachment_disposition(filename)
    response["Cache-Control"] = "no-store"  # children's names and scores: keep them out of shared caches
    return response
