"""Database work of websocket consumers, off the event loop and off asgiref's one shared thread.

Channels' `database_sync_to_async` runs every call of a process on one thread
and, with CONN_MAX_AGE = 0, opens and closes a database connection around each
call. Under a school's load that is one database call at a time for the whole
process, each paying a new connection (docs/design.md §10). Here the
calls run on a small pool of `LIVE_DB_THREADS` threads, each keeping its own
connection for as long as it is usable (on PostgreSQL it is borrowed from
Django's connection pool and kept).

Code running here may call `sockets.publish.publish`: asgiref hands the send
back to the event loop the call came from.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from asgiref.sync import SyncToAsync
from django.conf import settings
from django.db import connections

T = TypeVar("T")

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=settings.LIVE_DB_THREADS, thread_name_prefix="live-db")
        return _pool


def _keep_connections_usable() -> None:
    """After a call: close a connection only when it is broken (Django's close_old_connections
    would also close it by age, i.e. after every call with CONN_MAX_AGE = 0).
    """
    for connection in connections.all(initialized_only=True):
        if connection.connection is None:
            continue
        if connection.in_atomic_block or connection.get_autocommit() != connection.settings_dict["AUTOCOMMIT"]:
            connection.close()  # a call that left a transaction open: never reuse that
        elif connection.errors_occurred:
            if connection.is_usable():
                connection.errors_occurred = False
            else:
                connection.close()


class _LiveDatabaseCall(SyncToAsync):
    def thread_handler(self, loop, *args, **kwargs):
        try:
            return super().thread_handler(loop, *args, **kwargs)
        finally:
            _keep_connections_usable()


async def run_db(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run `function(*args, **kwargs)` on the live database pool and await its result."""
    return await _LiveDatabaseCall(function, thread_sensitive=False, executor=_executor())(*args, **kwargs)


def close_pool() -> None:
    """Close every pooled thread's database connection and the pool itself (test teardown,
    or before a test database is dropped). A new pool starts at the next call.
    """
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is None:
        return
    workers = pool._max_workers
    barrier = threading.Barrier(workers)

    def close_here() -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=10)  # one job per thread: each waits until all threads hold one
        connections.close_all()

    for future in [pool.submit(close_here) for _ in range(workers)]:
        future.result()
    pool.shutdown(wait=True)
