"""The org admin's class screens: every class of the organization by school year, and each roster."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from classrooms.models import Enrollment, Membership, SchoolClass, User
from classrooms.schoolyear import current_school_year, today
from tests.conftest import enroll, make_user

pytestmark = pytest.mark.django_db


def counts(response) -> dict[str, int]:
    return {school_class.name: school_class.examinee_count for school_class in response.context["classes"]}


# --- Who gets in ---------------------------------------------------------------------------


def test_the_org_admin_gets_the_class_screens(client_of, org_admin, school_class):
    client = client_of(org_admin)
    assert client.get(reverse("classrooms:orgadmin_class_list")).status_code == 200
    assert client.get(reverse("classrooms:orgadmin_class_detail", args=[school_class.pk])).status_code == 200


@pytest.mark.parametrize("outsider", ["teacher", "examinee", "operator"])
def test_404_when_someone_else_opens_the_class_screens(request, client_of, school_class, outsider):
    client = client_of(request.getfixturevalue(outsider))
    assert client.get(reverse("classrooms:orgadmin_class_list")).status_code == 404
    assert client.get(reverse("classrooms:orgadmin_class_detail", args=[school_class.pk])).status_code == 404


def test_404_when_the_org_admin_of_another_org_opens_this_orgs_class(client_of, foreign_org_admin, school_class):
    response = client_of(foreign_org_admin).get(reverse("classrooms:orgadmin_class_detail", args=[school_class.pk]))
    assert response.status_code == 404


def test_404_when_the_class_does_not_exist(client_of, org_admin, school_class):
    missing = SchoolClass.objects.order_by("-pk").first().pk + 1
    assert client_of(org_admin).get(reverse("classrooms:orgadmin_class_detail", args=[missing])).status_code == 404


def test_405_when_the_class_list_is_posted_to(client_of, org_admin):
    assert client_of(org_admin).post(reverse("classrooms:orgadmin_class_list")).status_code == 405


def test_anonymous_is_sent_to_sign_in(client, school_class):
    for url in (
        reverse("classrooms:orgadmin_class_list"),
        reverse("classrooms:orgadmin_class_detail", args=[school_class.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("classrooms:login"))


# --- The list ------------------------------------------------------------------------------


def test_it_lists_this_orgs_classes_of_this_year_with_roster_counts(
    client_of, organization, org_admin, teacher, school_class, examinee, examinee_of_other_class, foreign_examinee
):
    left_yesterday = make_user("sakura-left", User.Role.EXAMINEE, organization, name="転出 三郎")
    enroll(school_class, left_yesterday, number=2)
    Membership.objects.filter(user=left_yesterday).update(ends_on=today())  # last day in the org was yesterday
    unenrolled = make_user("sakura-out", User.Role.EXAMINEE, organization)
    enroll(school_class, unenrolled, number=3)
    Enrollment.objects.filter(examinee=unenrolled).update(ends_on=today())
    joins_tomorrow = make_user("sakura-soon", User.Role.EXAMINEE, organization)
    Enrollment.objects.create(
        school_class=school_class, examinee=joins_tomorrow, starts_on=today() + datetime.timedelta(days=1)
    )
    SchoolClass.objects.create(
        organization=organization, teacher=teacher, school_year=current_school_year() - 1, name="4年1組"
    )

    response = client_of(org_admin).get(reverse("classrooms:orgadmin_class_list"))

    assert response.context["year"] == current_school_year()
    assert counts(response) == {"5年1組": 1, "5年2組": 1}
    content = response.content.decode()
    assert teacher.name in content
    assert "1年A組" not in content
    assert "4年1組" not in content


def test_it_lists_the_classes_of_the_selected_year(client_of, organization, org_admin, teacher, school_class):
    year = current_school_year() - 1
    old = SchoolClass.objects.create(organization=organization, teacher=teacher, school_year=year, name="4年1組")
    old_pupil = make_user("sakura-old", User.Role.EXAMINEE, organization)
    enroll(old, old_pupil)

    response = client_of(org_admin).get(reverse("classrooms:orgadmin_class_list"), {"year": year})

    assert response.context["year"] == year
    assert counts(response) == {"4年1組": 1}
    assert school_class.name not in response.content.decode()


def test_the_year_navigation_lists_this_orgs_years_with_classes(
    client_of, organization, org_admin, teacher, school_class, other_organization, foreign_teacher
):
    this_year = current_school_year()
    SchoolClass.objects.create(organization=organization, teacher=teacher, school_year=this_year - 2, name="3年1組")
    SchoolClass.objects.create(
        organization=other_organization, teacher=foreign_teacher, school_year=this_year - 5, name="1年A組"
    )

    response = client_of(org_admin).get(reverse("classrooms:orgadmin_class_list"))

    assert response.context["years"] == [this_year, this_year - 2]
    assert f"?year={this_year - 5}" not in response.content.decode()


def test_it_falls_back_to_this_year_when_the_year_is_not_a_number(client_of, org_admin, school_class):
    response = client_of(org_admin).get(reverse("classrooms:orgadmin_class_list"), {"year": "last"})
    assert response.status_code == 200
    assert response.context["year"] == current_school_year()
    assert counts(response) == {"5年1組": 0}


def test_it_does_not_name_a_teacher_who_has_left(client_of, org_admin, teacher, school_class):
    Membership.objects.filter(user=teacher).update(ends_on=today())

    response = client_of(org_admin).get(reverse("classrooms:orgadmin_class_list"))

    assert counts(response) == {"5年1組": 0}
    assert teacher.name not in response.content.decode()


def test_the_list_takes_a_constant_number_of_queries(client_of, organization, org_admin, teacher, school_class):
    client = client_of(org_admin)
    client.get(reverse("classrooms:orgadmin_class_list"))  # warm up the session
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("classrooms:orgadmin_class_list"))
    for number in range(3):
        extra = SchoolClass.objects.create(
            organization=organization, teacher=teacher, school_year=current_school_year(), name=f"6年{number}組"
        )
        enroll(extra, make_user(f"sakura-p{number}", User.Role.EXAMINEE, organization))
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("classrooms:orgadmin_class_list"))
    assert len(counts(response)) == 4
    assert len(many) == len(few)


# --- One class -----------------------------------------------------------------------------


def test_it_shows_the_roster_of_a_class(client_of, organization, org_admin, teacher, school_class, examinee):
    left_yesterday = make_user("sakura-left", User.Role.EXAMINEE, organization, name="転出 三郎")
    enroll(school_class, left_yesterday, number=2)
    Membership.objects.filter(user=left_yesterday).update(ends_on=today())

    response = client_of(org_admin).get(reverse("classrooms:orgadmin_class_detail", args=[school_class.pk]))

    assert [enrollment.examinee for enrollment in response.context["enrollments"]] == [examinee]
    content = response.content.decode()
    assert examinee.name in content
    assert examinee.login_id in content
    assert teacher.name in content
    assert left_yesterday.name not in content
    assert left_yesterday.login_id not in content


def test_the_roster_is_read_only(client_of, org_admin, school_class, enrollment):
    content = (
        client_of(org_admin).get(reverse("classrooms:orgadmin_class_detail", args=[school_class.pk])).content.decode()
    )
    assert "<form" not in content.split('<main id="main"')[1]
    assert reverse("classrooms:teacher_examinee_edit", args=[school_class.pk, enrollment.pk]) not in content


def test_it_shows_a_class_of_a_past_year(client_of, organization, org_admin, teacher):
    old = SchoolClass.objects.create(
        organization=organization, teacher=teacher, school_year=current_school_year() - 3, name="2年1組"
    )
    response = client_of(org_admin).get(reverse("classrooms:orgadmin_class_detail", args=[old.pk]))
    assert response.status_code == 200
    assert response.context["school_class"] == old
