"""What the new school sees of an arriving examinee's past results: only with their consent (docs/design.md §7)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from classrooms import transfers as transfer_services
from classrooms.schoolyear import today
from tests.conftest import enroll, freeze

pytestmark = pytest.mark.django_db


@pytest.fixture
def arrived(
    request, monkeypatch, past_result, examinee, enrollment, teacher, org_admin, foreign_teacher, foreign_org_admin
):
    """The examinee left sakura and joined midori a week later; `request.param` is their answer about history."""
    day = today() + datetime.timedelta(days=7)
    leaving = transfer_services.transfer_file_examinee_out(
        enrollment=enrollment, effective_on=day, reason="", by=teacher
    )
    leaving = transfer_services.transfer_approve(transfer=leaving, by=org_admin)
    arrival = transfer_services.transfer_file_examinee_in(
        organization=foreign_org_admin.memberships.get().organization,
        login_id=examinee.login_id,
        code=leaving.issued_code,
        effective_on=day,
        reason="",
        by=foreign_teacher,
    )
    transfer_services.transfer_consent(transfer=arrival, consent=request.param, by=examinee)
    transfer_services.transfer_approve(transfer=arrival, by=foreign_org_admin)
    freeze(monkeypatch, day)
    return arrival


def history_url(foreign_class, examinee) -> str:
    new_enrollment = enroll(foreign_class, examinee, number=2)
    return reverse("exams:examinee_history", args=[foreign_class.pk, new_enrollment.pk])


@pytest.mark.parametrize("arrived", [True], indirect=True)
def test_with_consent_the_new_school_sees_the_past_results(
    arrived, client_of, foreign_teacher, foreign_class, examinee
):
    response = client_of(foreign_teacher).get(history_url(foreign_class, examinee))
    assert response.status_code == 200
    assert len(response.context["results"]) == 1


@pytest.mark.parametrize("arrived", [False], indirect=True)
def test_without_consent_it_sees_only_what_happens_from_the_arrival(
    arrived, client_of, foreign_teacher, foreign_class, examinee
):
    response = client_of(foreign_teacher).get(history_url(foreign_class, examinee))
    assert response.status_code == 200
    assert len(response.context["results"]) == 0


@pytest.mark.parametrize("arrived", [True], indirect=True)
def test_the_history_page_is_the_class_teachers_only(
    arrived, client, client_of, foreign_teacher, foreign_class, examinee, teacher, enrollment, foreign_org_admin
):
    url = history_url(foreign_class, examinee)
    assert client.get(url).status_code == 302
    for outsider in (teacher, foreign_org_admin, examinee):
        assert client_of(outsider).get(url).status_code == 404
    # The old school no longer reaches the examinee at all.
    old_url = reverse("exams:examinee_history", args=[enrollment.school_class_id, enrollment.pk])
    assert client_of(teacher).get(old_url).status_code == 404


def test_the_old_school_sees_its_own_results_until_the_examinee_leaves(client_of, teacher, enrollment, past_result):
    url = reverse("exams:examinee_history", args=[enrollment.school_class_id, enrollment.pk])
    response = client_of(teacher).get(url)
    assert response.status_code == 200
    assert len(response.context["results"]) == 1
