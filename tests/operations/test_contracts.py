"""Contracts: terms, renewal, notice, suspension and termination (docs/design.md §8.1).

Approval starts the first term, a renewal is a new term, notice ends the contract at a term end,
suspension and termination lock everyone out.
"""

from __future__ import annotations

import datetime
import importlib
import io
import itertools
from unittest import mock

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.utils import timezone

from classrooms.models import AuditEntry, Organization, User
from classrooms.schoolyear import today
from config.errors import ServiceError
from operations import contracts
from operations.models import ContractTerm
from tests.conftest import make_user
from tests.operations.conftest import freeze

pytestmark = pytest.mark.django_db
D = datetime.date


def at_noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12, 0), tzinfo=timezone.get_current_timezone())


def approved(operator, starts_on: datetime.date, code: str = "hoshi", unit_price: int = 300) -> Organization:
    """An organization approved on the day its contract starts."""
    organization = Organization.objects.create(name="ほし小学校", code=code, unit_price=unit_price)
    with mock.patch.object(timezone, "now", return_value=at_noon(starts_on)):
        return contracts.contract_approve(organization=organization, starts_on=starts_on, by=operator)


def terms(organization: Organization) -> list[tuple[datetime.date, datetime.date, int]]:
    return list(organization.contract_terms.order_by("starts_on").values_list("starts_on", "ends_on", "unit_price"))


def renew(day: datetime.date) -> None:
    call_command("renew_contracts", "--date", day.isoformat(), stdout=io.StringIO())


def test_approval_starts_the_first_one_year_term_and_is_audited(operator):
    pending = Organization.objects.create(name="ひかり高校", code="hikari", unit_price=250)
    assert not pending.is_in_service_on(today())
    contracts.contract_approve(organization=pending, by=operator)
    pending.refresh_from_db()
    assert pending.status == Organization.Status.APPROVED
    assert pending.is_in_service_on(today())
    [(starts_on, ends_on, price)] = terms(pending)
    assert (starts_on, price) == (today(), 250)
    assert ends_on == pending.contract_ends_on()
    assert AuditEntry.objects.filter(organization=pending, action="organization.approved", actor=operator).exists()


def test_approving_twice_is_refused(operator, organization):
    with pytest.raises(ServiceError) as refused:
        contracts.contract_approve(organization=organization, by=operator)
    assert refused.value.code == "wrong_status"
    assert organization.contract_terms.count() == 1


def test_the_daily_run_renews_a_due_term_as_a_new_row_and_keeps_the_old_one(operator):
    organization = approved(operator, D(2025, 4, 1))
    renew(D(2026, 3, 31))
    assert terms(organization) == [(D(2025, 4, 1), D(2026, 3, 31), 300)]
    renew(D(2026, 4, 1))
    assert terms(organization) == [(D(2025, 4, 1), D(2026, 3, 31), 300), (D(2026, 4, 1), D(2027, 3, 31), 300)]
    assert AuditEntry.objects.filter(organization=organization, action="contract.renewed", actor=None).count() == 1


def test_running_twice_or_a_month_late_gives_the_same_terms(operator):
    on_time = approved(operator, D(2025, 4, 1), code="ontime")
    late = approved(operator, D(2025, 4, 1), code="late")
    renew(D(2026, 4, 1))
    renew(D(2026, 4, 1))
    assert terms(on_time) == terms(late)  # the first run renewed both
    renew(D(2027, 5, 1))  # the run of 1 April 2027 was missed: a month late
    renew(D(2027, 5, 1))
    expected = [
        (D(2025, 4, 1), D(2026, 3, 31), 300),
        (D(2026, 4, 1), D(2027, 3, 31), 300),
        (D(2027, 4, 1), D(2028, 3, 31), 300),
    ]
    assert terms(on_time) == terms(late) == expected


def test_a_run_years_late_records_every_term_without_a_gap(operator):
    organization = approved(operator, D(2022, 4, 1))
    renew(D(2026, 6, 1))
    rows = terms(organization)
    assert [row[0] for row in rows] == [D(2022, 4, 1), D(2023, 4, 1), D(2024, 4, 1), D(2025, 4, 1), D(2026, 4, 1)]
    assert all(later[0] == earlier[1] + datetime.timedelta(days=1) for earlier, later in itertools.pairwise(rows))


def test_a_term_begun_on_a_leap_day_renews_on_the_first_of_march(operator):
    organization = approved(operator, D(2024, 2, 29))
    renew(D(2028, 3, 1))
    assert terms(organization) == [
        (D(2024, 2, 29), D(2025, 2, 28), 300),
        (D(2025, 3, 1), D(2026, 2, 28), 300),
        (D(2026, 3, 1), D(2027, 2, 28), 300),
        (D(2027, 3, 1), D(2028, 2, 29), 300),
        (D(2028, 3, 1), D(2029, 2, 28), 300),
    ]
    organization.refresh_from_db()
    assert organization.contract_ends_on(D(2028, 3, 1)) == D(2029, 2, 28)


