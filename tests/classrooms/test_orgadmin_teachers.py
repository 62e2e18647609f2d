"""The org admin's teacher screens: list, issue, suspend, reactivate, new password."""

from __future__ import annotations

import datetime
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from classrooms import services
from classrooms.models import AuditEntry, Membership, SchoolClass, User
from classrooms.schoolyear import current_school_year, today
from config.errors import ServiceError
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

TEACHER_ACTIONS = [
    "classrooms:orgadmin_teacher_suspend",
    "classrooms:orgadmin_teacher_reactivate",
    "classrooms:orgadmin_teacher_password",
]


def signed_in(user: User) -> Client:
    """A client of its own, so one test can hold the admin's and the teacher's sessions at once."""
    client = Client()
    client.force_login(user)
    return client


def sign_in(login_id: str, password: str = PASSWORD):
    return Client().post(reverse("classrooms:login"), {"username": login_id, "password": password})


# --- Who gets in ---------------------------------------------------------------------------


def test_the_org_admin_gets_the_teacher_screens(client_of, org_admin):
    client = client_of(org_admin)
    assert client.get(reverse("classrooms:orgadmin_teacher_list")).status_code == 200
    assert client.get(reverse("classrooms:orgadmin_teacher_issue")).status_code == 200


@pytest.mark.parametrize("outsider", ["teacher", "examinee", "operator"])
def test_404_when_someone_else_opens_the_teacher_screens(request, client_of, outsider):
    client = client_of(request.getfixturevalue(outsider))
    assert client.get(reverse("classrooms:orgadmin_teacher_list")).status_code == 404
    assert client.get(reverse("classrooms:orgadmin_teacher_issue")).status_code == 404
    assert client.post(reverse("classrooms:orgadmin_teacher_issue"), {"name": "X"}).status_code == 404
    assert not User.objects.filter(name="X").exists()


@pytest.mark.parametrize("action", TEACHER_ACTIONS)
@pytest.mark.parametrize("outsider", ["teacher", "other_teacher", "foreign_org_admin"])
def test_404_when_someone_else_acts_on_a_teacher(request, client_of, teacher, action, outsider):
    client = client_of(request.getfixturevalue(outsider))
    assert client.post(reverse(action, args=[teacher.pk])).status_code == 404
    teacher.refresh_from_db()
    assert teacher.is_active
    assert teacher.check_password(PASSWORD)
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("action", TEACHER_ACTIONS)
def test_404_when_the_org_admin_acts_on_another_orgs_teacher(client_of, org_admin, foreign_teacher, action):
    assert client_of(org_admin).post(reverse(action, args=[foreign_teacher.pk])).status_code == 404
    foreign_teacher.refresh_from_db()
    assert foreign_teacher.is_active
    assert foreign_teacher.check_password(PASSWORD)


@pytest.mark.parametrize("action", TEACHER_ACTIONS)
@pytest.mark.parametrize("target", ["examinee", "foreign_org_admin", "operator"])
def test_404_when_the_target_is_not_a_teacher_of_the_org(request, client_of, org_admin, action, target):
    person = request.getfixturevalue(target)
    assert client_of(org_admin).post(reverse(action, args=[person.pk])).status_code == 404
    person.refresh_from_db()
    assert person.is_active


@pytest.mark.parametrize("action", TEACHER_ACTIONS)
def test_404_when_the_teachers_membership_has_ended(client_of, org_admin, teacher, action):
    Membership.objects.filter(user=teacher).update(ends_on=today())
    assert client_of(org_admin).post(reverse(action, args=[teacher.pk])).status_code == 404


@pytest.mark.parametrize("action", TEACHER_ACTIONS)
def test_405_when_a_teacher_action_is_a_get(client_of, org_admin, teacher, action):
    assert client_of(org_admin).get(reverse(action, args=[teacher.pk])).status_code == 405
    teacher.refresh_from_db()
    assert teacher.is_active


def test_anonymous_is_sent_to_sign_in(client, teacher):
    responses = [
        client.get(reverse("classrooms:orgadmin_teacher_list")),
        client.get(reverse("classrooms:orgadmin_teacher_issue")),
    ]
    responses += [client.post(reverse(action, args=[teacher.pk])) for action in TEACHER_ACTIONS]
    for response in responses:
        assert response.status_code == 302
        assert response.url.startswith(reverse("classrooms:login"))
    teacher.refresh_from_db()
    assert teacher.is_active


