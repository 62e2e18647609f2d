"""Login throttling (django-axes): a lockout is per (login id, address) pair.

A whole school signs in from one NAT address, so one pupil mistyping their
password five times must lock out only that pupil on that address, never the
classmates beside them (settings: AXES_LOCKOUT_PARAMETERS, AXES_FAILURE_LIMIT).
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from classrooms.models import User
from tests.conftest import PASSWORD, enroll, make_user

SCHOOL_ADDRESS = "10.0.0.1"
HOME_ADDRESS = "10.0.0.2"
FAILURE_LIMIT = 5


@pytest.fixture(autouse=True)
def axes_as_in_production(settings):
    # Pin the rule under test, whatever the environment sets.
    settings.AXES_FAILURE_LIMIT = FAILURE_LIMIT
    settings.AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]


@pytest.fixture
def classmate(organization, school_class) -> User:
    user = make_user("sakura-pupil3", User.Role.EXAMINEE, organization, name="高橋 三郎", kana="たかはし さぶろう")
    enroll(school_class, user, number=3)
    return user


def sign_in(address: str, login_id: str, password: str):
    """A fresh browser at `address`; returns the response and whether it ended signed in."""
    browser = Client(REMOTE_ADDR=address)
    response = browser.post(reverse("classrooms:login"), {"username": login_id, "password": password})
    return response, "_auth_user_id" in browser.session


def fail_until_locked(address: str, login_id: str) -> list[int]:
    return [sign_in(address, login_id, "wrong-password")[0].status_code for _ in range(FAILURE_LIMIT)]


def test_five_wrong_passwords_lock_the_pupil_on_that_address(examinee):
    statuses = fail_until_locked(SCHOOL_ADDRESS, examinee.login_id)

    response, signed_in = sign_in(SCHOOL_ADDRESS, examinee.login_id, PASSWORD)

    assert statuses == [200] * (FAILURE_LIMIT - 1) + [429]
    assert response.status_code == 429
    assert not signed_in
    assert "registration/locked_out.html" in [template.name for template in response.templates]


def test_four_wrong_passwords_do_not_lock(examinee):
    for _ in range(FAILURE_LIMIT - 1):
        sign_in(SCHOOL_ADDRESS, examinee.login_id, "wrong-password")

    response, signed_in = sign_in(SCHOOL_ADDRESS, examinee.login_id, PASSWORD)

    assert response.status_code == 302
    assert signed_in


def test_a_classmate_on_the_same_address_still_signs_in(examinee, classmate):
    fail_until_locked(SCHOOL_ADDRESS, examinee.login_id)

    response, signed_in = sign_in(SCHOOL_ADDRESS, classmate.login_id, PASSWORD)

    assert response.status_code == 302
    assert signed_in


def test_the_locked_pupil_can_sign_in_from_another_address(examinee):
    fail_until_locked(SCHOOL_ADDRESS, examinee.login_id)

    response, signed_in = sign_in(HOME_ADDRESS, examinee.login_id, PASSWORD)

    assert response.status_code == 302
    assert signed_in
    assert sign_in(SCHOOL_ADDRESS, examinee.login_id, PASSWORD)[0].status_code == 429


def test_login_id_case_does_not_dodge_the_lockout(examinee):
    fail_until_locked(SCHOOL_ADDRESS, examinee.login_id)

    response, signed_in = sign_in(SCHOOL_ADDRESS, examinee.login_id.upper(), PASSWORD)

    assert response.status_code == 429
    assert not signed_in


def test_wrong_passwords_of_different_pupils_on_one_address_do_not_add_up(organization, examinee):
    pupils = [examinee] + [
        make_user(f"sakura-pupil{index}", User.Role.EXAMINEE, organization) for index in range(10, 10 + FAILURE_LIMIT)
    ]

    statuses = [sign_in(SCHOOL_ADDRESS, pupil.login_id, "wrong-password")[0].status_code for pupil in pupils]

    assert statuses == [200] * len(pupils)