@pytest.mark.parametrize(
    ("notice", "ends_on"),
    [
        (D(2026, 2, 28), D(2026, 3, 31)),  # exactly a month (all of March) before the end: it counts
        (D(2026, 3, 1), D(2027, 3, 31)),  # a day less: the contract renews once more
    ],
)
def test_notice_ends_the_contract_at_the_term_end_it_is_a_month_ahead_of(monkeypatch, operator, notice, ends_on):
    organization = approved(operator, D(2025, 4, 1))
    member = make_user("hoshi-teacher", User.Role.TEACHER, organization)
    freeze(monkeypatch, notice)
    contracts.contract_give_notice(organization=organization, by=operator)
    renew(D(2026, 4, 1))
    organization.refresh_from_db()
    if ends_on == D(2026, 3, 31):
        assert organization.status == Organization.Status.TERMINATED
        assert organization.ended_on == D(2026, 3, 31)
        assert len(terms(organization)) == 1
    else:
        assert organization.status == Organization.Status.APPROVED
        assert terms(organization)[-1][:2] == (D(2026, 4, 1), D(2027, 3, 31))
        renew(D(2027, 4, 1))
        organization.refresh_from_db()
        assert organization.status == Organization.Status.TERMINATED
        assert len(terms(organization)) == 2
    assert organization.ended_on == ends_on
    assert not organization.is_in_service_on(ends_on + datetime.timedelta(days=1))
    member.refresh_from_db()
    assert member.session_generation == 1, "everyone was signed out when the contract ended"


def test_withdrawn_notice_lets_the_contract_renew(monkeypatch, operator):
    organization = approved(operator, D(2025, 4, 1))
    freeze(monkeypatch, D(2026, 1, 10))
    contracts.contract_give_notice(organization=organization, by=operator)
    organization.refresh_from_db()
    assert organization.known_end_on() == D(2026, 3, 31)
    contracts.contract_withdraw_notice(organization=organization, by=operator)
    organization.refresh_from_db()
    assert organization.known_end_on() is None
    renew(D(2026, 4, 1))
    assert len(terms(organization)) == 2


def test_a_scheduled_termination_ends_the_contract_after_its_day(monkeypatch, operator):
    organization = approved(operator, D(2025, 4, 1))
    freeze(monkeypatch, D(2025, 6, 1))
    contracts.contract_terminate(organization=organization, on=D(2025, 9, 30), by=operator)
    organization.refresh_from_db()
    assert organization.status == Organization.Status.APPROVED
    assert organization.is_in_service_on(D(2025, 9, 30))
    assert not organization.is_in_service_on(D(2025, 10, 1))
    renew(D(2025, 9, 30))
    organization.refresh_from_db()
    assert organization.status == Organization.Status.APPROVED
    renew(D(2025, 10, 1))
    organization.refresh_from_db()
    assert organization.status == Organization.Status.TERMINATED
    assert organization.ended_on == D(2025, 9, 30)
    assert organization.data_deletion_date() == D(2025, 9, 30) + datetime.timedelta(days=90)


def test_a_scheduled_end_after_the_term_end_still_renews_the_term_first(monkeypatch, operator):
    organization = approved(operator, D(2025, 4, 1))
    freeze(monkeypatch, D(2026, 2, 1))
    contracts.contract_terminate(organization=organization, on=D(2026, 6, 30), by=operator)
    renew(D(2026, 7, 1))
    organization.refresh_from_db()
    assert [row[0] for row in terms(organization)] == [D(2025, 4, 1), D(2026, 4, 1)]
    assert (organization.status, organization.ended_on) == (Organization.Status.TERMINATED, D(2026, 6, 30))


def test_termination_today_locks_everyone_out_and_sets_the_end(operator, organization, teacher, examinee):
    contracts.contract_terminate(organization=organization, by=operator)
    organization.refresh_from_db()
    assert organization.status == Organization.Status.TERMINATED
    assert organization.ended_on == today()
    teacher.refresh_from_db()
    examinee.refresh_from_db()
    assert teacher.session_generation == examinee.session_generation == 1
    assert AuditEntry.objects.filter(organization=organization, action="organization.terminated").exists()


def test_termination_cannot_move_a_known_end_later(monkeypatch, operator):
    organization = approved(operator, D(2025, 4, 1))
    freeze(monkeypatch, D(2026, 1, 10))
    contracts.contract_give_notice(organization=organization, by=operator)
    with pytest.raises(ServiceError) as refused:
        contracts.contract_terminate(organization=organization, on=D(2026, 6, 30), by=operator)
    assert refused.value.code == "already_ending"
    organization.refresh_from_db()
    assert organization.ended_on is None


