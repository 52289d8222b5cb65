"""The endorsement head start: the first calls of a burst go ahead, the rest follow the first to end."""

from __future__ import annotations

import asyncio
import threading
import time

from tradefin.gateway import aio, sync


def test_asyncio_gate_holds_a_burst_until_one_of_the_first_ends() -> None:
    async def scenario() -> None:
        gate = aio._BurstGate(limit=2, hold=30.0)
        entered: list[int] = []

        async def caller(index: int) -> None:
            await gate.enter()
            entered.append(index)

        tasks = [asyncio.ensure_future(caller(i)) for i in range(5)]
        await asyncio.sleep(0.01)
        assert entered == [0, 1]  # the head start
        gate.exit()  # one of them is endorsed: the rest of the burst goes
        await asyncio.gather(*tasks)
        assert sorted(entered) == [0, 1, 2, 3, 4]

    asyncio.run(scenario())


def test_asyncio_gate_lets_the_burst_go_after_the_hold() -> None:
    async def scenario() -> None:
        gate = aio._BurstGate(limit=1, hold=0.05)
        await gate.enter()
        started = time.monotonic()
        await asyncio.wait_for(gate.enter(), timeout=5)  # nobody ends: released by the timer
        assert 0.04 <= time.monotonic() - started < 1

    asyncio.run(scenario())


def test_asyncio_gate_forgets_a_cancelled_caller() -> None:
    async def scenario() -> None:
        gate = aio._BurstGate(limit=1, hold=30.0)
        await gate.enter()
        waiting = asyncio.ensure_future(gate.enter())
        await asyncio.sleep(0.01)
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
        gate.exit()
        await asyncio.wait_for(gate.enter(), timeout=1)  # the cancelled one took no place

    asyncio.run(scenario())


def test_thread_gate_holds_a_burst_until_one_of_the_first_ends() -> None:
    gate = sync._BurstGate(limit=2, hold=30.0)
    entered: list[int] = []
    lock = threading.Lock()

    def caller(index: int) -> None:
        gate.enter()
        with lock:
            entered.append(index)

    gate.enter()
    gate.enter()
    threads = [threading.Thread(target=caller, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(0.05)
    assert entered == []  # held behind the first two
    gate.exit()
    for thread in threads:
        thread.join(timeout=5)
    assert sorted(entered) == [0, 1, 2]


def test_thread_gate_lets_the_burst_go_after_the_hold() -> None:
    gate = sync._BurstGate(limit=1, hold=0.05)
    gate.enter()
    started = time.monotonic()
    gate.enter()
    assert 0.04 <= time.monotonic() - started < 1
