"""An examinee arrives (docs/design.md §7): filed by the new school, answered by the examinee, approved by its org admin."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from classrooms import transfers as transfer_services
from classrooms.access import history_shared_until, members_of, transfers_of
from classrooms.models import AuditEntry, Membership, Transfer, User
from classrooms.schoolyear import today
from config.errors import ServiceError

pytestmark = pytest.mark.django_db


def freeze(monkeypatch, day: datetime.date) -> None:
    moment = datetime.datetime.combine(day, datetime.time(12, 0), tzinfo=timezone.get_current_timezone())
    monkeypatch.setattr(timezone, "now", lambda: moment)


def file_arrival(foreign_teacher, examinee, days_ahead: int = 7) -> Transfer:
    return transfer_services.transfer_file_examinee_in(
        organization=foreign_teacher.memberships.get().organization,
        login_id=examinee.login_id,
        effective_on=today() + datetime.timedelta(days=days_ahead),
        reason="転居",
        by=foreign_teacher,
    )


def leave_old_school(transfer: Transfer, teacher, org_admin, enrollment) -> None:
    leaving = transfer_services.transfer_file_examinee_out(
        enrollment=enrollment, effective_on=transfer.effective_on, reason="", by=teacher
    )
    transfer_services.transfer_approve(transfer=leaving, by=org_admin)


def answer(examinee, transfer, value: str):
    client = Client()
    client.force_login(examinee)
    return client.post(reverse("classrooms:examinee_history_consent", args=[transfer.pk]), {"consent": value})


def test_the_new_school_files_with_the_login_id(client_of, foreign_teacher, examinee, organization):
    url = reverse("classrooms:transfer_examinee_arrival")
    day = today() + datetime.timedelta(days=5)
    response = client_of(foreign_teacher).post(url, {"login_id": examinee.login_id, "effective_on": day.isoformat()})
    assert response.status_code == 302
    transfer = Transfer.objects.get(person=examinee)
    assert transfer.kind == Transfer.Kind.EXAMINEE_IN
    assert transfer.from_organization == organization
    assert transfer.history_consent is None
    assert AuditEntry.objects.filter(action="transfer.examinee_in.file").exists()
    # The old school never sees the arrival request.
    assert not transfers_of(organization).exists()


def test_an_unknown_login_id_is_refused_and_no_account_is_made(client_of, foreign_teacher, teacher):
    url = reverse("classrooms:transfer_examinee_arrival")
    day = today() + datetime.timedelta(days=5)
    users = User.objects.count()
    for login_id in ("nobody-here", teacher.login_id):
        response = client_of(foreign_teacher).post(url, {"login_id": login_id, "effective_on": day.isoformat()})
        assert response.status_code == 200
        assert response.context["form"].non_field_errors()
    assert User.objects.count() == users
    assert not Transfer.objects.exists()


def test_the_examinee_sees_the_request_and_answers(foreign_teacher, examinee, other_organization):
    transfer = file_arrival(foreign_teacher, examinee)
    client = Client()
    client.force_login(examinee)
    page = client.get(reverse("classrooms:examinee_home")).content.decode()
    assert other_organization.name in page
    assert answer(examinee, transfer, "yes").status_code == 302
    transfer.refresh_from_db()
    assert transfer.history_consent is True
    answer(examinee, transfer, "no")
    transfer.refresh_from_db()
    assert transfer.history_consent is False
    assert (
        AuditEntry.objects.filter(action="transfer.examinee_in.consent", organization=other_organization).count() == 2
    )


def test_only_the_person_asked_may_answer(client, client_of, foreign_teacher, examinee, examinee_of_other_class):
    transfer = file_arrival(foreign_teacher, examinee)
    url = reverse("classrooms:examinee_history_consent", args=[transfer.pk])
    assert client.post(url, {"consent": "yes"}).status_code == 302  # anonymous: sign in
    for outsider in (examinee_of_other_class, foreign_teacher):
        assert client_of(outsider).post(url, {"consent": "yes"}).status_code == 404
    transfer.refresh_from_db()
    assert transfer.history_consent is None


@pytest.mark.parametrize("consent", [True, False])
def test_approval_starts_a_membership_in_the_new_school_on_the_date(
    monkeypatch, consent, foreign_teacher, foreign_org_admin, examinee, teacher, org_admin, enrollment, organization
):
    transfer = file_arrival(foreign_teacher, examinee)
    transfer_services.transfer_consent(transfer=transfer, consent=consent, by=examinee)
    leave_old_school(transfer, teacher, org_admin, enrollment)
    transfer_services.transfer_approve(transfer=transfer, by=foreign_org_admin)
    new_school = transfer.to_organization
    assert Membership.objects.filter(user=examinee).count() == 2  # the same account, one membership per school
    assert User.objects.filter(name=examinee.name).count() == 1
    assert not members_of(new_school, User.Role.EXAMINEE).filter(pk=examinee.pk).exists()  # not yet

    freeze(monkeypatch, transfer.effective_on)
    assert members_of(new_school, User.Role.EXAMINEE).filter(pk=examinee.pk).exists()
    assert not members_of(organization, User.Role.EXAMINEE).filter(pk=examinee.pk).exists()
    expected = transfer.effective_on if consent else None
    assert history_shared_until(examinee, new_school) == expected


def test_approval_is_refused_while_the_old_membership_goes_on(
    foreign_teacher, foreign_org_admin, examinee, other_organization
):
    transfer = file_arrival(foreign_teacher, examinee)
    with pytest.raises(ServiceError):
        transfer_services.transfer_approve(transfer=transfer, by=foreign_org_admin)
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.PENDING
    assert not Membership.objects.filter(user=examinee, organization=other_organization).exists()


def test_only_the_new_schools_org_admin_approves(client_of, foreign_teacher, examinee, org_admin, teacher):
    transfer = file_arrival(foreign_teacher, examinee)
    for outsider in (org_admin, teacher, foreign_teacher):
        assert (
            client_of(outsider).post(reverse("classrooms:orgadmin_transfer_approve", args=[transfer.pk])).status_code
            == 404
        )


def test_the_arrival_form_is_for_teachers_and_org_admins(client, client_of, examinee, teacher, org_admin, operator):
    url = reverse("classrooms:transfer_examinee_arrival")
    assert client.get(url).status_code == 302
    assert client_of(examinee).get(url).status_code == 404
    assert client_of(teacher).get(url).status_code == 200
    assert client_of(org_admin).get(url).status_code == 200
