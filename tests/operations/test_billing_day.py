"""The billing day of every month from 2026 to 2030 (docs/design.md §8.2).

The expected dates were worked out by hand from the calendar and the Act on National
Holidays as the Cabinet Office publishes it: the Happy Monday holidays (成人の日 2nd Monday of
January, 海の日 3rd Monday of July, 敬老の日 3rd Monday of September, スポーツの日 2nd Monday of
October), 建国記念の日 11 February and 山の日 11 August; none of them falls on a billing day
or on the Friday before a weekend 15th in these years except 2030-07-15 (海の日, Monday).
"""

from __future__ import annotations

import datetime

import pytest

from operations import billing

EXPECTED = {
    2026: ["01-15", "02-13", "03-13", "04-15", "05-15", "06-15", "07-15", "08-14", "09-15", "10-15", "11-13", "12-15"],
    2027: ["01-15", "02-15", "03-15", "04-15", "05-14", "06-15", "07-15", "08-13", "09-15", "10-15", "11-15", "12-15"],
    2028: ["01-14", "02-15", "03-15", "04-14", "05-15", "06-15", "07-14", "08-15", "09-15", "10-13", "11-15", "12-15"],
    2029: ["01-15", "02-15", "03-15", "04-13", "05-15", "06-15", "07-13", "08-15", "09-14", "10-15", "11-15", "12-14"],
    2030: ["01-15", "02-15", "03-15", "04-15", "05-15", "06-14", "07-12", "08-15", "09-13", "10-15", "11-15", "12-13"],
}
TABLE = [
    (year, month, datetime.date.fromisoformat(f"{year}-{day}"))
    for year, days in EXPECTED.items()
    for month, day in enumerate(days, start=1)
]


def test_the_table_has_every_month_from_2026_to_2030():
    assert len(TABLE) == 60
    assert {(year, month) for year, month, _day in TABLE} == {(y, m) for y in range(2026, 2031) for m in range(1, 13)}


@pytest.mark.parametrize(("year", "month", "expected"), TABLE, ids=[f"{y}-{m:02d}" for y, m, _d in TABLE])
def test_billing_day(year, month, expected):
    assert billing_day_of(year, month) == expected


def billing_day_of(year: int, month: int) -> datetime.date:
    day = billing.billing_day(year, month)
    assert day.weekday() < 5, "a billing day is a weekday"
    return day


def test_marine_day_on_the_15th_moves_the_count_to_the_friday_before():
    assert datetime.date(2030, 7, 15) in billing.japanese_holidays(2030)  # 海の日, 3rd Monday of July
    assert billing.billing_day(2030, 7) == datetime.date(2030, 7, 12)


def test_a_weekend_15th_moves_to_the_friday():
    assert datetime.date(2026, 11, 15).weekday() == 6
    assert billing.billing_day(2026, 11) == datetime.date(2026, 11, 13)
    assert datetime.date(2028, 1, 15).weekday() == 5
    assert billing.billing_day(2028, 1) == datetime.date(2028, 1, 14)


def test_substitute_holidays_are_holidays():
    # 2026-05-03 (憲法記念日) is a Sunday: Wednesday 6 May is the substitute holiday (振替休日).
    assert datetime.date(2026, 5, 6) in billing.japanese_holidays(2026)
    # 2027-03-21 (春分の日) is a Sunday: Monday 22 March is off.
    assert datetime.date(2027, 3, 22) in billing.japanese_holidays(2027)
    assert not billing.is_business_day(datetime.date(2026, 5, 6))


def test_a_holiday_on_a_15th_in_midweek_gives_the_business_day_before():
    # Until 1999 成人の日 was fixed on 15 January; 1999-01-15 was a Friday.
    assert billing.billing_day(1999, 1) == datetime.date(1999, 1, 14)


def with_extra_holidays(monkeypatch, *days: datetime.date) -> None:
    """A special holiday like those of 2019 (the enthronement) that a law may add for one year."""
    real = billing.japanese_holidays

    def japanese_holidays(year: int) -> frozenset[datetime.date]:
        return real(year) | {day for day in days if day.year == year}

    monkeypatch.setattr(billing, "japanese_holidays", japanese_holidays)


def test_when_the_friday_is_a_holiday_too_it_walks_back_to_thursday(monkeypatch):
    with_extra_holidays(monkeypatch, datetime.date(2030, 7, 12))
    assert billing.billing_day(2030, 7) == datetime.date(2030, 7, 11)


def test_it_keeps_walking_back_over_several_holidays_and_a_weekend(monkeypatch):
    # Sunday 15th, holiday Friday 13th and Thursday 12th... down to Wednesday 11th.
    with_extra_holidays(monkeypatch, datetime.date(2026, 11, 13), datetime.date(2026, 11, 12))
    assert billing.billing_day(2026, 11) == datetime.date(2026, 11, 11)
    # A Monday 15th holiday, its Friday and Thursday holidays: Wednesday the 10th.
    with_extra_holidays(monkeypatch, datetime.date(2030, 7, 12), datetime.date(2030, 7, 11))
    assert billing.billing_day(2030, 7) == datetime.date(2030, 7, 10)


@pytest.mark.parametrize(
    ("month", "due"),
    [
        (datetime.date(2026, 12, 1), datetime.date(2027, 1, 31)),
        (datetime.date(2027, 1, 1), datetime.date(2027, 2, 28)),
        (datetime.date(2028, 1, 1), datetime.date(2028, 2, 29)),
        (datetime.date(2027, 3, 1), datetime.date(2027, 4, 30)),
    ],
)
def test_payment_is_due_at_the_end_of_the_following_month(month, due):
    assert billing.due_on(month) == due
