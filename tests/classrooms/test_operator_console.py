"""Operators approve, suspend and terminate organizations and issue org admin accounts in the Django admin.

The contract pages themselves are tested in tests/operations/test_console_lifecycle.py.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from classrooms.models import AuditEntry, Membership, Organization, User
from classrooms.schoolyear import today

pytestmark = pytest.mark.django_db


def contract_step(organization: Organization, step: str) -> str:
    return reverse("admin:classrooms_organization_contract", args=[organization.pk, step])


def test_approval_starts_the_contract_and_is_audited(client_of, operator):
    pending = Organization.objects.create(name="ひかり高校", code="hikari")
    response = client_of(operator).post(
        contract_step(pending, "approve"), {"starts_on": today().isoformat(), "confirmed": "yes"}
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == Organization.Status.APPROVED
    assert pending.contract_starts_on == today()
    assert pending.is_in_service_on(today())
    assert AuditEntry.objects.filter(organization=pending, action="organization.approved", actor=operator).exists()


def test_suspending_from_the_console_locks_the_school_out(client_of, client, operator, organization, teacher):
    client_of(operator).post(contract_step(organization, "suspend"), {"confirmed": "yes"})
    client.force_login(teacher)
    assert client.get(reverse("classrooms:teacher_class_list")).status_code == 302


@pytest.mark.parametrize(("step", "data"), [("suspend", {}), ("terminate", {"on": "today"})])
def test_suspending_or_terminating_asks_first_naming_the_accounts_locked_out(
    client_of, operator, organization, teacher, examinee, step, data
):
    data = {key: today().isoformat() for key in data}
    response = client_of(operator).post(contract_step(organization, step), data)
    assert response.status_code == 200
    assert any("2件のアカウント" in line for line in response.context["consequences"])  # the teacher and the examinee
    assert organization.name in response.content.decode()
    organization.refresh_from_db()
    assert organization.status == Organization.Status.APPROVED, "nothing changes before the confirmation"


def test_the_console_names_its_sections_in_japanese(client_of, operator, settings):
    settings.LANGUAGE_CODE = "ja"
    page = client_of(operator).get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    for english in (">Axes<", ">Exams<", ">Proctoring<", ">Messaging<", ">Questions<"):
        assert english not in page
    assert "サインイン制限" in page


def test_it_issues_an_org_admin_with_a_one_time_password(client_of, operator, organization):
    url = reverse("admin:classrooms_organization_issue_admin", args=[organization.pk])
    response = client_of(operator).post(url, {"name": "校務 次郎", "login_id": "sakura-admin2"})
    assert response.status_code == 200
    [credential] = response.context["credentials"]
    admin = User.objects.get(login_id="sakura-admin2")
    assert admin.role == User.Role.ORG_ADMIN
    assert admin.must_change_password
    assert admin.check_password(credential.password)
    assert Membership.objects.get(user=admin).organization == organization


@pytest.mark.parametrize("persona", ["org_admin", "teacher", "examinee"])
def test_the_console_is_for_operators_only(client_of, request, persona, organization):
    client = client_of(request.getfixturevalue(persona))
    response = client.get(reverse("admin:classrooms_organization_issue_admin", args=[organization.pk]))
    assert response.status_code == 302  # the admin sends non-staff to its own sign-in
    assert not User.objects.filter(role=User.Role.ORG_ADMIN).exclude(login_id="sakura-admin").exists()


def test_audit_entries_cannot_be_changed(operator, organization):
    entry = AuditEntry.record(organization=organization, actor=operator, action="class.create")
    entry.action = "tampered"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
