"""Real servers for tests that need them: daphne processes on loopback serving the test's
PostgreSQL database through a Redis channel layer, redis-servers of the test's own, signed-in
session cookies, and websockets to them (tests/proctoring/test_scale_out.py, tests/test_redis_faults.py).
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
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

from classrooms.models import User
from conftest import running_in_ci

TIMEOUT = 10  # seconds for a frame that must come (a bound for a loaded machine, not a pause)
STARTUP = 30  # seconds for a process to listen


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(ready, *, process: subprocess.Popen, what: str, log: Path) -> None:
    """Poll `ready()` every 50 ms up to STARTUP seconds; fail early when the process died."""
    deadline = time.monotonic() + STARTUP
    while time.monotonic() < deadline:
        if ready():
            return
        if process.poll() is not None:
            break
        time.sleep(0.05)
    output = log.read_text(errors="replace")[-3000:] if log.exists() else ""
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


class RedisServer:
    """A redis-server of this test's own on a free loopback port, nothing on disk; `restart()` keeps the port."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = directory / "redis.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - a fixed command line
            [
                shutil.which("redis-server") or "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
                "--logfile",
                str(self.log),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        wait_until(lambda: redis_answers(self.url), process=self.process, what="redis-server", log=self.log)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)  # SIGTERM: Redis closes its clients' connections, as a service restart does

    def restart(self) -> None:
        self.stop()
        self.start()


def own_redis_server(directory: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        reason = "needs redis-server on PATH to start (and restart) a Redis of its own; REDIS_URL is not enough"
        if running_in_ci():
            pytest.fail(f"{reason} (CI=true: a missing Redis is a failure, not a skip)", pytrace=False)
        pytest.skip(reason)
    server = RedisServer(directory)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def redis_url_or_own(directory: Path) -> Iterator[str]:
    """REDIS_URL when set (it must answer); otherwise a redis-server of our own."""
    url = os.environ.get("REDIS_URL")
    if url:
        assert redis_answers(url), f"REDIS_URL={url} does not answer"
        yield url
        return
    for server in own_redis_server(directory):
        yield server.url


def database_url_of_this_test() -> str:
    """The URL of the database this test runs on (pytest-django's test_<name> database)."""
    db = connection.settings_dict
    credentials = quote(db["USER"], safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Daphne:
    def __init__(self, process: subprocess.Popen, port: int, log: Path) -> None:
        self.process, self.port, self.log = process, port, log

    def alive(self) -> bool:
        return self.process.poll() is None


def run_daphne(redis_url: str, directory: Path, name: str = "daphne") -> Iterator[Daphne]:
    """A daphne process on loopback, with the production settings' Redis layer, serving this test's database."""
    environment = {key: value for key, value in os.environ.items() if key not in {"SQLITE_PATH"}}
    environment |= {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url_of_this_test(),
        "REDIS_URL": redis_url,
        "SECRET_KEY": settings.SECRET_KEY,  # the session cookies made here must verify there
        "DEBUG": "true",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    port, log = free_port(), directory / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and a fixed command line
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            cwd=settings.BASE_DIR,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(lambda: port_open(port), process=process, what=name, log=log)
        yield Daphne(process, port, log)
    finally:
        stop(process)  # before the test database is flushed: it holds connections to it


def session_cookie(user: User) -> str:
    """A signed-in session for `user`, stored where daphne reads sessions (what sign-in would store)."""
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "classrooms.backends.MembershipBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def websocket(port: int, path: str, cookie: str):
    return connect(
        f"ws://127.0.0.1:{port}{path}",
        origin=Origin(f"http://127.0.0.1:{port}"),
        additional_headers={"Cookie": cookie},
        proxy=None,  # straight to loopback, whatever proxy the environment names
        open_timeout=TIMEOUT,
    )


async def receive_type(ws: ClientConnection, frame_type: str, timeout: float = TIMEOUT) -> dict:
    """The next frame of `frame_type`, passing over others."""
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == frame_type:
                return frame
