"""The console's contract pages ask, say what will happen, and only then act (docs/design.md §8.1).

The org admin is warned once the contract's end is known.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from classrooms.models import AuditEntry, Organization, term_end_after
from classrooms.schoolyear import today
from operations import contracts

pytestmark = pytest.mark.django_db


def step_url(organization: Organization, step: str) -> str:
    return reverse("admin:classrooms_organization_contract", args=[organization.pk, step])


def ja(client):
    client.cookies.load({"django_language": "ja"})
    return client


def test_approving_asks_the_start_then_confirms_then_starts_the_contract(client_of, operator):
    pending = Organization.objects.create(name="ひかり高校", code="hikari", unit_price=250)
    client = client_of(operator)
    start = today().isoformat()
    form_page = client.get(step_url(pending, "approve"))
    assert "starts_on" in form_page.context["form"].fields
    confirm = client.post(step_url(pending, "approve"), {"starts_on": start})
    assert confirm.status_code == 200
    assert any("250" in line for line in confirm.context["consequences"])
    pending.refresh_from_db()
    assert pending.status == Organization.Status.PENDING, "nothing changes before the confirmation"
    done = client.post(step_url(pending, "approve"), {"starts_on": start, "confirmed": "yes"})
    assert done.status_code == 302
    pending.refresh_from_db()
    assert pending.is_in_service_on(today())
    assert pending.contract_terms.count() == 1
    assert AuditEntry.objects.filter(organization=pending, action="organization.approved", actor=operator).exists()


def test_suspending_names_the_accounts_locked_out_before_doing_it(client_of, operator, organization, teacher, examinee):
    client = ja(client_of(operator))
    page = client.get(step_url(organization, "suspend"))
    assert page.status_code == 200
    assert "2件のアカウント" in page.content.decode()  # the teacher and the examinee
    organization.refresh_from_db()
    assert organization.status == Organization.Status.APPROVED
    client.post(step_url(organization, "suspend"), {"confirmed": "yes"})
    organization.refresh_from_db()
    assert organization.status == Organization.Status.SUSPENDED


def test_terminating_shows_the_end_and_the_deletion_date(client_of, operator, organization, teacher, settings):
    settings.DATA_RETENTION_DAYS = 30
    last_day = today() + datetime.timedelta(days=10)
    client = ja(client_of(operator))
    page = client.post(step_url(organization, "terminate"), {"on": last_day.isoformat()}).content.decode()
    deletion = last_day + datetime.timedelta(days=30)
    assert jdate(deletion) in page
    assert "1件のアカウント" in page
    organization.refresh_from_db()
    assert organization.ended_on is None
    client.post(step_url(organization, "terminate"), {"on": last_day.isoformat(), "confirmed": "yes"})
    organization.refresh_from_db()
    assert organization.ended_on == last_day
    assert organization.data_deletion_date() == deletion


def test_a_step_that_does_not_apply_changes_nothing(client_of, operator, organization):
    response = client_of(operator).post(step_url(organization, "reinstate"), {"confirmed": "yes"})
    assert response.status_code == 302
    assert not AuditEntry.objects.filter(organization=organization, action="organization.reinstated").exists()


def test_a_bad_date_is_shown_on_the_form_and_nothing_changes(client_of, operator, organization):
    response = client_of(operator).post(step_url(organization, "terminate"), {"on": "not a day", "confirmed": "yes"})
    assert response.status_code == 200
    assert response.context["form"].errors
    organization.refresh_from_db()
    assert organization.status == Organization.Status.APPROVED


def jdate(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def test_notice_in_time_names_the_current_term_end(client_of, operator, organization):
    page = ja(client_of(operator)).post(step_url(organization, "notice"), {"on": today().isoformat()})
    lines = page.context["consequences"]
    assert jdate(organization.contract_ends_on()) in lines[0]
    assert len(lines) == 4  # the end, the accounts locked out, from when, the deletion date


def test_late_notice_says_the_contract_renews_once_more(client_of, operator):
    pending = Organization.objects.create(name="おそい小学校", code="osoi")
    organization = contracts.contract_approve(
        organization=pending, starts_on=today() - datetime.timedelta(days=360), by=operator
    )
    next_end = term_end_after(organization.contract_ends_on() + datetime.timedelta(days=1))
    page = ja(client_of(operator)).post(step_url(organization, "notice"), {"on": today().isoformat()})
    lines = page.context["consequences"]
    assert jdate(next_end) in lines[0]
    assert jdate(organization.contract_ends_on()) in lines[1]  # less than a month before this end
    assert len(lines) == 5


def test_there_are_no_bulk_actions_on_organizations(client_of, operator, organization):
    page = client_of(operator).get(reverse("admin:classrooms_organization_changelist"))
    assert page.context["action_form"] is None
    assert step_url(organization, "suspend") in page.content.decode()


def test_the_organization_page_shows_the_contract_in_japanese(client_of, operator, organization):
    page = ja(client_of(operator)).get(reverse("admin:classrooms_organization_change", args=[organization.pk]))
    html = page.content.decode()
    term = organization.contract_terms.get()
    assert f"{term.starts_on.year}年{term.starts_on.month}月{term.starts_on.day}日" in html
    assert "自動更新" in html
    assert "300円" in html
    assert "None" not in html
    for step in ("suspend", "notice", "terminate", "unit-price", "renew"):
        assert step_url(organization, step) in html


@pytest.mark.parametrize("persona", ["org_admin", "teacher"])
def test_the_contract_pages_are_for_operators_only(client_of, request, persona, organization):
    response = client_of(request.getfixturevalue(persona)).post(step_url(organization, "suspend"), {"confirmed": "yes"})
    assert response.status_code == 302  # the admin sends non-staff to its own sign-in
    organization.refresh_from_db()
    assert organization.status == Organization.Status.APPROVED


def test_the_org_admin_is_warned_once_the_end_is_known(client_of, operator, organization, org_admin, settings):
    settings.DATA_RETENTION_DAYS = 90
    client = ja(client_of(org_admin))
    url = reverse("classrooms:orgadmin_teacher_list")
    assert "契約は" not in client.get(url).content.decode()
    last_day = today() + datetime.timedelta(days=20)
    contracts.contract_terminate(organization=organization, on=last_day, by=operator)
    html = client.get(url).content.decode()
    deletion = last_day + datetime.timedelta(days=90)
    assert f"契約は{last_day.year}年{last_day.month}月{last_day.day}日に終了します。" in html
    assert f"{deletion.year}年{deletion.month}月{deletion.day}日以降、学校のデータは削除されます。" in html


def test_teachers_do_not_see_the_contract_warning(client_of, operator, organization, teacher):
    contracts.contract_terminate(organization=organization, on=today() + datetime.timedelta(days=20), by=operator)
    html = ja(client_of(teacher)).get(reverse("classrooms:teacher_class_list")).content.decode()
    assert "学校のデータは削除されます" not in html


def test_the_warning_costs_no_query(client_of, operator, organization, org_admin):
    client = client_of(org_admin)
    url = reverse("classrooms:orgadmin_teacher_list")
    client.get(url)
    with CaptureQueriesContext(connection) as without_warning:
        client.get(url)
    contracts.contract_terminate(organization=organization, on=today() + datetime.timedelta(days=20), by=operator)
    with CaptureQueriesContext(connection) as with_warning:
        html = client.get(url).content.decode()
    assert "contract-warning" in html
    assert len(with_warning) == len(without_warning)


def test_a_new_organization_starts_pending_with_its_unit_price(client_of, operator):
    client = client_of(operator)
    assert client.get(reverse("admin:classrooms_organization_add")).status_code == 200
    response = client.post(
        reverse("admin:classrooms_organization_add"),
        {"name": "そら小学校", "code": "sora", "school_type": "elementary", "unit_price": "280"},
    )
    assert response.status_code == 302
    created = Organization.objects.get(code="sora")
    assert (created.status, created.unit_price, created.school_type) == (Organization.Status.PENDING, 280, "elementary")
    page = client.get(reverse("admin:classrooms_organization_change", args=[created.pk])).content.decode()
    assert step_url(created, "approve") in page
    assert 'name="unit_price"' not in page, "a price changes only on its own page once the organization exists"


def test_renewing_when_nothing_is_due_says_so_and_changes_nothing(client_of, operator, organization):
    response = client_of(operator).get(step_url(organization, "renew"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:classrooms_organization_change", args=[organization.pk])
    assert organization.contract_terms.count() == 1


def test_renewing_a_late_contract_records_the_due_term(client_of, operator):
    pending = Organization.objects.create(name="おそい小学校", code="osoi", unit_price=300)
    organization = contracts.contract_approve(
        organization=pending, starts_on=today() - datetime.timedelta(days=400), by=operator
    )
    organization.contract_terms.order_by("-starts_on").first().delete()  # as if the daily run had missed it
    client = client_of(operator)
    page = client.get(step_url(organization, "renew"))
    assert len(page.context["consequences"]) == 1
    client.post(step_url(organization, "renew"), {"confirmed": "yes"})
    assert organization.contract_terms.count() == 2
