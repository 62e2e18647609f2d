"""Helpers for the messaging tests: sockets on /ws/inbox/ through the whole ASGI stack."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client

from classrooms.models import User
from tests import websockets
from tests.websockets import ALLOWED_ORIGIN, IN_MEMORY_LAYER, Sockets, receive

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


async def signed_in(user: User) -> Client:
    """A signed-in test client that asks for English, so assertions can quote the source strings."""
    return await websockets.signed_in(user, **ENGLISH)


class InboxSockets(Sockets):
    """Sockets on /ws/inbox/, opened by English-speaking clients."""

    client_defaults = ENGLISH

    async def connect(self, who: User | Client | None, *, origin: bytes | None = ALLOWED_ORIGIN):
        return await super().connect("/ws/inbox/", who, origin=origin)

    async def inbox(self, who: User | Client) -> tuple[WebsocketCommunicator, dict]:
        """A connected inbox socket and the `unread` frame it got first."""
        socket, connected, detail = await self.connect(who)
        assert connected, f"refused with {detail}"
        first = await receive(socket)
        assert first["type"] == "unread"
        return socket, first


@pytest.fixture
async def sockets(settings):
    settings.CHANNEL_LAYERS = IN_MEMORY_LAYER  # a fresh layer for every test
    opened = InboxSockets()
    yield opened
    await opened.close_all()


@pytest.fixture(autouse=True)
def english(client):
    """The test client in English, so assertions can quote the English source strings."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client
