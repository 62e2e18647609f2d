"""Group commit: many small writes from many sockets, one transaction at a time.

Each socket awaits its own item; items that arrive while a batch is being
written go together into the next one. Under light load a batch is one item
and nothing waits; under a school's load (hundreds of signals a second) the
database sees a few transactions a second instead of hundreds, and each
caller still hears back only after its item is committed, so "stored before
shown" holds (docs/design.md §10).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sockets.executor import run_db


class GroupCommit:
    def __init__(self, write: Callable[[list], list], *, max_batch: int = 500, window: float = 0.0):
        """`write(items)` runs on the database pool and returns one result per item, in order;
        a result that is an exception is raised to that item's caller alone. `window`: seconds to
        wait for more items after the first of a batch arrives (each batch costs a few queries
        whatever its size, so under steady load a short wait saves most of them).
        """
        self.write = write
        self.max_batch = max_batch
        self.window = window
        self.pending: list[tuple[Any, asyncio.Future]] = []
        self.writer: asyncio.Task | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    async def submit(self, item: Any) -> Any:
        loop = asyncio.get_running_loop()
        if self.loop is not loop:  # a new event loop (tests): nothing pending belongs to it
            self.loop, self.pending, self.writer = loop, [], None
        future = loop.create_future()
        self.pending.append((item, future))
        if self.writer is None or self.writer.done():
            self.writer = loop.create_task(self.drain())
        return await future

    async def drain(self) -> None:
        if self.window:
            await asyncio.sleep(self.window)
        while self.pending:
            batch, self.pending = self.pending[: self.max_batch], self.pending[self.max_batch :]
            results = await self.write_batch([item for item, _future in batch])
            for (_item, future), result in zip(batch, results, strict=True):
                if future.done():  # its socket went away meanwhile
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)

    async def write_batch(self, items: list) -> list:
        """One transaction for all; should it fail, one per item, so that one item the database
        refuses (a bug, a value out of range) fails alone rather than its whole batch.
        """
        try:
            return await run_db(self.write, items)
        except Exception as error:  # noqa: BLE001 - answered per item below
            if len(items) == 1:
                return [error]
        results = []
        for item in items:
            try:
                results.extend(await run_db(self.write, [item]))
            except Exception as error:  # noqa: BLE001 - this item's caller hears it
                results.append(error)
        return results
