"""A teacher leaves (docs/design.md §7): filed by the org admin with successors; classes change hands on the date."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from classrooms import services
from classrooms import transfers as transfer_services
from classrooms.models import AuditEntry, Membership, SchoolClass, Transfer, TransferSuccessor, User
from classrooms.schoolyear import today
from config.errors import ServiceError
from tests.conftest import enroll, freeze, make_user

pytestmark = pytest.mark.django_db


def post_transfer(client, teacher, school_class, successor, days_ahead: int = 7):
    url = reverse("classrooms:orgadmin_teacher_transfer", args=[teacher.pk])
    day = today() + datetime.timedelta(days=days_ahead)
    return client.post(
        url, {"effective_on": day.isoformat(), "reason": "異動", f"successor_{school_class.pk}": successor.pk}
    )


def test_it_records_the_transfer_and_hands_the_class_over_on_the_date(
    monkeypatch, client_of, org_admin, teacher, other_teacher, school_class, examinee
):
    response = post_transfer(client_of(org_admin), teacher, school_class, other_teacher)
    assert response.status_code == 302
    transfer = Transfer.objects.get(person=teacher)
    assert transfer.kind == Transfer.Kind.TEACHER_OUT
    assert transfer.status == Transfer.Status.APPROVED
    assert transfer.filed_by == transfer.decided_by == org_admin
    assert TransferSuccessor.objects.get(transfer=transfer).successor == other_teacher
    assert Membership.objects.get(user=teacher).ends_on == transfer.effective_on
    assert set(AuditEntry.objects.values_list("action", flat=True)) >= {
        "transfer.teacher_out.file",
        "transfer.teacher_out.approve",
    }
    page = client_of(org_admin).get(reverse("classrooms:orgadmin_transfer_list"))
    assert page.context["decided"][0].successors == [(school_class.name, other_teacher.name)]
    school_class.refresh_from_db()
    assert school_class.teacher == teacher  # not yet: the date has not come
    assert transfer_services.transfers_apply_due() == 0

    freeze(monkeypatch, transfer.effective_on)
    call_command("apply_transfers", stdout=io.StringIO())
    school_class.refresh_from_db()
    assert school_class.teacher == other_teacher
    assert transfer_services.transfers_apply_due() == 0  # idempotent
    assert AuditEntry.objects.filter(action="class.teacher_change").count() == 1
    # The successor sees the class and its roster; the teacher who left is locked out.
    as_successor = client_of(other_teacher)
    assert (
        examinee.name in as_successor.get(reverse("classrooms:teacher_roster", args=[school_class.pk])).content.decode()
    )
    as_teacher = client_of(teacher)
    assert as_teacher.get(reverse("classrooms:teacher_class_list")).status_code == 302
    # The org's screens stop showing the teacher.
    teachers = client_of(org_admin).get(reverse("classrooms:orgadmin_teacher_list")).content.decode()
    assert teacher.name not in teachers


def test_a_transfer_effective_today_hands_over_at_once(client_of, org_admin, teacher, other_teacher, school_class):
    post_transfer(client_of(org_admin), teacher, school_class, other_teacher, days_ahead=0)
    school_class.refresh_from_db()
    assert school_class.teacher == other_teacher
    assert client_of(teacher).get(reverse("classrooms:teacher_class_list")).status_code == 302


def test_a_successor_over_the_limit_is_refused(
    client_of, organization, org_admin, teacher, other_teacher, school_class, other_class, examinee
):
    for number in range(services.TEACHER_CAPACITY):
        enroll(other_class, make_user(f"sakura-many{number}", User.Role.EXAMINEE, organization), number=number + 1)
    response = post_transfer(client_of(org_admin), teacher, school_class, other_teacher)
    assert response.status_code == 200
    assert "41" in str(response.context["form"].non_field_errors())
    assert not Transfer.objects.exists()
    assert Membership.objects.get(user=teacher).ends_on is None


def test_every_class_needs_a_successor(organization, org_admin, teacher, other_teacher, school_class):
    second = SchoolClass.objects.create(
        organization=organization, teacher=teacher, school_year=school_class.school_year, name="5年3組"
    )
    with pytest.raises(ServiceError):
        transfer_services.transfer_file_teacher_out(
            teacher=teacher,
            effective_on=today() + datetime.timedelta(days=3),
            reason="",
            successors={second: other_teacher},
            by=org_admin,
        )


def test_a_past_date_is_refused(org_admin, teacher, other_teacher, school_class):
    with pytest.raises(ServiceError):
        transfer_services.transfer_file_teacher_out(
            teacher=teacher,
            effective_on=today() - datetime.timedelta(days=1),
            reason="",
            successors={school_class: other_teacher},
            by=org_admin,
        )


def test_the_form_is_the_org_admins_of_the_teachers_organization(
    client, client_of, org_admin, teacher, other_teacher, foreign_org_admin, foreign_teacher, school_class
):
    url = reverse("classrooms:orgadmin_teacher_transfer", args=[teacher.pk])
    assert client.get(url).status_code == 302
    for outsider in (foreign_org_admin, other_teacher, teacher):
        assert client_of(outsider).get(url).status_code == 404
    assert (
        client_of(org_admin).get(reverse("classrooms:orgadmin_teacher_transfer", args=[foreign_teacher.pk])).status_code
        == 404
    )
    assert client_of(org_admin).get(url).status_code == 200


def fill(school_class, count: int, prefix: str) -> None:
    for number in range(count):
        enroll(school_class, make_user(f"{prefix}-{number:02d}", User.Role.EXAMINEE, school_class.organization))


def test_the_successors_limit_holds_between_filing_and_the_date(
    client_of, org_admin, teacher, other_teacher, school_class, other_class
):
    fill(other_class, 35, "theirs")
    fill(school_class, 5, "handed")
    assert post_transfer(client_of(org_admin), teacher, school_class, other_teacher).status_code == 302  # 40: fits
    newcomer = make_user("newcomer", User.Role.EXAMINEE, school_class.organization)

    # The leaving teacher's class now counts against its successor too ...
    with pytest.raises(ServiceError, match="40"):
        services.enrollment_create(school_class=school_class, examinee=newcomer, number=None, by=teacher)
    # ... and so does the class the successor is about to inherit, when they enroll into their own.
    with pytest.raises(ServiceError, match="40"):
        services.enrollment_create(school_class=other_class, examinee=newcomer, number=None, by=other_teacher)
    assert not newcomer.enrollments.exists()
