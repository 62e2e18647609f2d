"""The teacher's proctoring screens: open a test, the class's tests, the live dashboard."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from proctoring.models import ProctoredSession
from tests.conftest import make_class, make_exam

pytestmark = pytest.mark.django_db

OUTSIDERS = ["other_teacher", "foreign_teacher", "foreign_org_admin", "examinee", "operator"]
ENGLISH = {"accept-language": "en"}  # the assertions read English messages; true once Japanese ones exist


def embedded_json(response, element_id: str):
    match = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>', response.content.decode(), re.S
    )
    assert match, f"no #{element_id} in the page"
    return json.loads(match.group(1))


# --- Who gets in -------------------------------------------------------------------------


@pytest.mark.parametrize("outsider", [*OUTSIDERS, "org_admin"])
def test_outsiders_get_404_on_the_class_screens(request, client_of, school_class, exam, outsider):
    client = client_of(request.getfixturevalue(outsider))
    for url in (
        reverse("proctoring:session_create", args=[school_class.pk]),
        reverse("proctoring:session_list", args=[school_class.pk]),
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(reverse("proctoring:session_create", args=[school_class.pk]), {"exam": exam.pk})
    assert response.status_code == 404
    assert not ProctoredSession.objects.exists()


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_outsiders_get_404_on_the_dashboard(request, client_of, proctored_session, outsider):
    client = client_of(request.getfixturevalue(outsider))
    assert client.get(reverse("proctoring:dashboard", args=[proctored_session.pk])).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, school_class, proctored_session):
    for url in (
        reverse("proctoring:session_create", args=[school_class.pk]),
        reverse("proctoring:session_list", args=[school_class.pk]),
        reverse("proctoring:dashboard", args=[proctored_session.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("classrooms:login")), url


def test_the_class_teacher_gets_in(client_of, teacher, school_class, proctored_session):
    client = client_of(teacher)
    assert client.get(reverse("proctoring:session_create", args=[school_class.pk])).status_code == 200
    assert client.get(reverse("proctoring:session_list", args=[school_class.pk])).status_code == 200
    response = client.get(reverse("proctoring:dashboard", args=[proctored_session.pk]))
    assert response.status_code == 200
    assert 'data-action="start"' in response.content.decode()
    assert embedded_json(response, "proctor-config")["may_control"] is True


def test_org_admin_gets_a_read_only_dashboard(client_of, org_admin, proctored_session):
    response = client_of(org_admin).get(reverse("proctoring:dashboard", args=[proctored_session.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    for action in ("start", "end", "warn", "pause", "resume", "extend"):
        assert f'data-action="{action}"' not in page, action
    assert 'id="warn-dialog"' not in page
    assert embedded_json(response, "proctor-config")["may_control"] is False


def test_404_when_the_session_is_of_another_organization(client_of, org_admin, teacher, foreign_class, exam):
    foreign_session = ProctoredSession.objects.create(
        school_class=foreign_class, exam=exam, teacher=foreign_class.teacher
    )
    for user in (org_admin, teacher):
        assert client_of(user).get(reverse("proctoring:dashboard", args=[foreign_session.pk])).status_code == 404


# --- Opening a test ----------------------------------------------------------------------


def test_it_opens_a_waiting_room_and_goes_to_the_dashboard(client_of, teacher, school_class, exam):
    response = client_of(teacher).post(reverse("proctoring:session_create", args=[school_class.pk]), {"exam": exam.pk})
    session = ProctoredSession.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("proctoring:dashboard", args=[session.pk])
    assert (session.school_class, session.exam, session.teacher, session.status) == (
        school_class,
        exam,
        teacher,
        ProctoredSession.Status.OPEN,
    )


def test_refused_with_a_message_when_the_class_already_has_a_test_open(client_of, teacher, school_class, exam):
    client = client_of(teacher)
    url = reverse("proctoring:session_create", args=[school_class.pk])
    client.post(url, {"exam": exam.pk})
    response = client.post(url, {"exam": exam.pk}, headers=ENGLISH)
    assert response.status_code == 200
    assert "This class already has a test open. End it first." in response.content.decode()
    assert ProctoredSession.objects.count() == 1


def test_it_opens_a_new_test_when_the_last_one_ended(client_of, teacher, school_class, exam, proctored_session):
    ProctoredSession.objects.filter(pk=proctored_session.pk).update(status=ProctoredSession.Status.ENDED)
    response = client_of(teacher).post(reverse("proctoring:session_create", args=[school_class.pk]), {"exam": exam.pk})
    assert response.status_code == 302
    assert ProctoredSession.objects.filter(status=ProctoredSession.Status.OPEN).count() == 1


def test_refused_when_the_exam_is_not_active(client_of, teacher, school_class, exam):
    exam.is_active = False
    exam.save()
    response = client_of(teacher).post(reverse("proctoring:session_create", args=[school_class.pk]), {"exam": exam.pk})
    assert response.status_code == 200
    assert response.context["form"].errors["exam"]
    assert not ProctoredSession.objects.exists()


def test_refused_with_a_message_when_the_exam_has_no_questions(client_of, teacher, school_class):
    empty = make_exam(code="empty", questions=0)
    response = client_of(teacher).post(
        reverse("proctoring:session_create", args=[school_class.pk]), {"exam": empty.pk}, headers=ENGLISH
    )
    assert "This test is not available." in response.content.decode()
    assert not ProctoredSession.objects.exists()


def test_it_offers_only_active_exams(client_of, teacher, school_class, exam):
    hidden = make_exam(code="retired")
    hidden.title = "廃止されたテスト"
    hidden.is_active = False
    hidden.save()
    page = client_of(teacher).get(reverse("proctoring:session_create", args=[school_class.pk])).content.decode()
    assert exam.title in page
    assert hidden.title not in page


# --- The class's tests -------------------------------------------------------------------


def test_it_lists_only_this_classes_sessions(client_of, teacher, organization, school_class, exam, proctored_session):
    second_class = make_class(organization, teacher, "5年3組")
    elsewhere = ProctoredSession.objects.create(school_class=second_class, exam=exam, teacher=teacher)
    page = client_of(teacher).get(reverse("proctoring:session_list", args=[school_class.pk])).content.decode()
    assert reverse("proctoring:dashboard", args=[proctored_session.pk]) in page
    assert reverse("proctoring:dashboard", args=[elsewhere.pk]) not in page


# --- The dashboard -----------------------------------------------------------------------


def test_it_embeds_the_snapshot(client_of, teacher, examinee, proctored_session):
    response = client_of(teacher).get(reverse("proctoring:dashboard", args=[proctored_session.pk]))
    snapshot = embedded_json(response, "snapshot")
    assert snapshot["session"]["id"] == proctored_session.pk
    assert snapshot["session"]["status"] == "open"
    assert [(tile["id"], tile["name"], tile["state"]) for tile in snapshot["examinees"]] == [
        (examinee.pk, examinee.name, "absent")
    ]
    config = embedded_json(response, "proctor-config")
    assert config["ws_path"] == f"/ws/proctor/{proctored_session.pk}/"


def test_it_escapes_a_malicious_examinee_name(client_of, teacher, examinee, proctored_session):
    evil = '</script><script>alert("x")</script><img src=x onerror=alert(1)>'
    examinee.name = evil
    examinee.save()
    response = client_of(teacher).get(reverse("proctoring:dashboard", args=[proctored_session.pk]))
    page = response.content.decode()
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert embedded_json(response, "snapshot")["examinees"][0]["name"] == evil
