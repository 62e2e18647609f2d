"""The embedded channel layer (sockets/layers.py): Channels' in-memory semantics without its
per-message scan, and a socket that falls behind is closed (4429) instead of losing events silently.
"""

from __future__ import annotations

import asyncio

import pytest
from channels.layers import get_channel_layer

from sockets.consumers import CLOSE_TOO_SLOW
from sockets.layers import LocalChannelLayer
from tests.websockets import Sockets, closed_with, receive_type


async def test_a_group_send_reaches_every_member_once():
    layer = LocalChannelLayer()
    names = [await layer.new_channel() for _ in range(3)]
    for name in names:
        await layer.group_add("class.1", name)
    await layer.group_add("class.2", names[0])

    await layer.group_send("class.1", {"type": "hello", "n": 1})

    for name in names:
        assert await asyncio.wait_for(layer.receive(name), 1) == {"type": "hello", "n": 1}
        assert name not in layer.channels, "nothing else is waiting"


async def test_expired_messages_still_expire():
    layer = LocalChannelLayer(expiry=0)
    name = await layer.new_channel()
    await layer.group_add("class.1", name)
    await layer.group_send("class.1", {"type": "stale"})
    layer.scanned_at = 0  # the next operation scans

    await layer.group_send("class.2", {"type": "other"})

    assert name not in layer.channels
    assert "class.1" not in layer.groups or name not in layer.groups["class.1"], "an expired member leaves its groups"


async def test_a_full_channel_gets_one_overflow_message_instead_of_a_silent_gap():
    layer = LocalChannelLayer(capacity=3)
    name = await layer.new_channel()
    await layer.group_add("class.1", name)

    for n in range(5):
        await layer.group_send("class.1", {"type": "event", "n": n})

    # 0, 1, 2 filled the queue; 3 overflowed it: those four are gone, and the socket hears so first.
    assert await layer.receive(name) == {"type": "layer.overflow"}
    assert await layer.receive(name) == {"type": "event", "n": 4}, "it goes on after the overflow"
    assert layer.dropped == 4


@pytest.mark.django_db(transaction=True)
async def test_a_socket_that_falls_behind_its_events_is_closed_to_resync(settings, teacher):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "sockets.layers.LocalChannelLayer", "CONFIG": {"capacity": 5}}}
    sockets = Sockets()
    try:
        socket, connected, _detail = await sockets.connect("/ws/inbox/", teacher)
        assert connected
        await receive_type(socket, "unread")
        layer = get_channel_layer()

        for _ in range(20):  # faster than the socket takes them: no await lets it run in between
            await layer.group_send(f"user.{teacher.pk}", {"type": "inbox.receipt", "id": 1, "status": "read", "at": ""})

        assert await closed_with(socket) == CLOSE_TOO_SLOW
    finally:
        await sockets.close_all()
