"""The endorsement head start: the first calls of a burst go ahead, the rest follow the first to end."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

import grpc  # type: ignore[import-untyped]
from cryptography.hazmat.primitives.asymmetric import ec

from tests.unit.gateway.fakes import FakeAioChannel, FakePeer, failing
from tradefin.gateway import EndorseError, X509Identity, aio, new_private_key_signer, sync
from tradefin.gateway._flow import ENDORSE_HEAD_START


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


def test_a_burst_signs_nothing_but_its_head_start_before_one_of_them_is_submitted(
    identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    """The first transactions of a burst are built, signed, endorsed and submitted before the others
    even sign their proposals: their Submit then starts the orderer's batch timer early."""
    peer = FakePeer()
    signer = new_private_key_signer(private_key)
    events: list[str] = []

    def recording_signer(digest: bytes) -> bytes:
        events.append("sign")
        return signer(digest)

    original = peer.handle

    def recording_handle(method: str, request: bytes, timeout: float | None) -> bytes:
        events.append(method.rsplit("/", 1)[1])
        return original(method, request, timeout)

    peer.handle = recording_handle  # type: ignore[method-assign]

    class RoundTripChannel(FakeAioChannel):
        """Each call yields to the event loop once, as a real round trip does."""

        def unary_unary(self, method: str, *args: Any, **kwargs: Any) -> Callable[..., Any]:
            answer = super().unary_unary(method)

            async def call(request: bytes, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
                await asyncio.sleep(0)
                result: bytes = await answer(request, timeout)
                return result

            return call

    async def scenario() -> None:
        async with aio.connect(RoundTripChannel(peer), identity, recording_signer) as gateway:
            contract = gateway.get_network("ch").get_contract("cc")
            await asyncio.gather(*(contract.submit("fn", [str(i)]) for i in range(6)))

    asyncio.run(scenario())
    first_submit = events.index("Submit")
    head_start = ENDORSE_HEAD_START
    # before the first Submit: the head start's proposal, envelope and commit-status signatures only
    assert 1 <= events[:first_submit].count("Endorse") <= head_start
    assert events[:first_submit].count("sign") <= 3 * head_start  # the other four have not signed yet
    assert events.count("Submit") == 6 and events.count("Endorse") == 6


class HeldEndorseChannel(FakeAioChannel):
    """Endorse calls wait until ``release`` is set (or fail with ``failure``); other calls answer at once."""

    def __init__(self, peer: FakePeer) -> None:
        super().__init__(peer)
        self.release = asyncio.Event()
        self.endorsing = 0
        self.started: asyncio.Queue[None] = asyncio.Queue()

    async def wait_endorsing(self, count: int) -> None:
        for _ in range(count):
            await self.started.get()

    def unary_unary(self, method: str, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        answer = super().unary_unary(method)

        async def call(request: bytes, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
            if method.endswith("/Endorse"):
                self.endorsing += 1
                self.started.put_nowait(None)
                await self.release.wait()
            result: bytes = await answer(request, timeout)
            return result

        return call


def test_an_evaluate_is_not_held_behind_a_burst_of_endorsements(
    identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    async def scenario() -> None:
        channel = HeldEndorseChannel(FakePeer())
        gateway = aio.connect(channel, identity, new_private_key_signer(private_key))
        gateway._client._endorse_gate = aio._BurstGate(ENDORSE_HEAD_START, hold=30.0)  # no timer release
        contract = gateway.get_network("ch").get_contract("cc")
        burst = [asyncio.ensure_future(contract.submit("fn", [str(i)])) for i in range(ENDORSE_HEAD_START + 2)]
        await channel.wait_endorsing(ENDORSE_HEAD_START)
        # the head start holds every place and the rest of the burst waits: an evaluate still goes
        assert await asyncio.wait_for(contract.evaluate("fn"), timeout=2) == b"result"
        assert channel.endorsing == ENDORSE_HEAD_START
        channel.release.set()
        await asyncio.gather(*burst)

    asyncio.run(scenario())


def test_failed_and_cancelled_calls_give_their_place_back(
    identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    async def scenario() -> None:
        peer = FakePeer()
        channel = HeldEndorseChannel(peer)
        signer = new_private_key_signer(private_key)
        fail_signing = False

        def flaky_signer(digest: bytes) -> bytes:
            if fail_signing:
                raise RuntimeError("HSM unavailable")
            return signer(digest)

        gateway = aio.connect(channel, identity, flaky_signer)
        gate = gateway._client._endorse_gate
        contract = gateway.get_network("ch").get_contract("cc")

        cancelled = asyncio.ensure_future(contract.submit("fn"))  # cancelled while its Endorse is in flight
        await channel.wait_endorsing(1)
        assert gate._running == 1
        cancelled.cancel()
        await asyncio.gather(cancelled, return_exceptions=True)
        assert gate._running == 0

        channel.release.set()
        peer.script("/gateway.Gateway/Endorse", failing(grpc.StatusCode.ABORTED, "rejected"))
        for _ in range(ENDORSE_HEAD_START + 1):
            with contextlib.suppress(EndorseError):
                await contract.submit("fn")
        assert gate._running == 0

        peer.scripts.clear()
        fail_signing = True
        for _ in range(ENDORSE_HEAD_START + 1):
            with contextlib.suppress(RuntimeError):
                await contract.submit("fn")
        assert gate._running == 0
        fail_signing = False
        assert await asyncio.wait_for(contract.submit("fn"), timeout=2) == b"result"

    asyncio.run(scenario())