# --- The list ------------------------------------------------------------------------------


def test_it_lists_the_teachers_active_today_with_their_classes_of_this_year(
    client_of, organization, org_admin, teacher, other_teacher, school_class, foreign_teacher, foreign_class
):
    last_year = SchoolClass.objects.create(
        organization=organization, teacher=teacher, school_year=current_school_year() - 1, name="4年1組"
    )
    departed = make_user("sakura-departed", User.Role.TEACHER, organization, name="転出 先生")
    Membership.objects.filter(user=departed).update(ends_on=today())

    response = client_of(org_admin).get(reverse("classrooms:orgadmin_teacher_list"))

    teachers = list(response.context["teachers"])
    assert teachers == [other_teacher, teacher]  # by kana: さとう, やまだ
    assert teachers[1].current_classes == [school_class]
    assert teachers[0].current_classes == []
    content = response.content.decode()
    assert teacher.name in content
    assert other_teacher.name in content
    assert reverse("classrooms:orgadmin_class_detail", args=[school_class.pk]) in content
    assert reverse("classrooms:orgadmin_class_detail", args=[last_year.pk]) not in content
    for absent in (departed.name, foreign_teacher.name, foreign_class.name):
        assert absent not in content


def test_it_lists_the_org_admins_apart_and_read_only(client_of, org_admin, teacher, foreign_org_admin):
    response = client_of(org_admin).get(reverse("classrooms:orgadmin_teacher_list"))
    assert list(response.context["org_admins"]) == [org_admin]
    content = response.content.decode()
    assert reverse("classrooms:orgadmin_teacher_suspend", args=[org_admin.pk]) not in content
    assert reverse("classrooms:orgadmin_teacher_suspend", args=[teacher.pk]) in content
    assert foreign_org_admin.name not in content


def test_it_offers_reactivation_for_a_suspended_teacher(client_of, org_admin, teacher):
    services.user_set_active(user=teacher, active=False, by=org_admin)
    content = client_of(org_admin).get(reverse("classrooms:orgadmin_teacher_list")).content.decode()
    assert 'class="badge suspended"' in content
    assert reverse("classrooms:orgadmin_teacher_reactivate", args=[teacher.pk]) in content
    assert reverse("classrooms:orgadmin_teacher_suspend", args=[teacher.pk]) not in content


def test_the_list_takes_a_constant_number_of_queries(client_of, organization, org_admin, teacher, school_class):
    client = client_of(org_admin)
    client.get(reverse("classrooms:orgadmin_teacher_list"))  # warm up the session
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("classrooms:orgadmin_teacher_list"))
    for number in range(3):
        colleague = make_user(f"sakura-t{number}", User.Role.TEACHER, organization)
        SchoolClass.objects.create(
            organization=organization, teacher=colleague, school_year=current_school_year(), name=f"6年{number}組"
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("classrooms:orgadmin_teacher_list"))
    assert len(response.context["teachers"]) == 4
    assert len(many) == len(few)


# --- Issuing -------------------------------------------------------------------------------


def test_it_issues_a_teacher_who_must_choose_a_password(client_of, organization, org_admin):
    client = client_of(org_admin)
    response = client.post(
        reverse("classrooms:orgadmin_teacher_issue"),
        {"name": "高橋 先生", "kana": "たかはし", "login_id": "sakura-takahashi"},
    )

    assert response.status_code == 200
    templates = {template.name for template in response.templates}
    assert "classrooms/slips.html" in templates
    assert "classrooms/orgadmin/teacher_issue.html" not in templates
    [credential] = response.context["credentials"]
    new = User.objects.get(login_id="sakura-takahashi")
    assert credential.user == new
    assert (new.role, new.name, new.kana) == (User.Role.TEACHER, "高橋 先生", "たかはし")
    assert new.must_change_password
    assert new.is_active
    assert new.check_password(credential.password)
    assert Membership.objects.active_on(today()).get(user=new).organization == organization
    assert credential.password in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_the_initial_password_is_shown_only_once(client_of, org_admin):
    client = client_of(org_admin)
    response = client.post(reverse("classrooms:orgadmin_teacher_issue"), {"name": "高橋 先生"})
    [credential] = response.context["credentials"]

    later = client.get(reverse("classrooms:orgadmin_teacher_list")).content.decode()

    assert credential.user.name in later
    assert credential.password not in later


