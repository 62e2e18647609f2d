"""Websockets and the second factor (docs/design.md §1, §10.3): a browser session that owes it gets
no socket, and one whose device goes (the operator's reset) loses it at the next re-check.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from sockets.consumers import CLOSE_NOT_ALLOWED, fresh_users
from tests.classrooms.conftest import authenticator
from tests.conftest import pass_second_factor
from tests.websockets import IN_MEMORY_LAYER, Sockets, db, receive

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def sockets(settings):
    settings.CHANNEL_LAYERS = IN_MEMORY_LAYER
    opened = Sockets()
    yield opened
    await opened.close_all()


def password_only(user) -> Client:
    """A session of the sign-in's first step only (the password), as the sign-in page leaves it."""
    client = Client()
    client.force_login(user, backend="classrooms.backends.MembershipBackend")
    return client


async def test_an_operator_gets_no_socket_before_the_second_factor(sockets, operator):
    await db(authenticator, operator)
    _socket, connected, code = await sockets.connect("/ws/inbox/", await db(password_only, operator))
    assert (connected, code) == (False, CLOSE_NOT_ALLOWED)


async def test_an_org_admin_of_a_requiring_school_gets_no_socket_before_it(
    sockets, requiring, org_admin, proctored_session
):
    client = await db(password_only, org_admin)  # enrolment not even done: still nothing
    for path in ("/ws/inbox/", f"/ws/proctor/{proctored_session.pk}/"):
        _socket, connected, code = await sockets.connect(path, client)
        assert (connected, code) == (False, CLOSE_NOT_ALLOWED), path


async def test_a_teacher_who_opted_in_gets_no_socket_before_it(sockets, teacher, proctored_session):
    await db(authenticator, teacher)
    _socket, connected, code = await sockets.connect(
        f"/ws/proctor/{proctored_session.pk}/", await db(password_only, teacher)
    )
    assert (connected, code) == (False, CLOSE_NOT_ALLOWED)


async def test_after_the_second_factor_the_socket_opens(sockets, teacher, proctored_session):
    await db(authenticator, teacher)
    client = await db(password_only, teacher)
    await db(pass_second_factor, client, teacher)
    socket, connected, _detail = await sockets.connect(f"/ws/proctor/{proctored_session.pk}/", client)
    assert connected
    assert (await receive(socket))["type"] == "snapshot"


async def test_a_pupil_and_a_teacher_who_did_not_opt_in_are_not_asked(sockets, teacher, examinee):
    for person in (teacher, examinee):
        _socket, connected, detail = await sockets.connect("/ws/inbox/", await db(password_only, person))
        assert connected, detail


@pytest.mark.django_db
def test_the_recheck_refuses_a_session_whose_device_was_reset(operator):
    client = password_only(operator)
    pass_second_factor(client, operator)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert fresh_users([(operator.pk, key)])[(operator.pk, key)] == operator

    TOTPDevice.objects.filter(user=operator).delete()

    assert fresh_users([(operator.pk, key)])[(operator.pk, key)] is None
