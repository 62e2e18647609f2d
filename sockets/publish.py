"""The one broadcast point. Only services call `publish`, and only after commit.

The channel layer is a notification bus, not storage (docs/design.md §10):
delivery is at-most-once, so every event to a proctor carries the session's
sequence number and clients that see a gap ask for a snapshot.

Code in a server process runs its database work in threads (the sockets'
pool, the threads of HTTP requests). A broadcast from there is handed to the
event loop and sent by one publisher task per loop, in the order handed over,
without the thread waiting for it: a database thread that waited for the
event loop on each broadcast spent a sixth of its time there under load.
Outside a server (management commands, plain tests) it is sent at once.
"""

from __future__ import annotations

import asyncio
import logging
import os

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    """Every socket of a user joins this group, so signing out or suspension can close them all."""
    return f"user.{user_id}"


def publish(group: str, event: dict) -> None:
    """Send `event` to `group` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: _send(group, event))


def close_user_sockets(user_id: int) -> None:
    """Close every socket of the user (4401): sign-out, suspension, a password change, a membership ending."""
    publish(user_group(user_id), {"type": "force.close"})


class _Publisher:
    """Sends what threads hand over on the loop it belongs to: in order within a group, groups side
    by side (a Redis group send is a few round trips; one at a time for the whole process was the
    bottleneck of the proctors' events with PostgreSQL + Redis).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.queue: asyncio.Queue[tuple[str, dict]] = asyncio.Queue()
        self.last: dict[str, asyncio.Task] = {}  # per group: the send the next one waits for
        self.task = loop.create_task(self.run(), name="kantoku-publisher")

    async def run(self) -> None:
        while True:
            group, event = await self.queue.get()
            previous = self.last.get(group)
            task = self.loop.create_task(self.send(group, event, previous))
            self.last[group] = task
            task.add_done_callback(lambda done, group=group: self.forget(group, done))

    def forget(self, group: str, done: asyncio.Task) -> None:
        if self.last.get(group) is done:
            del self.last[group]

    @staticmethod
    async def send(group: str, event: dict, previous: asyncio.Task | None) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        try:
            await get_channel_layer().group_send(group, event)
        except Exception:  # the bus is best effort; clients recover by snapshot
            logger.exception("broadcast to %s failed", group)


_publishers: dict[asyncio.AbstractEventLoop, _Publisher] = {}


def _hand_over(loop: asyncio.AbstractEventLoop, group: str, event: dict) -> None:
    """On the loop's own thread: queue the event for its publisher (started on first use)."""
    publisher = _publishers.get(loop)
    if publisher is None or publisher.task.done():
        for stale in [other for other in _publishers if other.is_closed()]:
            del _publishers[stale]
        publisher = _publishers[loop] = _Publisher(loop)
    publisher.queue.put_nowait((group, event))


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop this thread's code was called from, when it was called from one."""
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if loop is None or getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    return loop if loop.is_running() else None


def _send(group: str, event: dict) -> None:
    loop = _server_loop()
    try:
        if loop is not None:
            loop.call_soon_threadsafe(_hand_over, loop, group, event)
        else:
            async_to_sync(get_channel_layer().group_send)(group, event)
    except Exception:  # the bus is best effort; clients recover by snapshot
        logger.exception("broadcast to %s failed", group)
