"""An examinee arrives (docs/design.md §7): filed by the new school, answered by the examinee, approved by its org admin."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from classrooms import transfers as transfer_services
from classrooms.access import history_shared_until, members_of, transfers_of
from classrooms.models import AuditEntry, Membership, Transfer, User
from classrooms.schoolyear import today
from config.errors import ServiceError
from tests.conftest import freeze

pytestmark = pytest.mark.django_db


def file_arrival(foreign_teacher, examinee, departure: Transfer, days_ahead: int = 7) -> Transfer:
    return transfer_services.transfer_file_examinee_in(
        organization=foreign_teacher.memberships.get().organization,
        login_id=examinee.login_id,
        code=departure.issued_code,
        effective_on=today() + datetime.timedelta(days=days_ahead),
        reason="転居",
        by=foreign_teacher,
    )


def answer(examinee, transfer, value: str):
    client = Client()
    client.force_login(examinee)
    return client.post(reverse("classrooms:examinee_history_consent", args=[transfer.pk]), {"consent": value})


def test_the_new_school_files_with_the_login_id_and_code_after_confirming(
    client_of, foreign_teacher, examinee, organization, departure
):
    url = reverse("classrooms:transfer_examinee_arrival")
    day = departure.effective_on + datetime.timedelta(days=1)
    typed = {"login_id": examinee.login_id, "code": departure.issued_code, "effective_on": day.isoformat()}
    client = client_of(foreign_teacher)
    confirmation = client.post(url, typed)
    assert confirmation.status_code == 200
    assert examinee.name in confirmation.content.decode()  # a matching pair names the examinee
    assert not Transfer.objects.filter(kind=Transfer.Kind.EXAMINEE_IN).exists()  # nothing filed yet
    response = client.post(url, {**typed, "confirm": "1"})
    assert response.status_code == 302
    transfer = Transfer.objects.get(person=examinee, kind=Transfer.Kind.EXAMINEE_IN)
    assert transfer.from_organization == organization
    assert transfer.departure == departure
    assert transfer.history_consent is None
    departure.refresh_from_db()
    assert departure.code_used_at is not None
    assert AuditEntry.objects.filter(action="transfer.examinee_in.file").exists()
    # The old school never sees the arrival.
    assert not transfers_of(organization).filter(kind=Transfer.Kind.EXAMINEE_IN).exists()


def test_an_unknown_login_id_is_refused_and_no_account_is_made(client_of, foreign_teacher, teacher, departure):
    url = reverse("classrooms:transfer_examinee_arrival")
    day = today() + datetime.timedelta(days=10)
    users = User.objects.count()
    for login_id in ("nobody-here", teacher.login_id):
        response = client_of(foreign_teacher).post(
            url, {"login_id": login_id, "code": departure.issued_code, "effective_on": day.isoformat()}
        )
        assert response.status_code == 200
        assert response.context["refusal"]
    assert User.objects.count() == users
    assert not Transfer.objects.filter(kind=Transfer.Kind.EXAMINEE_IN).exists()


def test_an_arrival_before_the_leaving_date_is_refused_and_keeps_the_code(foreign_teacher, examinee, departure):
    with pytest.raises(ServiceError) as refused:
        file_arrival(foreign_teacher, examinee, departure, days_ahead=6)
    assert refused.value.code == "date_before_departure"
    departure.refresh_from_db()
    assert departure.code_used_at is None
    assert file_arrival(foreign_teacher, examinee, departure, days_ahead=7).status == Transfer.Status.PENDING


def test_the_examinee_sees_the_request_and_answers(foreign_teacher, examinee, other_organization, departure):
    transfer = file_arrival(foreign_teacher, examinee, departure)
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


def test_only_the_person_asked_may_answer(
    client, client_of, foreign_teacher, examinee, examinee_of_other_class, departure
):
    transfer = file_arrival(foreign_teacher, examinee, departure)
    url = reverse("classrooms:examinee_history_consent", args=[transfer.pk])
    assert client.post(url, {"consent": "yes"}).status_code == 302  # anonymous: sign in
    for outsider in (examinee_of_other_class, foreign_teacher):
        assert client_of(outsider).post(url, {"consent": "yes"}).status_code == 404
    transfer.refresh_from_db()
    assert transfer.history_consent is None


@pytest.mark.parametrize("consent", [True, False])
def test_approval_starts_a_membership_in_the_new_school_on_the_date(
    monkeypatch, consent, foreign_teacher, foreign_org_admin, examinee, departure, organization
):
    transfer = file_arrival(foreign_teacher, examinee, departure)
    transfer_services.transfer_consent(transfer=transfer, consent=consent, by=examinee)
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


def test_an_arrival_filed_without_a_code_asks_the_examinee_nothing(client_of, examinee, foreign_teacher):
    """An arrival from before transfer codes (a login id was enough) never reaches the examinee."""
    Transfer.objects.create(
        kind=Transfer.Kind.EXAMINEE_IN,
        person=examinee,
        to_organization=foreign_teacher.memberships.get().organization,
        effective_on=today(),
        filed_by=foreign_teacher,
    )
    response = client_of(examinee).get(reverse("classrooms:examinee_home"))
    assert not response.context["transfer_requests"]


def test_only_the_new_schools_org_admin_approves(client_of, foreign_teacher, examinee, org_admin, teacher, departure):
    transfer = file_arrival(foreign_teacher, examinee, departure)
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
