"""An examinee between schools (docs/design.md §7): their old membership ended, their arrival at the new school,
filed with the transfer code, waits for approval. They sign in to one page (their own results and the question
about their history) and reach nothing else: no other page, no socket.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from classrooms import transfers as transfer_services
from classrooms.middleware import BetweenSchoolsMiddleware
from classrooms.models import Transfer
from classrooms.schoolyear import today
from tests.classrooms.conftest import leave
from tests.conftest import PASSWORD
from tests.websockets import IN_MEMORY_LAYER, Sockets

pytestmark = pytest.mark.django_db

PAGE = "classrooms:examinee_between_schools"


@pytest.fixture
def leaving(past_result, enrollment, teacher, org_admin) -> Transfer:
    """The examinee left the old school today: their membership there has ended."""
    return leave(enrollment, teacher, org_admin, days_ahead=0)


@pytest.fixture
def arrival(leaving, examinee, foreign_teacher) -> Transfer:
    """The new school filed the arrival with the notice, for three days from now: it waits for approval."""
    return file_arrival(leaving, examinee, foreign_teacher)


def file_arrival(leaving: Transfer, examinee, foreign_teacher) -> Transfer:
    return transfer_services.transfer_file_examinee_in(
        organization=foreign_teacher.memberships.get().organization,
        login_id=examinee.login_id,
        code=leaving.issued_code,
        effective_on=today() + datetime.timedelta(days=3),
        reason="",
        by=foreign_teacher,
    )


def sign_in(client, user):
    return client.post(reverse("classrooms:login"), {"username": user.login_id, "password": PASSWORD})


def test_they_sign_in_to_one_page_with_their_results_and_nobody(
    client, arrival, examinee, past_result, teacher, school_class, foreign_teacher, foreign_class, organization
):
    assert sign_in(client, examinee).status_code == 302
    response = client.get(reverse("classrooms:home"), follow=True)
    assert response.redirect_chain[-1][0] == reverse(PAGE)
    assert response.status_code == 200
    assert [result.pk for result in response.context["results"]] == [past_result.pk]
    page = response.content.decode()
    assert past_result.exam.title in page
    assert arrival.to_organization.name in page  # the question names the new school
    for someone in (teacher.name, foreign_teacher.name, school_class.name, foreign_class.name, organization.name):
        assert someone not in page
    assert "data-inbox-socket" not in page
    assert "inbox.js" not in page
    assert reverse("messaging:inbox") not in page


@pytest.mark.parametrize("state", ["no arrival", "rejected", "approved", "suspended"])
def test_nobody_else_without_a_membership_signs_in(
    client, client_of, state, leaving, examinee, foreign_teacher, foreign_org_admin
):
    if state != "no arrival":
        filed = file_arrival(leaving, examinee, foreign_teacher)
        if state == "rejected":
            transfer_services.transfer_reject(transfer=filed, by=foreign_org_admin)
        elif state == "approved":  # the new membership starts in three days: until then, nothing
            transfer_services.transfer_approve(transfer=filed, by=foreign_org_admin)
        else:
            examinee.is_active = False
            examinee.save(update_fields=["is_active"])
    assert sign_in(client, examinee).status_code == 200  # the form again, with its error
    assert client_of(examinee).get(reverse(PAGE)).status_code == 302  # to the sign-in page


def test_a_member_has_their_home_not_this_page(client_of, examinee):
    assert client_of(examinee).get(reverse(PAGE)).status_code == 404


def test_they_answer_the_question_and_the_new_school_sees_the_answer(
    client, arrival, examinee, foreign_org_admin, client_of
):
    sign_in(client, examinee)
    url = reverse("classrooms:examinee_history_consent", args=[arrival.pk])
    response = client.post(url, {"consent": "yes"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse(PAGE)
    arrival.refresh_from_db()
    assert arrival.history_consent is True
    transfers = client_of(foreign_org_admin).get(reverse("classrooms:orgadmin_transfer_list"))
    [row] = transfers.context["pending"]
    assert row.transfer == arrival
    assert row.transfer.history_consent is True


def concrete_paths():
    """Every HTTP route of the project with its ids filled in (any id: the refusal comes before the view)."""

    def walk(patterns, prefix: str):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and "(?" not in route and "^" not in route:
                yield "/" + re.sub(r"<(?:int:)?\w+>", "1", re.sub(r"<(str|slug|path):\w+>", "x", route))

    return sorted(set(walk(get_resolver().url_patterns, "")))


def test_every_other_route_refuses_them(client, arrival, examinee):
    sign_in(client, examinee)
    allowed = BetweenSchoolsMiddleware.allowed_names
    homes = {reverse(name) for name in BetweenSchoolsMiddleware.home_names}
    checked = 0
    for path in concrete_paths():
        if resolve(path).view_name in allowed:
            continue
        for method in (client.get, client.post):
            response = method(path)
            if path in homes:
                assert (response.status_code, response.url) == (302, reverse(PAGE)), path
            else:
                assert response.status_code == 404, (path, method.__name__, response.status_code)
        checked += 1
    assert checked > 50


@pytest.mark.django_db(transaction=True)
async def test_they_open_no_socket(settings, arrival, examinee, proctored_session):
    settings.CHANNEL_LAYERS = IN_MEMORY_LAYER
    sockets = Sockets()
    try:
        for path in ("/ws/inbox/", f"/ws/exam/{proctored_session.pk}/", f"/ws/proctor/{proctored_session.pk}/"):
            _socket, connected, _code = await sockets.connect(path, examinee)
            assert not connected, path
    finally:
        await sockets.close_all()


def test_an_issued_password_is_changed_first_then_the_page(client, arrival, examinee):
    examinee.must_change_password = True
    examinee.save(update_fields=["must_change_password"])
    sign_in(client, examinee)
    assert client.get(reverse(PAGE)).url == reverse("classrooms:password_change_required")
    new_password = "another-long-password-42"
    response = client.post(
        reverse("classrooms:password_change_required"),
        {"new_password1": new_password, "new_password2": new_password},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse(PAGE)
    assert response.status_code == 200
