"""Websocket helpers and fixtures shared by the proctoring tests (generic ones: tests/websockets.py)."""

from __future__ import annotations

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client

from classrooms.models import User
from proctoring.models import ProctoredSession
from tests.websockets import IN_MEMORY_LAYER, Sockets, receive_type


class ProctoringSockets(Sockets):
    """Sockets on /ws/proctor/ and /ws/exam/."""

    async def proctor(self, who: User | Client, session: ProctoredSession) -> tuple[WebsocketCommunicator, dict]:
        """A proctor socket and the snapshot it got on connect."""
        socket, connected, detail = await self.connect(f"/ws/proctor/{session.pk}/", who)
        assert connected, f"refused with {detail}"
        return socket, await receive_type(socket, "snapshot")

    async def examinee(
        self, who: User | Client, session: ProctoredSession, *, peer: str | None = None
    ) -> tuple[WebsocketCommunicator, dict]:
        """An examinee socket and the state it got on connect."""
        socket, connected, detail = await self.connect(f"/ws/exam/{session.pk}/", who, peer=peer)
        assert connected, f"refused with {detail}"
        return socket, await receive_type(socket, "state")


def assert_numbered(frames: list[dict], after: int) -> int:
    """Proctor events carry the session's numbers, one after the other from `after` + 1."""
    seqs = [frame["seq"] for frame in frames]
    assert seqs == list(range(after + 1, after + 1 + len(frames))), seqs
    return seqs[-1] if seqs else after


@pytest.fixture
async def sockets(settings):
    settings.CHANNEL_LAYERS = IN_MEMORY_LAYER  # a fresh layer for every test (and no Redis by accident)
    opened = ProctoringSockets()
    yield opened
    await opened.close_all()


@pytest.fixture
def layer(sockets):
    return get_channel_layer()
