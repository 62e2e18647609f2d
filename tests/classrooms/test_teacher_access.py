"""Every teacher screen: the class's teacher gets in; everyone else gets 404 or is sent to sign in."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

CLASS_VIEWS = [
    ("classrooms:teacher_roster", "get"),
    ("classrooms:teacher_class_rename", "get"),
    ("classrooms:teacher_examinee_add", "get"),
    ("classrooms:teacher_enroll_existing", "post"),
]
ENROLLMENT_VIEWS = [
    ("classrooms:teacher_examinee_edit", "get"),
    ("classrooms:teacher_enrollment_end", "post"),
    ("classrooms:teacher_password_reissue", "post"),
]
OUTSIDERS = ["other_teacher", "org_admin", "examinee", "foreign_teacher", "foreign_org_admin", "operator"]


def urls(school_class, enrollment):
    for name, method in CLASS_VIEWS:
        yield name, method, reverse(name, args=[school_class.pk])
    for name, method in ENROLLMENT_VIEWS:
        yield name, method, reverse(name, args=[school_class.pk, enrollment.pk])


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_outsiders_get_404_on_every_class_screen(request, client_of, school_class, enrollment, outsider):
    client = client_of(request.getfixturevalue(outsider))
    for name, method, url in urls(school_class, enrollment):
        assert getattr(client, method)(url).status_code == 404, name


def test_anonymous_is_sent_to_sign_in(client, school_class, enrollment):
    for name, method, url in urls(school_class, enrollment):
        response = getattr(client, method)(url)
        assert response.status_code == 302, name
        assert response.url.startswith(reverse("classrooms:login")), name


def test_the_class_teacher_gets_in(client_of, teacher, school_class, enrollment):
    client = client_of(teacher)
    for name, method, url in urls(school_class, enrollment):
        if method == "get":
            assert client.get(url).status_code == 200, name


def test_another_organizations_enrollment_under_my_class_id_is_404(client_of, teacher, school_class, foreign_examinee):
    foreign_enrollment = foreign_examinee.enrollments.get()
    url = reverse("classrooms:teacher_examinee_edit", args=[school_class.pk, foreign_enrollment.pk])
    assert client_of(teacher).get(url).status_code == 404


@pytest.mark.parametrize("name", ["classrooms:teacher_class_list", "classrooms:teacher_class_create"])
def test_class_list_and_create_are_for_teachers_only(client_of, request, name):
    for persona, expected in (("teacher", 200), ("org_admin", 404), ("examinee", 404), ("foreign_teacher", 200)):
        assert client_of(request.getfixturevalue(persona)).get(reverse(name)).status_code == expected, persona
