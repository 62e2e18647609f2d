"""Contracts run a year and renew themselves unless notice is given a month before the end (docs/design.md §8.1)."""

from __future__ import annotations

import datetime

import pytest

from classrooms.models import Organization
from classrooms.schoolyear import school_year_of

D = datetime.date


def contract(starts_on: datetime.date, notice: datetime.date | None = None) -> Organization:
    return Organization(
        name="x", code="x", status=Organization.Status.APPROVED, contract_starts_on=starts_on, notice_given_on=notice
    )


def test_it_renews_itself_year_after_year_without_notice():
    organization = contract(D(2025, 4, 1))
    assert organization.contract_ends_on(D(2025, 6, 1)) == D(2026, 3, 31)
    assert organization.contract_ends_on(D(2026, 4, 1)) == D(2027, 3, 31)
    assert organization.is_in_service_on(D(2028, 1, 1))


def test_notice_a_month_ahead_ends_it_at_the_current_term():
    organization = contract(D(2025, 4, 1), notice=D(2026, 2, 28))
    assert organization.contract_ends_on(D(2026, 3, 1)) == D(2026, 3, 31)
    assert organization.is_in_service_on(D(2026, 3, 31))
    assert not organization.is_in_service_on(D(2026, 4, 1))


def test_late_notice_only_ends_it_at_the_next_term():
    organization = contract(D(2025, 4, 1), notice=D(2026, 3, 15))
    assert organization.contract_ends_on(D(2026, 3, 20)) == D(2027, 3, 31)


def test_a_term_begun_on_a_leap_day_ends_on_the_last_day_of_february():
    organization = contract(D(2024, 2, 29))
    assert organization.contract_ends_on(D(2024, 3, 1)) == D(2025, 2, 28)
    assert organization.contract_ends_on(D(2025, 3, 1)) == D(2026, 2, 28)  # the renewal begins on 1 March
    assert organization.contract_ends_on(D(2027, 3, 1)) == D(2028, 2, 29)


@pytest.mark.parametrize(
    ("notice", "ends_on"),
    [
        (D(2026, 2, 28), D(2026, 3, 31)),  # a full month (March) remains: the last day it counts
        (D(2026, 3, 1), D(2027, 3, 31)),  # a day less than a month: the contract renews once more
    ],
)
def test_notice_counts_when_a_full_month_of_the_term_remains(notice, ends_on):
    assert contract(D(2025, 4, 1), notice=notice).contract_ends_on(D(2026, 3, 1)) == ends_on


def test_a_scheduled_termination_ends_service_after_its_day():
    organization = contract(D(2025, 4, 1))
    organization.ended_on = D(2025, 9, 30)
    assert organization.contract_ends_on(D(2025, 6, 1)) == D(2025, 9, 30)
    assert organization.is_in_service_on(D(2025, 9, 30))
    assert not organization.is_in_service_on(D(2025, 10, 1))


@pytest.mark.parametrize(
    "status", [Organization.Status.PENDING, Organization.Status.SUSPENDED, Organization.Status.TERMINATED]
)
def test_it_is_out_of_service_unless_approved(status):
    organization = contract(D(2025, 4, 1))
    organization.status = status
    assert not organization.is_in_service_on(D(2025, 5, 1))


def test_nothing_before_the_contract_starts():
    assert not contract(D(2025, 4, 1)).is_in_service_on(D(2025, 3, 31))


@pytest.mark.parametrize(
    ("day", "year"), [(D(2026, 4, 1), 2026), (D(2027, 3, 31), 2026), (D(2026, 3, 31), 2025), (D(2026, 12, 31), 2026)]
)
def test_school_year_runs_april_to_march(day, year):
    assert school_year_of(day) == year