def test_suspension_locks_out_and_reinstatement_lets_back_in(operator, organization, teacher, other_organization):
    contracts.contract_suspend(organization=organization, by=operator)
    organization.refresh_from_db()
    assert (organization.status, organization.suspended_on) == (Organization.Status.SUSPENDED, today())
    assert not organization.is_in_service_on(today())
    teacher.refresh_from_db()
    assert teacher.session_generation == 1
    contracts.contract_reinstate(organization=organization, by=operator)
    organization.refresh_from_db()
    assert organization.is_in_service_on(today())
    assert organization.suspended_on is None
    other_organization.refresh_from_db()
    assert other_organization.status == Organization.Status.APPROVED


def test_a_suspended_contract_still_renews(monkeypatch, operator):
    organization = approved(operator, D(2025, 4, 1))
    freeze(monkeypatch, D(2025, 12, 1))
    contracts.contract_suspend(organization=organization, by=operator)
    renew(D(2026, 4, 1))
    assert len(terms(organization)) == 2


def test_a_new_unit_price_applies_from_the_next_term(monkeypatch, operator):
    organization = approved(operator, D(2025, 4, 1))
    freeze(monkeypatch, D(2025, 10, 1))
    contracts.contract_change_unit_price(organization=organization, unit_price=350, by=operator)
    organization.refresh_from_db()
    assert (organization.unit_price, organization.next_unit_price) == (300, 350)
    renew(D(2026, 4, 1))
    organization.refresh_from_db()
    assert [row[2] for row in terms(organization)] == [300, 350]
    assert (organization.unit_price, organization.next_unit_price) == (350, None)
    entry = AuditEntry.objects.get(organization=organization, action="contract.unit_price_changed")
    assert entry.details == {"previous": 300, "unit_price": 350}


def test_a_pending_organizations_price_changes_at_once(operator):
    pending = Organization.objects.create(name="ひかり高校", code="hikari", unit_price=250)
    contracts.contract_change_unit_price(organization=pending, unit_price=280, by=operator)
    pending.refresh_from_db()
    assert pending.unit_price == 280
    contracts.contract_approve(organization=pending, by=operator)
    assert terms(pending)[0][2] == 280


def test_terms_are_append_only(organization):
    term = ContractTerm.objects.get(organization=organization)
    term.unit_price = 1
    with pytest.raises(ValueError, match="append-only"):
        term.save()


def test_the_run_brings_an_organization_without_recorded_terms_up_to_date(operator):
    legacy = Organization.objects.create(
        name="旧", code="legacy", status=Organization.Status.APPROVED, contract_starts_on=D(2025, 4, 1)
    )
    renew(D(2026, 4, 2))
    assert [row[0] for row in terms(legacy)] == [D(2025, 4, 1), D(2026, 4, 1)]


def test_the_run_leaves_pending_and_terminated_organizations_alone(operator, organization):
    Organization.objects.create(name="ひかり高校", code="hikari")
    contracts.contract_terminate(organization=organization, by=operator)
    renew(today() + datetime.timedelta(days=800))
    assert ContractTerm.objects.count() == 1


def test_approval_with_a_start_over_a_year_ago_records_the_renewals_since(operator):
    organization = approved(operator, D(2025, 4, 1))
    with mock.patch.object(timezone, "now", return_value=at_noon(D(2026, 5, 1))):
        late = contracts.contract_approve(
            organization=Organization.objects.create(name="おそい", code="osoi", unit_price=300),
            starts_on=D(2025, 4, 1),
            by=operator,
        )
    renew(D(2026, 5, 1))
    assert terms(late) == terms(organization)
    assert len(terms(late)) == 2


def test_notice_that_would_end_the_contract_in_the_past_is_refused(monkeypatch, operator):
    organization = approved(operator, D(2024, 4, 1))
    freeze(monkeypatch, D(2025, 6, 1))
    with pytest.raises(ServiceError) as refused:
        contracts.contract_give_notice(organization=organization, on=D(2025, 1, 10), by=operator)
    assert refused.value.code == "bad_date"


def test_notice_cannot_be_withdrawn_once_it_ended_the_contract(monkeypatch, operator):
    organization = approved(operator, D(2025, 4, 1))
    freeze(monkeypatch, D(2026, 1, 10))
    contracts.contract_give_notice(organization=organization, by=operator)
    freeze(monkeypatch, D(2026, 4, 1))  # the daily run has not terminated it yet
    with pytest.raises(ServiceError) as refused:
        contracts.contract_withdraw_notice(organization=organization, by=operator)
    assert refused.value.code == "ended"


def test_the_migration_records_the_first_term_of_contracts_approved_before_terms(operator):
    first_terms = importlib.import_module("operations.migrations.0002_first_contract_terms").first_terms
    legacy = Organization.objects.create(
        name="旧", code="legacy", status=Organization.Status.APPROVED, contract_starts_on=D(2025, 4, 1), unit_price=200
    )
    Organization.objects.create(name="ひかり高校", code="hikari")  # pending: no contract yet
    first_terms(django_apps, None)
    first_terms(django_apps, None)
    assert terms(legacy) == [(D(2025, 4, 1), D(2026, 3, 31), 200)]
    assert ContractTerm.objects.count() == 1
