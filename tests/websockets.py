"""Helpers for websocket tests: sockets through the whole ASGI stack (the real Origin check and
session authentication, with the cookie of a real sign-in), and frames awaited with a bound.
"""

from __future__ import annotations

import asyncio
import json

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections
from django.test import Client

from classrooms.models import User
from config.asgi import application
from sockets.executor import close_pool
from sockets.process import stop_ticking
from tests.conftest import pass_second_factor

ALLOWED_ORIGIN = b"http://127.0.0.1:8000"
# The Host header a browser on that origin sends: with CSRF_TRUSTED_ORIGINS empty, the site's own
# origin is the handshake's Host and scheme (sockets/origins.py).
SITE_HOST = b"127.0.0.1:8000"
IN_MEMORY_LAYER = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
TIMEOUT = 10  # seconds to wait for a frame that must come (a bound for a loaded machine, not a pause)


async def signed_in(user: User, **client_defaults) -> Client:
    """A test client with a real session for `user`, made by the backend the sign-in form uses."""
    client = Client(**client_defaults)
    await sync_to_async(client.force_login)(user, backend="classrooms.backends.MembershipBackend")
    await sync_to_async(pass_second_factor)(client, user)
    return client


class Sockets:
    """Opens websockets and closes every one at the end of the test."""

    client_defaults: dict = {}

    def __init__(self) -> None:
        self.opened: list[WebsocketCommunicator] = []

    async def connect(
        self,
        path: str,
        who: User | Client | None,
        *,
        origin: bytes | None = ALLOWED_ORIGIN,
        peer: str | None = None,
        headers: list[tuple[bytes, bytes]] | None = None,
        scheme: str = "ws",
    ) -> tuple[WebsocketCommunicator, bool, object]:
        """Returns (socket, connected, subprotocol or close code). `peer`: the client's IP address.

        `headers`: more handshake headers (a Host other than SITE_HOST replaces it); `scheme`: ws or wss.
        """
        extra = list(headers or [])
        headers = [(b"origin", origin)] if origin else []
        if not any(name == b"host" for name, _value in extra):
            headers.append((b"host", SITE_HOST))
        headers += extra
        if who is not None:
            client = who if isinstance(who, Client) else await signed_in(who, **self.client_defaults)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
            headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
        socket = WebsocketCommunicator(application, path, headers=headers)
        socket.scope["scheme"] = scheme
        if peer is not None:
            socket.scope["client"] = (peer, 50000)  # the application reads the scope when it first runs
        self.opened.append(socket)
        connected, detail = await socket.connect(timeout=TIMEOUT)
        return socket, connected, detail

    async def close_all(self) -> None:
        for socket in self.opened:
            await socket.disconnect()
        await stop_ticking()
        # The consumers' database calls ran on the live pool (sockets/executor.py) and asgiref's sync
        # thread: close their connections too, or PostgreSQL refuses to drop the test database.
        await sync_to_async(close_pool, thread_sensitive=False)()
        await sync_to_async(connections.close_all)()


async def receive(socket: WebsocketCommunicator, timeout: float = TIMEOUT) -> dict:
    return json.loads(await socket.receive_from(timeout))


async def receive_type(socket: WebsocketCommunicator, frame_type: str, timeout: float = TIMEOUT) -> dict:
    """The next frame of `frame_type`, passing over others."""
    async with asyncio.timeout(timeout):
        while True:
            frame = await receive(socket, timeout)
            if frame["type"] == frame_type:
                return frame


async def receive_until(socket: WebsocketCommunicator, done, timeout: float = TIMEOUT) -> list[dict]:
    """Every frame up to and including the first one for which `done(frame)` is true."""
    frames = []
    async with asyncio.timeout(timeout):
        while True:
            frames.append(await receive(socket, timeout))
            if done(frames[-1]):
                return frames


async def closed_with(socket: WebsocketCommunicator, timeout: float = TIMEOUT) -> int:
    """The close code the server sends next (frames before it are passed over)."""
    async with asyncio.timeout(timeout):
        while True:
            message = await socket.receive_output(timeout)
            if message["type"] == "websocket.close":
                return message.get("code", 1000)


def joined_groups(layer) -> dict[str, set[str]]:
    """The in-memory layer's groups that have members."""
    return {group: set(channels) for group, channels in layer.groups.items() if channels}


async def db(function, *args, **kwargs):
    return await sync_to_async(function)(*args, **kwargs)
