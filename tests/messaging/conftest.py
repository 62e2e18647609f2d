"""Helpers for the messaging tests: sockets on /ws/inbox/ through the whole ASGI stack."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from classrooms.models import User
from config.asgi import application

ALLOWED_ORIGIN = b"http://127.0.0.1:8000"
IN_MEMORY_LAYER = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
TIMEOUT = 3  # seconds to wait for a frame that must come


async def signed_in(user: User) -> Client:
    """A test client with a real session for `user`, made by the backend the sign-in form uses."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    await sync_to_async(client.force_login)(user, backend="classrooms.backends.MembershipBackend")
    return client


class Sockets:
    """Opens /ws/inbox/ sockets and closes every one at the end of the test."""

    def __init__(self) -> None:
        self.opened: list[WebsocketCommunicator] = []

    async def connect(self, who: User | Client | None, *, origin: bytes | None = ALLOWED_ORIGIN):
        headers = [(b"origin", origin)] if origin else []
        if who is not None:
            client = who if isinstance(who, Client) else await signed_in(who)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
            headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
        socket = WebsocketCommunicator(application, "/ws/inbox/", headers=headers)
        self.opened.append(socket)
        connected, detail = await socket.connect(timeout=TIMEOUT)
        return socket, connected, detail

    async def inbox(self, who: User | Client) -> tuple[WebsocketCommunicator, dict]:
        """A connected inbox socket and the `unread` frame it got first."""
        socket, connected, detail = await self.connect(who)
        assert connected, f"refused with {detail}"
        first = await receive(socket)
        assert first["type"] == "unread"
        return socket, first

    async def close_all(self) -> None:
        for socket in self.opened:
            await socket.disconnect()


async def receive(socket: WebsocketCommunicator, timeout: float = TIMEOUT) -> dict:
    return json.loads(await socket.receive_from(timeout))


async def receive_type(socket: WebsocketCommunicator, frame_type: str, timeout: float = TIMEOUT) -> dict:
    """The next frame of `frame_type`, passing over others."""
    async with asyncio.timeout(timeout):
        while True:
            frame = await receive(socket, timeout)
            if frame["type"] == frame_type:
                return frame


async def closed_with(socket: WebsocketCommunicator, timeout: float = TIMEOUT) -> int:
    async with asyncio.timeout(timeout):
        while True:
            message = await socket.receive_output(timeout)
            if message["type"] == "websocket.close":
                return message.get("code", 1000)


async def db(function, *args, **kwargs):
    return await sync_to_async(function)(*args, **kwargs)


@pytest.fixture
async def sockets(settings):
    settings.CHANNEL_LAYERS = IN_MEMORY_LAYER  # a fresh layer for every test
    opened = Sockets()
    yield opened
    await opened.close_all()


@pytest.fixture(autouse=True)
def english(client):
    """The test client in English, so assertions can quote the English source strings."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client
