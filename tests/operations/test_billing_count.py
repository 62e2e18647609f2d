"""Who is counted on the billing day, and what a month's summary shows (docs/design.md §8.2)."""

from __future__ import annotations

import datetime

import pytest

from classrooms.models import Membership, Organization, User
from operations import billing
from operations.models import BillingSnapshot
from tests.conftest import make_organization, make_user
from tests.operations.conftest import BILLING_DAY, freeze

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_the_billing_day")]


def line_of(lines, organization) -> billing.BillingLine:
    (line,) = [line for line in lines if line.organization_code == organization.code]
    return line


def test_it_counts_active_teachers_and_examinees_but_not_admins_or_operators(
    priced, organization, org_admin, teacher, other_teacher, examinee, examinee_of_other_class, operator
):
    line = line_of(billing.count_on(BILLING_DAY), organization)
    assert (line.teacher_count, line.examinee_count) == (2, 2)
    assert line.amount == 4 * 300


def test_another_organizations_people_count_for_it_alone(
    priced, organization, other_organization, teacher, examinee, foreign_teacher, foreign_examinee, foreign_org_admin
):
    lines = billing.count_on(BILLING_DAY)
    assert (line_of(lines, organization).teacher_count, line_of(lines, organization).examinee_count) == (1, 1)
    foreign = line_of(lines, other_organization)
    assert (foreign.teacher_count, foreign.examinee_count, foreign.amount) == (1, 1, 2 * 250)


def test_suspended_accounts_are_not_counted(priced, organization, teacher, examinee, examinee_of_other_class):
    User.objects.filter(pk__in=[examinee.pk, teacher.pk]).update(is_active=False)
    line = line_of(billing.count_on(BILLING_DAY), organization)
    assert (line.teacher_count, line.examinee_count) == (1, 1)  # the colleague and the other class's pupil


def test_a_membership_ended_by_the_billing_day_is_not_counted_and_one_ending_after_is(
    priced, organization, teacher, examinee, examinee_of_other_class
):
    Membership.objects.filter(user=examinee).update(ends_on=BILLING_DAY)  # left: last day was the 14th
    Membership.objects.filter(user=examinee_of_other_class).update(ends_on=BILLING_DAY + datetime.timedelta(days=1))
    line = line_of(billing.count_on(BILLING_DAY), organization)
    assert line.examinee_count == 1


def test_a_membership_starting_after_the_billing_day_is_not_counted(priced, organization, teacher):
    newcomer = make_user("sakura-new", User.Role.EXAMINEE)
    Membership.objects.create(user=newcomer, organization=organization, starts_on=BILLING_DAY + datetime.timedelta(1))
    assert line_of(billing.count_on(BILLING_DAY), organization).examinee_count == 0


def test_a_pupil_moving_schools_on_the_billing_day_counts_for_the_new_school_only(
    priced, organization, other_organization, examinee
):
    Membership.objects.filter(user=examinee).update(ends_on=BILLING_DAY)
    Membership.objects.create(user=examinee, organization=other_organization, starts_on=BILLING_DAY)
    lines = billing.count_on(BILLING_DAY)
    assert line_of(lines, organization).examinee_count == 0
    assert line_of(lines, other_organization).examinee_count == 1


@pytest.mark.parametrize(
    "status", [Organization.Status.SUSPENDED, Organization.Status.TERMINATED, Organization.Status.PENDING]
)
def test_an_organization_not_in_service_is_not_billed(priced, organization, other_organization, teacher, status):
    Organization.objects.filter(pk=organization.pk).update(status=status)
    codes = [line.organization_code for line in billing.count_on(BILLING_DAY)]
    assert codes == [other_organization.code]


def test_an_organization_whose_contract_starts_after_the_billing_day_is_not_billed(organization, other_organization):
    Organization.objects.filter(pk=organization.pk).update(contract_starts_on=BILLING_DAY + datetime.timedelta(1))
    assert [line.organization_code for line in billing.count_on(BILLING_DAY)] == [other_organization.code]


def test_an_organization_with_nobody_is_billed_zero(organization):
    (line,) = billing.count_on(BILLING_DAY)
    assert (line.accounts, line.amount) == (0, 0)


def snapshot(organization, month: datetime.date, teachers: int, examinees: int, price: int) -> BillingSnapshot:
    return BillingSnapshot.objects.create(
        month=month,
        billing_day=billing.billing_day(month.year, month.month),
        organization=organization,
        organization_name=organization.name,
        organization_code=organization.code,
        teacher_count=teachers,
        examinee_count=examinees,
        unit_price=price,
        amount=(teachers + examinees) * price,
        due_on=billing.due_on(month),
    )


def test_month_summary_compares_with_the_month_before(organization, other_organization):
    december, january = datetime.date(2026, 12, 1), datetime.date(2027, 1, 1)
    snapshot(organization, december, 2, 10, 300)
    snapshot(other_organization, december, 1, 5, 200)
    snapshot(organization, january, 2, 12, 300)
    third = make_organization("aoba", "あおば小学校")
    snapshot(third, january, 1, 1, 100)
    summary = billing.month_summary(january)
    assert summary.state == "written"
    assert (summary.teacher_count, summary.examinee_count, summary.amount) == (3, 13, 14 * 300 + 2 * 100)
    assert (summary.previous_accounts, summary.previous_amount) == (18, 12 * 300 + 6 * 200)
    assert summary.amount_change == 14 * 300 + 200 - (12 * 300 + 6 * 200)
    assert summary.accounts_change == 16 - 18
    sakura, aoba = line_of(summary.lines, organization), line_of(summary.lines, third)
    assert (sakura.accounts_change, sakura.amount_change) == (2, 600)
    assert (aoba.accounts_change, aoba.amount_change) == (None, None)  # new this month
    assert summary.dropped == [other_organization.name]


def test_before_the_billing_day_the_month_is_a_live_preview(monkeypatch, organization, teacher, examinee):
    freeze(monkeypatch, datetime.date(2027, 2, 3))
    summary = billing.month_summary(datetime.date(2027, 2, 1))
    assert summary.state == "preview"
    assert (summary.billing_day, summary.due_on) == (datetime.date(2027, 2, 15), datetime.date(2027, 3, 31))
    assert summary.accounts == 2
    assert not BillingSnapshot.objects.exists()


def test_a_past_month_never_written_is_missing(organization, teacher):
    summary = billing.month_summary(datetime.date(2026, 11, 1))
    assert (summary.state, summary.lines) == ("missing", [])


def test_preview_counts_live_and_writes_nothing(organization, teacher, examinee):
    summary = billing.preview(BILLING_DAY)
    assert (summary.state, summary.accounts, summary.month) == ("preview", 2, datetime.date(2027, 1, 1))
    assert not BillingSnapshot.objects.exists()
