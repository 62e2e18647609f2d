"""Scale-out (docs/design.md §9): two daphne processes sharing PostgreSQL and Redis act as one server.

The teacher's dashboard is on one process and the examinee's socket on the
other, so every frame between them crosses the Redis channel layer. The
processes serve the test database of this run; the sessions they read are
made here, as a sign-in would make them.

Needs PostgreSQL (DATABASE_URL) and Redis: REDIS_URL when set (`make test`
starts one with scripts/redistest), otherwise a throwaway redis-server that
this test starts. Without them it is skipped, or fails in CI (conftest.py).
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator

import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin

from exams.models import Attempt
from proctoring.models import ProctoredSession, Signal
from tests.servers import TIMEOUT, receive_type, redis_url_or_own, run_daphne, session_cookie, websocket

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_url(tmp_path) -> Iterator[str]:
    yield from redis_url_or_own(tmp_path)


@pytest.fixture
def servers(redis_url, tmp_path, proctored_session) -> Iterator[list[int]]:
    """Two daphne processes on loopback, serving this test's database through one Redis. Yields their ports."""
    with contextlib.ExitStack() as stack:  # stopped before the test database is flushed
        ports = []
        for number in (1, 2):
            daphne = contextlib.contextmanager(run_daphne)(redis_url, tmp_path, f"daphne-{number}")
            ports.append(stack.enter_context(daphne).port)
        yield ports


@pytest.fixture
def cookies(teacher, examinee) -> dict[str, str]:
    return {"teacher": session_cookie(teacher), "examinee": session_cookie(examinee)}


async def test_two_processes_share_the_live_session(servers, cookies, proctored_session, examinee):
    first, second = servers
    session = proctored_session.pk
    async with (
        websocket(first, f"/ws/proctor/{session}/", cookies["teacher"]) as proctor,
        websocket(second, f"/ws/exam/{session}/", cookies["examinee"]) as pupil,
    ):
        snapshot = await receive_type(proctor, "snapshot")
        assert snapshot["session"]["status"] == "open"
        state = await receive_type(pupil, "state")
        assert state["attempt"] is None
        arrived = await receive_type(proctor, "examinee")
        assert (arrived["examinee"]["id"], arrived["examinee"]["online"]) == (examinee.pk, True)

        await proctor.send(json.dumps({"type": "start"}))

        state = await receive_type(pupil, "state")
        assert state["session"]["status"] == "running"
        assert state["attempt"]["status"] == "running"
        tile = await receive_type(proctor, "examinee")
        assert (tile["examinee"]["state"], tile["examinee"]["attempt"]) == ("answering", state["attempt"]["id"])
        assert (await receive_type(proctor, "session"))["status"] == "running"

        signal_id = str(uuid.uuid4())
        await pupil.send(json.dumps({"type": "signal", "kind": "tab_hidden", "id": signal_id}))

        assert await receive_type(pupil, "ack") == {"type": "ack", "id": signal_id}
        announced = await receive_type(proctor, "signal")
        assert (announced["id"], announced["kind"], announced["examinee"]) == (signal_id, "tab_hidden", examinee.pk)

        await proctor.send(json.dumps({"type": "end"}))

        assert await receive_type(pupil, "ended") == {"type": "ended", "reason": "session_ended"}
        assert (await receive_type(proctor, "session"))["status"] == "ended"

    @sync_to_async
    def stored():
        try:
            return (
                ProctoredSession.objects.get(pk=session).status,
                Attempt.objects.get(session_id=session).finish_reason,
                Signal.objects.filter(session_id=session, client_id=signal_id).count(),
            )
        finally:
            connections.close_all()  # this thread's connection would keep the test database from being dropped

    assert await stored() == ("ended", "session_ended", 1)


@pytest.mark.parametrize(("who", "origin"), [("teacher", "http://evil.example"), ("examinee", None)])
async def test_a_refused_handshake_is_an_http_403(servers, cookies, proctored_session, who, origin):
    """What a browser sees of a refusal: the handshake fails (a close before accept is HTTP 403 in daphne)."""
    first, _second = servers
    origin = origin or f"http://127.0.0.1:{first}"  # the examinee, with a right origin, on the proctor's route

    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            f"ws://127.0.0.1:{first}/ws/proctor/{proctored_session.pk}/",
            origin=Origin(origin),
            additional_headers={"Cookie": cookies[who]},
            proxy=None,
            open_timeout=TIMEOUT,
        ):
            pass

    assert refused.value.response.status_code == 403
