"""Dates as the school sees them: today in Asia/Tokyo and the 年度 (April–March)."""

from __future__ import annotations

import datetime

from django.utils import timezone


def today() -> datetime.date:
    """Today's date in the project's time zone (Asia/Tokyo)."""
    return timezone.localdate()


def school_year_of(day: datetime.date) -> int:
    """The 年度 a day belongs to: 2026-04-01 .. 2027-03-31 is school year 2026."""
    return day.year if day.month >= 4 else day.year - 1


def current_school_year() -> int:
    return school_year_of(today())


def school_year_bounds(year: int) -> tuple[datetime.date, datetime.date]:
    """First and last day of a school year."""
    return datetime.date(year, 4, 1), datetime.date(year + 1, 3, 31)


def parse_school_year(value: str | None) -> int:
    """A school year from a query parameter; the current one when missing or not a sensible year."""
    try:
        year = int(value or "")
    except ValueError:
        return current_school_year()
    return year if 2000 <= year <= 2100 else current_school_year()
