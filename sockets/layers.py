"""The embedded channel layer of the single-process default (no REDIS_URL).

Channels' InMemoryChannelLayer scans every channel and every group membership
for expired messages on each send and receive, and starts a task per member on
each group send: at a school's 1,000 sockets that scan was a third of the
process's time, growing with the square of the sockets (docs/benchmarks.md).
This layer keeps the same semantics (capacity per channel, message expiry,
group expiry) with the scan done at most once a second, and a group send that
puts one copy of the message straight into each member's queue.

A member whose queue is full (its socket is not keeping up: capacity
messages waiting) does not lose messages silently: its queue is emptied and
replaced by one `layer.overflow` message, on which the consumer closes the
socket with 4429 (sockets/consumers.py); the client reconnects and gets the
whole picture again (snapshot or state).
"""

from __future__ import annotations

import asyncio
import time
from copy import deepcopy

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

SCAN_INTERVAL = 1.0  # seconds between expiry scans


class LocalChannelLayer(InMemoryChannelLayer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.scanned_at = 0.0
        self.dropped = 0  # messages refused by a full channel (a socket not keeping up)

    def _clean_expired(self):
        now = time.monotonic()
        if now - self.scanned_at < SCAN_INTERVAL:
            return
        self.scanned_at = now
        super()._clean_expired()

    async def group_send(self, group, message):
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        members = self.groups.get(group)
        if not members:
            return
        # One copy for the whole group: consumers only read events (sockets/consumers.py).
        item = (time.time() + self.expiry, deepcopy(message))
        for channel in list(members):
            queue = self.channels.get(channel)
            if queue is None:
                queue = self.channels[channel] = asyncio.Queue(maxsize=self.get_capacity(channel))
            try:
                queue.put_nowait(item)
            except asyncio.QueueFull:
                self.overflow(queue)

    def overflow(self, queue: asyncio.Queue) -> None:
        self.dropped += queue.qsize() + 1
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait((time.time() + self.expiry, {"type": "layer.overflow"}))

    async def send(self, channel, message):
        try:
            await super().send(channel, message)
        except ChannelFull:
            self.overflow(self.channels[channel])
