"""Calls run at once from threads, each with its own database connection (the race tests' one helper)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

from django.db import connection, connections


def at_once(
    calls: dict[Hashable, Callable[[], object]], *, timeout: float = 60
) -> tuple[dict[Hashable, object], dict[Hashable, BaseException]]:
    """Run every call in its own thread, all released together by a barrier once each is connected
    (so the calls really overlap). Returns each call's result and each call's exception, by name.
    """
    barrier = threading.Barrier(len(calls))
    lock = threading.Lock()
    results: dict[Hashable, object] = {}
    errors: dict[Hashable, BaseException] = {}

    def worker(name: Hashable, call: Callable[[], object]) -> None:
        try:
            connection.ensure_connection()  # connected before the start line
            barrier.wait(timeout=timeout)
            result = call()
        except BaseException as error:  # noqa: BLE001 - every failure is reported to the test
            with lock:
                errors[name] = error
        else:
            with lock:
                results[name] = result
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=item) for item in calls.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * timeout)
    assert not any(thread.is_alive() for thread in threads), "a worker thread hung"
    return results, errors