def test_it_generates_a_login_id_when_none_is_given(client_of, org_admin):
    response = client_of(org_admin).post(reverse("classrooms:orgadmin_teacher_issue"), {"name": "高橋 先生"})
    [credential] = response.context["credentials"]
    assert credential.user.login_id.startswith("sakura-")


def test_issuing_is_in_the_audit_log_without_the_password(client_of, organization, org_admin):
    response = client_of(org_admin).post(reverse("classrooms:orgadmin_teacher_issue"), {"name": "高橋 先生"})
    [credential] = response.context["credentials"]

    entry = AuditEntry.objects.get(action="teacher.issue")

    assert (entry.organization, entry.actor, entry.target_id) == (organization, org_admin, str(credential.user.pk))
    stored = json.dumps([entry.actor_label, entry.target_label, entry.details, entry.target_type], ensure_ascii=False)
    assert credential.password not in stored


def test_nothing_is_created_when_the_login_id_is_taken(client_of, org_admin, teacher):
    users = User.objects.count()
    response = client_of(org_admin).post(
        reverse("classrooms:orgadmin_teacher_issue"), {"name": "X", "login_id": teacher.login_id}
    )
    assert response.status_code == 200
    assert response.context["form"].has_error("login_id")
    assert 'role="alert"' in response.content.decode()
    assert User.objects.count() == users
    assert not AuditEntry.objects.exists()


def test_nothing_is_created_when_the_name_is_missing(client_of, org_admin):
    users = User.objects.count()
    response = client_of(org_admin).post(
        reverse("classrooms:orgadmin_teacher_issue"), {"name": "", "login_id": "sakura-new"}
    )
    assert response.context["form"].has_error("name")
    assert User.objects.count() == users


def test_a_refusal_of_the_service_is_shown_and_nothing_is_created(client_of, org_admin, monkeypatch):
    def refuse(**kwargs):
        raise ServiceError("The login id sakura-late is already taken.", code="login_taken")

    monkeypatch.setattr(services, "member_issue", refuse)
    users = User.objects.count()
    response = client_of(org_admin).post(
        reverse("classrooms:orgadmin_teacher_issue"), {"name": "X", "login_id": "sakura-late"}
    )
    assert response.status_code == 200
    assert "The login id sakura-late is already taken." in response.content.decode()
    assert User.objects.count() == users


# --- Suspending and reactivating -----------------------------------------------------------


def test_a_suspended_teacher_loses_their_open_session_at_once(org_admin, teacher):
    teacher_client = signed_in(teacher)
    assert teacher_client.get(reverse("classrooms:teacher_class_list")).status_code == 200

    response = signed_in(org_admin).post(reverse("classrooms:orgadmin_teacher_suspend", args=[teacher.pk]))

    assert response.status_code == 302
    assert response.url == reverse("classrooms:orgadmin_teacher_list")
    teacher.refresh_from_db()
    assert not teacher.is_active
    after = teacher_client.get(reverse("classrooms:teacher_class_list"))
    assert after.status_code == 302
    assert after.url.startswith(reverse("classrooms:login"))


