"""A teacher arrives (docs/design.md §7): the new school's org admin files it, which approves it; same account, new membership."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from classrooms import transfers as transfer_services
from classrooms.access import members_of, transfers_of
from classrooms.models import AuditEntry, Membership, SchoolClass, Transfer, User
from classrooms.schoolyear import current_school_year, today
from config.errors import ServiceError
from tests.conftest import freeze

pytestmark = pytest.mark.django_db


def leave_old_school(teacher, org_admin, school_class, successor, day: datetime.date) -> None:
    transfer_services.transfer_file_teacher_out(
        teacher=teacher, effective_on=day, reason="異動", successors={school_class: successor}, by=org_admin
    )


def post_arrival(client, login_id: str, day: datetime.date):
    return client.post(
        reverse("classrooms:orgadmin_teacher_arrival"),
        {"login_id": login_id, "effective_on": day.isoformat(), "reason": "異動"},
    )


def test_a_teacher_who_left_arrives_with_the_same_account(
    monkeypatch,
    client_of,
    teacher,
    org_admin,
    other_teacher,
    school_class,
    foreign_org_admin,
    other_organization,
    organization,
):
    day = today() + datetime.timedelta(days=7)
    leave_old_school(teacher, org_admin, school_class, other_teacher, day)
    users = User.objects.count()

    response = post_arrival(client_of(foreign_org_admin), teacher.login_id.upper(), day)

    assert response.status_code == 302
    transfer = Transfer.objects.get(kind=Transfer.Kind.TEACHER_IN)
    assert (transfer.person, transfer.to_organization, transfer.from_organization) == (
        teacher,
        other_organization,
        organization,
    )
    assert transfer.status == Transfer.Status.APPROVED
    assert transfer.filed_by == transfer.decided_by == foreign_org_admin
    assert User.objects.count() == users  # never a second account
    membership = Membership.objects.get(user=teacher, organization=other_organization)
    assert (membership.starts_on, membership.ends_on) == (day, None)
    actions = AuditEntry.objects.filter(organization=other_organization).values_list("action", flat=True)
    assert set(actions) >= {"transfer.teacher_in.file", "transfer.teacher_in.approve"}
    # Only the new school sees the arrival; it is approved, and completed once the date comes.
    assert not transfers_of(organization).filter(kind=Transfer.Kind.TEACHER_IN).exists()
    page = client_of(foreign_org_admin).get(reverse("classrooms:orgadmin_transfer_list"))
    assert [row.transfer for row in page.context["decided"]] == [transfer]
    assert not page.context["decided"][0].decidable
    assert not members_of(other_organization, User.Role.TEACHER).filter(pk=teacher.pk).exists()  # not yet

    freeze(monkeypatch, day)
    assert page.context["decided"][0].transfer.is_completed_on(day)
    as_teacher = client_of(teacher)
    assert as_teacher.get(reverse("classrooms:teacher_class_list")).status_code == 200
    response = as_teacher.post(
        reverse("classrooms:teacher_class_create"), {"name": "2年B組", "school_year": current_school_year()}
    )
    assert response.status_code == 302
    created = SchoolClass.objects.get(name="2年B組")
    assert (created.organization, created.teacher) == (other_organization, teacher)
    # Nothing of the old school any more.
    for url in (
        reverse("classrooms:teacher_roster", args=[school_class.pk]),
        reverse("classrooms:teacher_class_rename", args=[school_class.pk]),
        reverse("classrooms:orgadmin_class_detail", args=[school_class.pk]),
    ):
        assert as_teacher.get(url).status_code == 404
    assert members_of(other_organization, User.Role.TEACHER).filter(pk=teacher.pk).exists()
    assert not members_of(organization, User.Role.TEACHER).filter(pk=teacher.pk).exists()


def test_a_teacher_still_employed_elsewhere_is_refused(client_of, teacher, foreign_org_admin, other_organization):
    day = today() + datetime.timedelta(days=7)
    response = post_arrival(client_of(foreign_org_admin), teacher.login_id, day)
    assert response.status_code == 200
    error = str(response.context["form"].non_field_errors())
    assert teacher.name in error
    assert day.isoformat() in error
    assert not Transfer.objects.exists()
    assert not Membership.objects.filter(user=teacher, organization=other_organization).exists()
    assert not AuditEntry.objects.filter(action__startswith="transfer.teacher_in").exists()


def test_leaving_after_the_arrival_date_is_refused_too(
    teacher, org_admin, other_teacher, school_class, foreign_org_admin, other_organization
):
    day = today() + datetime.timedelta(days=7)
    leave_old_school(teacher, org_admin, school_class, other_teacher, day + datetime.timedelta(days=1))
    with pytest.raises(ServiceError):
        transfer_services.transfer_file_teacher_in(
            organization=other_organization,
            login_id=teacher.login_id,
            effective_on=day,
            reason="",
            by=foreign_org_admin,
        )
    assert not Membership.objects.filter(user=teacher, organization=other_organization).exists()


def test_an_unknown_or_non_teacher_login_id_is_refused(client_of, foreign_org_admin, examinee, org_admin):
    day = today() + datetime.timedelta(days=7)
    users = User.objects.count()
    for login_id in ("nobody-here", examinee.login_id, org_admin.login_id):
        response = post_arrival(client_of(foreign_org_admin), login_id, day)
        assert response.status_code == 200
        assert login_id in str(response.context["form"].non_field_errors())  # "no teacher account with …"
    assert User.objects.count() == users
    assert not Transfer.objects.exists()


def test_a_past_date_is_refused(foreign_org_admin, other_organization, teacher):
    with pytest.raises(ServiceError):
        transfer_services.transfer_file_teacher_in(
            organization=other_organization,
            login_id=teacher.login_id,
            effective_on=today() - datetime.timedelta(days=1),
            reason="",
            by=foreign_org_admin,
        )


def test_the_arrival_form_is_for_org_admins_only(
    client, client_of, foreign_org_admin, foreign_teacher, examinee, operator
):
    url = reverse("classrooms:orgadmin_teacher_arrival")
    assert client.get(url).status_code == 302  # anonymous: sign in
    for outsider in (foreign_teacher, examinee, operator):
        assert client_of(outsider).get(url).status_code == 404
    assert client_of(foreign_org_admin).get(url).status_code == 200


def test_another_schools_org_admin_cannot_see_or_decide_the_arrival(
    client_of, teacher, org_admin, other_teacher, school_class, foreign_org_admin, other_organization
):
    day = today() + datetime.timedelta(days=7)
    leave_old_school(teacher, org_admin, school_class, other_teacher, day)
    transfer = transfer_services.transfer_file_teacher_in(
        organization=other_organization, login_id=teacher.login_id, effective_on=day, reason="", by=foreign_org_admin
    )
    as_old_admin = client_of(org_admin)
    for name in ("classrooms:orgadmin_transfer_approve", "classrooms:orgadmin_transfer_reject"):
        assert as_old_admin.post(reverse(name, args=[transfer.pk])).status_code == 404
    page = as_old_admin.get(reverse("classrooms:orgadmin_transfer_list"))
    assert transfer.pk not in [row.transfer.pk for row in page.context["pending"] + page.context["decided"]]
