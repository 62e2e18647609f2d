"""`manage.py billing_snapshot`: writes on the billing day only, once, and catches up a missed day (docs/design.md §8.2)."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from classrooms.models import Organization, User
from operations.models import BillingSnapshot, ContractTerm
from tests.operations.conftest import BILLING_DAY, freeze

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_the_billing_day")]


@pytest.fixture
def people(priced, org_admin, teacher, examinee, foreign_teacher):
    """Both schools priced, with an org admin, a teacher and a pupil here and a teacher at the other."""


def run(*args) -> str:
    out = StringIO()
    call_command("billing_snapshot", *args, stdout=out)
    return out.getvalue()


def test_on_the_billing_day_it_writes_one_snapshot_per_organization(people, organization, other_organization):
    output = run()
    sakura = BillingSnapshot.objects.get(organization=organization)
    assert (sakura.month, sakura.billing_day, sakura.due_on) == (
        datetime.date(2027, 1, 1),
        BILLING_DAY,
        datetime.date(2027, 2, 28),
    )
    assert (sakura.teacher_count, sakura.examinee_count, sakura.unit_price, sakura.amount) == (1, 1, 300, 600)
    assert (sakura.organization_name, sakura.organization_code) == ("さくら小学校", "sakura")
    midori = BillingSnapshot.objects.get(organization=other_organization)
    assert (midori.teacher_count, midori.examinee_count, midori.amount) == (1, 0, 250)
    assert "2 organization(s)" in output
    assert "sakura" in output
    assert "Total 850 yen." in output


def test_a_second_run_writes_nothing_new_and_says_so(people, organization, teacher):
    run()
    User.objects.filter(pk=teacher.pk).update(is_active=False)  # a change after the count does not alter it
    output = run()
    assert "already written" in output
    assert BillingSnapshot.objects.count() == 2
    assert BillingSnapshot.objects.get(organization=organization).teacher_count == 1


def test_on_another_day_it_writes_nothing_and_names_the_billing_day(monkeypatch, people):
    freeze(monkeypatch, datetime.date(2027, 1, 14))
    output = run()
    assert "Nothing is due on 2027-01-14" in output
    assert "2027-01-15" in output
    assert not BillingSnapshot.objects.exists()


def test_date_catches_up_a_missed_billing_day(monkeypatch, people, organization):
    freeze(monkeypatch, datetime.date(2027, 1, 18))
    assert "Nothing is due on 2027-01-18" in run()
    run("--date", "2027-01-15")
    snapshot = BillingSnapshot.objects.get(organization=organization)
    assert (snapshot.billing_day, snapshot.month) == (BILLING_DAY, datetime.date(2027, 1, 1))
    assert "already written" in run("--date", "2027-01-15")


def test_date_refuses_a_day_that_is_not_a_billing_day(people):
    with pytest.raises(CommandError, match="Nothing is due on 2030-07-15: the billing day of 2030-07 is 2030-07-12"):
        run("--date", "2030-07-15")
    assert not BillingSnapshot.objects.exists()


def test_date_refuses_a_billing_day_still_to_come(people):
    with pytest.raises(CommandError, match="2027-02-15"):
        run("--date", "2027-02-15")
    assert not BillingSnapshot.objects.exists()


def test_date_refuses_a_malformed_date(people):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run("--date", "15/01/2027")


def test_it_counts_memberships_as_they_were_on_the_missed_day(monkeypatch, people, organization, examinee):
    from classrooms.models import Membership

    freeze(monkeypatch, datetime.date(2027, 1, 20))
    Membership.objects.filter(user=examinee).update(ends_on=datetime.date(2027, 1, 18))  # left after the 15th
    run("--date", "2027-01-15")
    assert BillingSnapshot.objects.get(organization=organization).examinee_count == 1


def test_a_snapshot_cannot_be_changed_or_deleted(people, organization):
    run()
    snapshot = BillingSnapshot.objects.get(organization=organization)
    snapshot.teacher_count = 99
    with pytest.raises(ValueError, match="immutable"):
        snapshot.save()
    with pytest.raises(ValueError, match="immutable"):
        snapshot.delete()
    with pytest.raises(ValueError, match="immutable"):
        BillingSnapshot.objects.filter(pk=snapshot.pk).update(teacher_count=99)
    with pytest.raises(ValueError, match="immutable"):
        BillingSnapshot.objects.all().delete()
    assert BillingSnapshot.objects.get(pk=snapshot.pk).teacher_count == 1
    assert BillingSnapshot.objects.count() == 2


def test_a_month_with_no_organization_in_service_writes_nothing_and_says_so(db):
    output = run()
    assert "No organization was in service" in output
    assert not BillingSnapshot.objects.exists()


def test_a_snapshot_outlives_its_organization_row_with_the_name_and_code_it_billed(db):
    from tests.conftest import make_organization

    closed = make_organization("kaede", "かえで小学校")
    run()
    # Organizations are never deleted by the product (docs/design.md §8.4 keeps the row); should one
    # be deleted by hand, its contract terms must go first (they protect it), its snapshots stay.
    ContractTerm.objects.filter(organization=closed).delete()
    Organization.objects.filter(pk=closed.pk).delete()
    snapshot = BillingSnapshot.objects.get(organization_code="kaede")
    assert (snapshot.organization_id, snapshot.organization_name) == (None, "かえで小学校")