def test_a_session_ended_by_suspension_stays_ended_after_reactivation(org_admin, teacher):
    teacher_client = signed_in(teacher)
    admin_client = signed_in(org_admin)
    admin_client.post(reverse("classrooms:orgadmin_teacher_suspend", args=[teacher.pk]))
    admin_client.post(reverse("classrooms:orgadmin_teacher_reactivate", args=[teacher.pk]))

    response = teacher_client.get(reverse("classrooms:teacher_class_list"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("classrooms:login"))


def test_a_suspended_teacher_cannot_sign_in(client_of, org_admin, teacher):
    client_of(org_admin).post(reverse("classrooms:orgadmin_teacher_suspend", args=[teacher.pk]))
    response = sign_in(teacher.login_id)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()


def test_suspension_is_in_the_audit_log(client_of, organization, org_admin, teacher):
    client = client_of(org_admin)
    client.post(reverse("classrooms:orgadmin_teacher_suspend", args=[teacher.pk]))

    entry = AuditEntry.objects.get(action="teacher.suspend")
    assert (entry.organization, entry.actor, entry.target_id) == (organization, org_admin, str(teacher.pk))
    [row] = client.get(reverse("classrooms:orgadmin_audit_log")).context["rows"]
    assert (row.action, row.target) == (str(AuditEntry.action_label("teacher.suspend")), str(teacher))


def test_reactivating_restores_sign_in(client_of, org_admin, teacher):
    client = client_of(org_admin)
    client.post(reverse("classrooms:orgadmin_teacher_suspend", args=[teacher.pk]))
    assert sign_in(teacher.login_id).status_code == 200  # refused, form shown again

    response = client.post(reverse("classrooms:orgadmin_teacher_reactivate", args=[teacher.pk]))

    assert response.status_code == 302
    teacher.refresh_from_db()
    assert teacher.is_active
    assert sign_in(teacher.login_id).status_code == 302
    assert AuditEntry.objects.filter(action="teacher.reactivate", target_id=str(teacher.pk)).exists()


def test_it_swaps_the_row_when_suspending_with_htmx(client_of, org_admin, teacher, school_class):
    response = client_of(org_admin).post(
        reverse("classrooms:orgadmin_teacher_suspend", args=[teacher.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert content.strip().startswith(f'<tr id="teacher-{teacher.pk}">')
    assert 'class="badge suspended"' in content
    assert school_class.name in content
    assert reverse("classrooms:orgadmin_teacher_reactivate", args=[teacher.pk]) in content
    teacher.refresh_from_db()
    assert not teacher.is_active


def test_it_swaps_the_row_when_reactivating_with_htmx(client_of, org_admin, teacher):
    services.user_set_active(user=teacher, active=False, by=org_admin)
    response = client_of(org_admin).post(
        reverse("classrooms:orgadmin_teacher_reactivate", args=[teacher.pk]), headers={"HX-Request": "true"}
    )
    assert 'class="badge active"' in response.content.decode()
    teacher.refresh_from_db()
    assert teacher.is_active


# --- New password ----------------------------------------------------------------------------


def test_it_reissues_a_password_shown_once_on_a_slip(client_of, organization, org_admin, teacher):
    response = client_of(org_admin).post(reverse("classrooms:orgadmin_teacher_password", args=[teacher.pk]))

    assert response.status_code == 200
    [credential] = response.context["credentials"]
    assert credential.user == teacher
    assert response.context["organization"] == organization
    assert credential.password in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    teacher.refresh_from_db()
    assert teacher.check_password(credential.password)
    assert not teacher.check_password(PASSWORD)
    assert teacher.must_change_password
    entry = AuditEntry.objects.get(action="password.reissue")
    assert entry.organization == organization
    assert credential.password not in json.dumps(entry.details)


def test_the_reissued_password_signs_in(client_of, org_admin, teacher):
    response = client_of(org_admin).post(reverse("classrooms:orgadmin_teacher_password", args=[teacher.pk]))
    [credential] = response.context["credentials"]
    assert sign_in(teacher.login_id, credential.password).status_code == 302
    assert sign_in(teacher.login_id, PASSWORD).status_code == 200


def test_membership_that_started_today_counts(client_of, organization, org_admin):
    """A teacher issued today is on the list today (memberships are active from their first day)."""
    newcomer = User.objects.create_user(login_id="sakura-newcomer", role=User.Role.TEACHER, name="新任 先生")
    Membership.objects.create(user=newcomer, organization=organization, starts_on=today())
    later = User.objects.create_user(login_id="sakura-later", role=User.Role.TEACHER, name="着任予定 先生")
    Membership.objects.create(user=later, organization=organization, starts_on=today() + datetime.timedelta(days=1))
    teachers = list(client_of(org_admin).get(reverse("classrooms:orgadmin_teacher_list")).context["teachers"])
    assert newcomer in teachers
    assert later not in teachers
