"""Group commit (sockets/batch.py): items that arrive together are written together, each caller
hears its own result, and one item the database refuses fails alone.
"""

from __future__ import annotations

import asyncio

import pytest

from sockets.batch import GroupCommit


class Refused(Exception):
    pass


async def test_items_waiting_together_are_written_in_one_batch_each_caller_gets_its_result():
    batches: list[list[int]] = []

    def write(items: list[int]) -> list:
        batches.append(list(items))
        return [item * 10 if item % 2 == 0 else ValueError(item) for item in items]

    commit = GroupCommit(write)
    results = await asyncio.gather(*(commit.submit(n) for n in range(6)), return_exceptions=True)

    assert results[0::2] == [0, 20, 40]
    assert [str(error) for error in results[1::2]] == ["1", "3", "5"]
    assert sum(len(batch) for batch in batches) == 6
    assert len(batches) <= 2, "the first alone at most, then the rest together"


async def test_one_item_that_breaks_the_transaction_fails_alone():
    def write(items: list[str]) -> list[str]:
        if "poison" in items:
            raise Refused("value out of range")  # the whole transaction rolls back
        return [item.upper() for item in items]

    commit = GroupCommit(write)
    results = await asyncio.gather(*(commit.submit(item) for item in ["a", "poison", "b", "c"]), return_exceptions=True)

    assert results[0] == "A"
    assert results[2:] == ["B", "C"]
    assert isinstance(results[1], Refused)


async def test_a_caller_that_went_away_does_not_stop_the_others():
    written: list[list[int]] = []

    def write(items: list[int]) -> list[int]:
        written.append(list(items))
        return items

    commit = GroupCommit(write)
    first = asyncio.ensure_future(commit.submit(1))
    gone = asyncio.ensure_future(commit.submit(2))
    await asyncio.sleep(0)  # both have handed in their item
    gone.cancel()

    assert await first == 1
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert await commit.submit(3) == 3
    assert [1, 2] in written, "the batch was written; only its answer to the gone caller was dropped"
