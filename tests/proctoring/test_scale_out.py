"""Scale-out (DESIGN §9): two daphne processes sharing PostgreSQL and Redis act as one server.

The teacher's dashboard is on one process and the examinee's socket on the
other, so every frame between them crosses the Redis channel layer. The
processes serve the test database of this run; the sessions they read are
made here, as a sign-in would make them.

Needs PostgreSQL (DATABASE_URL) and Redis: REDIS_URL when set (`make test`
starts one with scripts/redistest), otherwise a throwaway redis-server that
this test starts. Without them it is skipped, or fails in CI (conftest.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, connections
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin

from classrooms.models import User
from exams.models import Attempt
from proctoring.models import ProctoredSession, Signal

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TIMEOUT = 10  # seconds for a frame that must come across processes
STARTUP = 30  # seconds for a process to listen


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(ready, *, process: subprocess.Popen | None, what: str, log: Path | None = None) -> None:
    """Poll `ready()` every 50 ms up to STARTUP seconds; fail early when the process died."""
    deadline = time.monotonic() + STARTUP
    while time.monotonic() < deadline:
        if ready():
            return
        if process is not None and process.poll() is not None:
            break
        time.sleep(0.05)
    output = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    pytest.fail(f"{what} did not come up in {STARTUP}s\n{output}", pytrace=False)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_url(tmp_path) -> Iterator[str]:
    """REDIS_URL when set (it must answer); otherwise a redis-server of our own on loopback."""
    url = os.environ.get("REDIS_URL")
    if url:
        assert redis_answers(url), f"REDIS_URL={url} does not answer"
        yield url
        return
    port = free_port()
    log = tmp_path / "redis.log"
    server = subprocess.Popen(  # noqa: S603 - a fixed command line
        [shutil.which("redis-server") or "redis-server", "--bind", "127.0.0.1", "--port", str(port),
         "--save", "", "--appendonly", "no", "--dir", str(tmp_path), "--logfile", str(log)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        url = f"redis://127.0.0.1:{port}/0"
        wait_until(lambda: redis_answers(url), process=server, what="redis-server", log=log)
        yield url
    finally:
        stop(server)


def database_url_of_this_test() -> str:
    """The URL of the database this test runs on (pytest-django's test_<name> database)."""
    db = connection.settings_dict
    credentials = quote(db["USER"], safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def servers(redis_url, tmp_path, proctored_session) -> Iterator[list[int]]:
    """Two daphne processes on loopback, serving this test's database through one Redis. Yields their ports."""
    environment = {key: value for key, value in os.environ.items() if key not in {"SQLITE_PATH"}}
    environment |= {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url_of_this_test(),
        "REDIS_URL": redis_url,
        "SECRET_KEY": settings.SECRET_KEY,  # the session cookies made here must verify there
        "DEBUG": "true",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    processes, ports = [], []
    try:
        for number in (1, 2):
            port, log = free_port(), tmp_path / f"daphne-{number}.log"
            with log.open("wb") as output:
                processes.append(
                    subprocess.Popen(  # noqa: S603 - our own interpreter and a fixed command line
                        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
                        cwd=settings.BASE_DIR,
                        env=environment,
                        stdout=output,
                        stderr=subprocess.STDOUT,
                    )
                )
            wait_until(lambda port=port: port_open(port), process=processes[-1], what=f"daphne #{number}", log=log)
            ports.append(port)
        yield ports
    finally:
        for process in processes:  # before the test database is flushed: they hold connections to it
            stop(process)


def session_cookie(user: User) -> str:
    """A signed-in session for `user`, stored where both processes read sessions (what sign-in would store)."""
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "classrooms.backends.MembershipBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


@pytest.fixture
def cookies(teacher, examinee) -> dict[str, str]:
    return {"teacher": session_cookie(teacher), "examinee": session_cookie(examinee)}


def websocket(port: int, path: str, cookie: str):
    return connect(
        f"ws://127.0.0.1:{port}{path}",
        origin=Origin(f"http://127.0.0.1:{port}"),
        additional_headers={"Cookie": cookie},
        proxy=None,  # straight to loopback, whatever proxy the environment names
        open_timeout=TIMEOUT,
    )


async def receive_type(ws: ClientConnection, frame_type: str) -> dict:
    """The next frame of `frame_type`, passing over others."""
    async with asyncio.timeout(TIMEOUT):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == frame_type:
                return frame


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


@pytest.mark.parametrize("who, origin", [("teacher", "http://evil.example"), ("examinee", None)])
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
