from __future__ import annotations

import pytest
from django.urls import reverse

from classrooms.models import Enrollment
from classrooms.schoolyear import today

pytestmark = pytest.mark.django_db


def test_it_shows_my_classes_and_that_no_test_is_running(client_of, examinee, school_class):
    response = client_of(examinee).get(reverse("classrooms:examinee_home"))
    assert response.status_code == 200
    assert [e.school_class for e in response.context["enrollments"]] == [school_class]
    body = response.content.decode()
    assert school_class.name in body
    assert school_class.teacher.name in body


def test_it_lists_the_tests_i_can_enter_with_a_button(client_of, examinee, proctored_session):
    response = client_of(examinee).get(reverse("classrooms:examinee_home"))
    assert list(response.context["sessions"]) == [proctored_session]
    body = response.content.decode()
    assert proctored_session.exam.title in body
    assert f'action="{reverse("exams:session_enter", args=[proctored_session.pk])}"' in body


def test_tests_of_other_classes_and_ended_tests_are_not_listed(
    client_of, examinee, examinee_of_other_class, teacher, proctored_session
):
    from proctoring.services import session_end

    assert list(client_of(examinee_of_other_class).get(reverse("classrooms:examinee_home")).context["sessions"]) == []
    session_end(session=proctored_session, by=teacher)
    assert list(client_of(examinee).get(reverse("classrooms:examinee_home")).context["sessions"]) == []


def test_a_class_i_left_is_not_shown(client_of, examinee, school_class):
    Enrollment.objects.filter(examinee=examinee).update(ends_on=today())
    assert list(client_of(examinee).get(reverse("classrooms:examinee_home")).context["enrollments"]) == []


@pytest.mark.parametrize("persona", ["teacher", "org_admin", "foreign_teacher"])
def test_staff_get_404(client_of, request, persona):
    assert client_of(request.getfixturevalue(persona)).get(reverse("classrooms:examinee_home")).status_code == 404


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("classrooms:examinee_home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("classrooms:login"))
