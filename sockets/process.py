"""This server process: its name, its lease, and its tick.

Every process that serves websockets keeps a ServerProcess row alive by
renewing its lease every LIVE_TICK_SECONDS. Presence rows name their process
(proctoring.Connection.process), and a socket counts as present only while
its process's lease is fresh (LIVE_LEASE_SECONDS). So a process killed with
its sockets open leaves no one "online": within the lease, any live process
clears the dead one's rows, and a process restarted under the same name
(`KANTOKU_PROCESS_NAME`, set per daphne instance in production) clears its own
at its first tick (docs/design.md §10; docs/deploy.md).

Every open socket of the process is registered here (`register`, by the
frame consumer base). The tick closes those that close when silent and went
silent, and runs the hooks apps register: `on_tick` on the database pool,
`on_tick_sockets` in the event loop with the open sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import os
import socket as _socket
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from django.conf import settings
from django.utils import timezone

from sockets.executor import run_db
from sockets.models import ServerProcess

logger = logging.getLogger(__name__)


class Socket(Protocol):
    channel_name: str
    close_when_silent: bool  # closed by the tick after LIVE_PRESENCE_TIMEOUT_SECONDS without a frame
    last_frame_at: float  # time.monotonic() of the last frame heard

    async def close_silent(self, last_heard: datetime.datetime) -> None: ...


def process_name() -> str:
    return settings.KANTOKU_PROCESS_NAME or f"{_socket.gethostname()}:{os.getpid()}"


def lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.LIVE_LEASE_SECONDS)


def live_processes(now: datetime.datetime | None = None):
    """Names of the processes whose lease is fresh (a queryset to filter presence rows by)."""
    now = now or timezone.now()
    return ServerProcess.objects.filter(renewed_at__gte=now - lease()).values("name")


def renew(name: str, now: datetime.datetime | None = None) -> None:
    """Renew this process's lease (create it on first use)."""
    now = now or timezone.now()
    if not ServerProcess.objects.filter(name=name).update(renewed_at=now):
        ServerProcess.objects.get_or_create(name=name, defaults={"started_at": now, "renewed_at": now})


_hooks: list[Callable[[str], None]] = []
_socket_hooks: list[Callable[[list], Awaitable[None]]] = []


def on_tick(hook: Callable[[str], None]) -> Callable[[str], None]:
    """Register `hook(process_name)`, run on the database pool at every tick of every process."""
    _hooks.append(hook)
    return hook


def on_tick_sockets(hook: Callable[[list], Awaitable[None]]) -> Callable[[list], Awaitable[None]]:
    """Register `await hook(open_sockets)`, run in the event loop at every tick with this process's
    open sockets (`register`).
    """
    _socket_hooks.append(hook)
    return hook


class _Ticker:
    def __init__(self) -> None:
        self.open: dict[str, Socket] = {}
        self.task: asyncio.Task | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def ensure_running(self) -> None:
        loop = asyncio.get_running_loop()
        if self.task is not None and not self.task.done() and self.loop is loop:
            return
        if self.loop is not loop:  # a new event loop (tests): start afresh
            self.open.clear()
        self.loop = loop
        self.task = loop.create_task(self.run(), name="kantoku-live-tick")

    async def run(self) -> None:
        while True:
            started = time.monotonic()
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # a failed tick (database restarting) is retried at the next one
                logger.exception("live tick failed")
            await asyncio.sleep(max(0.5, settings.LIVE_TICK_SECONDS - (time.monotonic() - started)))

    async def tick(self) -> None:
        name = process_name()
        await run_db(renew, name)
        silent_for = settings.LIVE_PRESENCE_TIMEOUT_SECONDS
        now_mono, now = time.monotonic(), timezone.now()
        for consumer in list(self.open.values()):
            quiet = now_mono - consumer.last_frame_at
            if consumer.close_when_silent and quiet >= silent_for:
                self.open.pop(consumer.channel_name, None)
                await consumer.close_silent(now - datetime.timedelta(seconds=quiet))
        for hook in _hooks:
            await run_db(hook, name)
        for socket_hook in _socket_hooks:
            await socket_hook(list(self.open.values()))


_ticker = _Ticker()


def register(consumer: Socket) -> None:
    """An open socket of this process; keeps the tick running."""
    _ticker.ensure_running()
    _ticker.open[consumer.channel_name] = consumer


def unregister(consumer: Socket) -> None:
    _ticker.open.pop(consumer.channel_name, None)


def is_open_here(channel_name: str) -> bool:
    """Is a socket of this process with that channel name open? (Safe from the database pool's threads.)"""
    return channel_name in _ticker.open


async def stop_ticking() -> None:
    """Stop this process's tick (tests, before their database goes away)."""
    task, _ticker.task = _ticker.task, None
    _ticker.open.clear()
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def tick_now() -> None:
    """One tick at once (tests, and a process that wants its presence right immediately)."""
    await _ticker.tick()
