"""The org admin's examinee screen: list and search, suspend, reactivate, new password (docs/design.md §1)."""

from __future__ import annotations

from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from classrooms.models import AuditEntry, User
from tests.conftest import enroll, make_user

pytestmark = pytest.mark.django_db

EXAMINEE_ACTIONS = [
    "classrooms:orgadmin_examinee_suspend",
    "classrooms:orgadmin_examinee_reactivate",
    "classrooms:orgadmin_examinee_password",
]


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_list_shows_the_examinees_of_the_school_only(
    client_of, org_admin, examinee, foreign_examinee, foreign_org_admin
):
    response = client_of(org_admin).get(reverse("classrooms:orgadmin_examinee_list"))
    content = response.content.decode()
    assert response.status_code == 200
    assert examinee.login_id in content
    assert foreign_examinee.login_id not in content
    foreign = client_of(foreign_org_admin).get(reverse("classrooms:orgadmin_examinee_list")).content.decode()
    assert foreign_examinee.login_id in foreign
    assert examinee.login_id not in foreign
    assert reverse("classrooms:orgadmin_examinee_suspend", args=[examinee.pk]) in content
    assert reverse("classrooms:orgadmin_class_detail", args=[examinee.enrollments.get().school_class_id]) in content


def test_the_list_is_searchable_by_name_and_login_id(client_of, organization, school_class, org_admin):
    hana = make_user("hana-7", User.Role.EXAMINEE, organization, name="山田 花子", kana="やまだ はなこ")
    taro = make_user("taro-8", User.Role.EXAMINEE, organization, name="佐藤 太郎", kana="さとう たろう")
    client = client_of(org_admin)
    url = reverse("classrooms:orgadmin_examinee_list")

    by_name = list(client.get(url, {"q": "花子"}).context["page"].object_list)
    by_kana = list(client.get(url, {"q": "さとう"}).context["page"].object_list)
    by_login_id = list(client.get(url, {"q": "TARO"}).context["page"].object_list)

    assert by_name == [hana]
    assert by_kana == [taro]
    assert by_login_id == [taro]


def test_the_list_is_paginated(client_of, organization, org_admin):
    for number in range(55):
        make_user(f"pupil-{number:02}", User.Role.EXAMINEE, organization, name=f"Pupil {number:02}")
    client = client_of(org_admin)
    url = reverse("classrooms:orgadmin_examinee_list")
    first = client.get(url)
    second = client.get(url, {"page": 2})
    assert len(first.context["page"].object_list) == 50
    assert len(second.context["page"].object_list) == 5
    assert 'rel="next"' in first.content.decode()


@pytest.mark.parametrize("outsider", ["teacher", "examinee", "operator"])
def test_404_for_anyone_but_the_org_admin(request, client_of, outsider):
    client = client_of(request.getfixturevalue(outsider))
    assert client.get(reverse("classrooms:orgadmin_examinee_list")).status_code == 404


@pytest.mark.parametrize("action", EXAMINEE_ACTIONS)
def test_404_for_an_examinee_of_another_organization(client_of, org_admin, foreign_examinee, action):
    response = client_of(org_admin).post(reverse(action, args=[foreign_examinee.pk]))
    assert response.status_code == 404
    foreign_examinee.refresh_from_db()
    assert foreign_examinee.is_active
    assert not AuditEntry.objects.filter(target_id=str(foreign_examinee.pk)).exists()


@pytest.mark.parametrize("action", EXAMINEE_ACTIONS)
def test_404_when_the_id_is_a_teacher_not_an_examinee(client_of, org_admin, teacher, action):
    assert client_of(org_admin).post(reverse(action, args=[teacher.pk])).status_code == 404


@pytest.mark.parametrize("action", EXAMINEE_ACTIONS)
@pytest.mark.parametrize("outsider", ["teacher", "foreign_org_admin"])
def test_404_when_someone_else_acts_on_an_examinee(request, client_of, examinee, action, outsider):
    assert client_of(request.getfixturevalue(outsider)).post(reverse(action, args=[examinee.pk])).status_code == 404
    examinee.refresh_from_db()
    assert examinee.is_active


def test_suspension_ends_the_pupils_sessions_and_sockets_at_once(organization, org_admin, examinee):
    pupil_client = signed_in(examinee)
    assert pupil_client.get(reverse("classrooms:examinee_home")).status_code == 200

    with mock.patch("classrooms.services.close_user_sockets") as close_sockets:
        response = signed_in(org_admin).post(
            reverse("classrooms:orgadmin_examinee_suspend", args=[examinee.pk]), {"q": "taro", "page": "2"}
        )

    assert response.status_code == 302
    assert response.url == reverse("classrooms:orgadmin_examinee_list") + "?q=taro&page=2"
    close_sockets.assert_called_once_with(examinee.pk)
    examinee.refresh_from_db()
    assert not examinee.is_active
    after = pupil_client.get(reverse("classrooms:examinee_home"))
    assert after.status_code == 302
    assert after.url.startswith(reverse("classrooms:login"))
    entry = AuditEntry.objects.get(action="examinee.suspend")
    assert (entry.organization, entry.actor, entry.target_id) == (organization, org_admin, str(examinee.pk))


def test_reactivation_lets_the_pupil_sign_in_again_and_is_audited(client_of, organization, org_admin, examinee):
    client = client_of(org_admin)
    client.post(reverse("classrooms:orgadmin_examinee_suspend", args=[examinee.pk]))
    listing = client.get(reverse("classrooms:orgadmin_examinee_list")).content.decode()
    assert reverse("classrooms:orgadmin_examinee_reactivate", args=[examinee.pk]) in listing

    client.post(reverse("classrooms:orgadmin_examinee_reactivate", args=[examinee.pk]))

    examinee.refresh_from_db()
    assert examinee.is_active
    assert AuditEntry.objects.filter(organization=organization, action="examinee.reactivate").count() == 1


def test_the_actions_ask_for_confirmation(client_of, org_admin, examinee):
    content = client_of(org_admin).get(reverse("classrooms:orgadmin_examinee_list")).content.decode()
    assert content.count("data-confirm=") == 2  # suspend, new password


def test_a_new_password_is_shown_once_on_a_login_card(client_of, organization, org_admin, school_class):
    pupil = make_user("pupil-card", User.Role.EXAMINEE, organization, name="カード 太郎")
    enroll(school_class, pupil, 3)
    response = client_of(org_admin).post(reverse("classrooms:orgadmin_examinee_password", args=[pupil.pk]))
    assert response.status_code == 200
    credential = response.context["credentials"][0]
    pupil.refresh_from_db()
    assert pupil.check_password(credential.password)
    assert pupil.must_change_password
    assert response.context["back_url"] == reverse("classrooms:orgadmin_examinee_list")
    assert AuditEntry.objects.filter(organization=organization, action="password.reissue").count() == 1
