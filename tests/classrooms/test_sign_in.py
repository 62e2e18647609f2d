"""Sign-in by login id, the forced first password change, and lockouts by suspension."""

from __future__ import annotations

import pytest
from django.urls import reverse

from classrooms import services
from classrooms.models import AuditEntry, Membership, Organization, User
from classrooms.schoolyear import today
from config import settings as project_settings
from operations.contracts import contract_suspend, contract_terminate
from tests.conftest import PASSWORD, pass_second_factor

pytestmark = pytest.mark.django_db


def sign_in(client, login_id: str, password: str = PASSWORD):
    return client.post(reverse("classrooms:login"), {"username": login_id, "password": password})


def test_it_signs_in_by_login_id_and_sends_each_role_home(client, teacher, org_admin, examinee):
    for user, home in (
        (teacher, "classrooms:teacher_class_list"),
        (org_admin, "classrooms:orgadmin_teacher_list"),
        (examinee, "classrooms:examinee_home"),
    ):
        client.logout()
        response = sign_in(client, user.login_id.upper())  # login ids are case-insensitive
        assert response.status_code == 302
        assert client.get(reverse("classrooms:home")).url == reverse(home)


def test_it_hashes_passwords_with_argon2(settings, teacher):
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS  # the conftest swapped in a fast one
    teacher.set_password("another-long-password")
    assert teacher.password.startswith("argon2$")
    assert teacher.check_password("another-long-password")


def test_wrong_password_gets_a_clear_error(client, teacher):
    response = sign_in(client, teacher.login_id, "nope")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].non_field_errors()


def test_issued_account_must_choose_a_new_password_first(client, school_class, teacher):
    [credential] = services.examinees_issue(
        school_class=school_class, rows=[services.RosterRow(name="新人")], by=teacher
    )
    assert sign_in(client, credential.user.login_id, credential.password).status_code == 302

    assert client.get(reverse("classrooms:examinee_home")).url == reverse("classrooms:password_change_required")
    response = client.post(
        reverse("classrooms:password_change_required"),
        {"new_password1": "sakura-blossom-77", "new_password2": "sakura-blossom-77"},
    )
    assert response.status_code == 302
    assert client.get(reverse("classrooms:examinee_home")).status_code == 200  # still signed in, now free to go
    credential.user.refresh_from_db()
    assert not credential.user.must_change_password
    assert credential.user.check_password("sakura-blossom-77")
    entry = AuditEntry.objects.get(action="password.change")
    assert "sakura-blossom-77" not in str(entry.details)
    assert credential.password not in str(entry.details)


def test_weak_new_password_is_refused(client_of, school_class, teacher):
    [credential] = services.examinees_issue(
        school_class=school_class, rows=[services.RosterRow(name="新人")], by=teacher
    )
    client = client_of(credential.user)
    response = client.post(
        reverse("classrooms:password_change_required"), {"new_password1": "1234", "new_password2": "1234"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    credential.user.refresh_from_db()
    assert credential.user.must_change_password


def test_suspension_ends_existing_sessions_at_once(client_of, teacher, org_admin):
    client = client_of(teacher)
    assert client.get(reverse("classrooms:teacher_class_list")).status_code == 200

    services.user_set_active(user=teacher, active=False, by=org_admin)

    response = client.get(reverse("classrooms:teacher_class_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("classrooms:login"))
    assert sign_in(client, teacher.login_id).status_code == 200  # and cannot sign in again


def test_reactivation_does_not_revive_old_sessions(client_of, teacher, org_admin):
    client = client_of(teacher)
    services.user_set_active(user=teacher, active=False, by=org_admin)
    services.user_set_active(user=teacher, active=True, by=org_admin)
    assert client.get(reverse("classrooms:teacher_class_list")).status_code == 302
    assert sign_in(client, teacher.login_id).status_code == 302  # signing in afresh works


@pytest.mark.parametrize("status", [Organization.Status.SUSPENDED, Organization.Status.TERMINATED])
def test_suspended_or_terminated_organization_locks_every_account_out(
    client_of, organization, teacher, operator, status
):
    client = client_of(teacher)
    if status == Organization.Status.SUSPENDED:
        contract_suspend(organization=organization, by=operator)
    else:
        contract_terminate(organization=organization, by=operator)
    response = client.get(reverse("classrooms:teacher_class_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("classrooms:login"))
    assert sign_in(client, teacher.login_id).status_code == 200


def test_ended_membership_locks_the_account_out_of_the_organization(client_of, teacher):
    client = client_of(teacher)
    Membership.objects.filter(user=teacher).update(ends_on=today())
    assert client.get(reverse("classrooms:teacher_class_list")).status_code == 302


def test_operator_belongs_to_no_organization_and_reaches_the_console(client, operator):
    assert sign_in(client, operator.login_id).status_code == 302
    # The console waits for the second factor (tests/classrooms/test_two_factor.py).
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("classrooms:two_factor_setup"))
    pass_second_factor(client, operator)
    assert client.get(reverse("admin:index")).status_code == 200


def test_sign_out_is_a_post(client_of, teacher):
    client = client_of(teacher)
    assert client.get(reverse("classrooms:logout")).status_code == 405
    assert client.post(reverse("classrooms:logout")).status_code == 302
    assert client.get(reverse("classrooms:teacher_class_list")).status_code == 302


def test_pupil_cannot_reach_staff_screens(client_of, examinee):
    client = client_of(examinee)
    assert client.get(reverse("classrooms:teacher_class_list")).status_code == 404
    assert client.get(reverse("classrooms:orgadmin_teacher_list")).status_code == 404
    assert User.objects.get(pk=examinee.pk).is_examinee
