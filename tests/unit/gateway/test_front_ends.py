"""One core, two front ends: the asyncio API mirrors the blocking one, name for name, and behaves the same."""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from typing import Any

import grpc  # type: ignore[import-untyped]
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.unit.gateway.fakes import FakeAioChannel, FakePeer, FakeRpcError, committed, failing
from tradefin.gateway import (
    Cancellation,
    CommitError,
    EndorseError,
    GatewayError,
    GrpcCode,
    Outcome,
    ResubmitPolicy,
    TransactionInDoubtError,
    ValidationCode,
    X509Identity,
    new_private_key_signer,
)
from tradefin.gateway import aio as gateway_aio
from tradefin.gateway import sync as gateway_sync

FRONT_END_CLASSES = [
    "Gateway",
    "Network",
    "Contract",
    "Proposal",
    "Transaction",
    "Commit",
    "SubmittedTransaction",
    "ChaincodeEventsRequest",
    "BlockEventsRequest",
    "EventStream",
]


def public_methods(cls: type) -> dict[str, Any]:
    return {name: member for name, member in inspect.getmembers(cls) if not name.startswith("_")}


@pytest.mark.parametrize("name", FRONT_END_CLASSES)
def test_same_names_and_parameters(name: str) -> None:
    blocking, asynchronous = getattr(gateway_sync, name), getattr(gateway_aio, name)
    blocking_members, async_members = public_methods(blocking), public_methods(asynchronous)
    iteration = {"__iter__", "__next__", "__aiter__", "__anext__", "aclose"}
    assert set(blocking_members) - iteration == set(async_members) - iteration
    for member, sync_value in blocking_members.items():
        if callable(sync_value) and member in async_members and not isinstance(sync_value, type):
            # same names, kinds, defaults and types (annotations), and the same result type
            assert described(sync_value) == described(async_members[member]), member


def described(function: Any) -> tuple[list[tuple[str, str, Any, str]], str]:
    signature = inspect.signature(function)
    parameters = [(p.name, str(p.annotation), p.kind, repr(p.default)) for p in signature.parameters.values()]
    return parameters, str(signature.return_annotation)


def test_both_connects_take_the_same_options() -> None:
    blocking, asynchronous = described(gateway_sync.connect), described(gateway_aio.connect)
    # the one difference: an asyncio signer may also return an awaitable (a remote HSM)
    assert [p for p in blocking[0] if p[0] != "signer"] == [p for p in asynchronous[0] if p[0] != "signer"]
    assert blocking[0][2][:2] == ("signer", "Signer | None")
    assert asynchronous[0][2][:2] == ("signer", "AsyncSigner | None")


def test_both_front_ends_share_the_core_classes() -> None:
    for name in FRONT_END_CLASSES[:-1]:
        blocking, asynchronous = getattr(gateway_sync, name), getattr(gateway_aio, name)
        shared = set(blocking.__mro__[1:]) & set(asynchronous.__mro__[1:])
        assert shared - {object}, name


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_async_submit_evaluate_and_errors(
    peer: FakePeer, identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    async def scenario() -> None:
        async with gateway_aio.connect(FakeAioChannel(peer), identity, new_private_key_signer(private_key)) as gw:
            contract = gw.get_network("asia-europe").get_contract("tradefin", "lc")
            assert await contract.evaluate("Get", ["LC-1"]) == b"result"
            assert await contract.submit("Issue", ["LC-1"]) == b"result"
            peer.script("/gateway.Gateway/CommitStatus", committed(ValidationCode.MVCC_READ_CONFLICT))
            with pytest.raises(CommitError):
                await contract.submit("Issue", ["LC-1"])
            peer.script("/gateway.Gateway/Endorse", failing(grpc.StatusCode.ABORTED, "ERR_INVALID_INPUT"))
            with pytest.raises(EndorseError):
                await contract.submit("Issue", ["LC-1"])

    run(scenario())


def test_async_resolution_and_fine_grained_flow(
    peer: FakePeer, identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    peer.script(
        "/gateway.Gateway/CommitStatus",
        failing(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline"),
        committed(ValidationCode.VALID, 3),
    )

    async def scenario() -> None:
        gw = gateway_aio.connect(
            FakeAioChannel(peer), identity, new_private_key_signer(private_key), resubmit=ResubmitPolicy(pause=0)
        )
        proposal = gw.get_network("ch").get_contract("cc").new_proposal("fn", ["x"])
        transaction = await proposal.endorse()
        submitted = await transaction.submit()
        resolution = await submitted.resolve()
        assert resolution.outcome is Outcome.VALID
        assert resolution.submit_attempts == 2
        assert submitted.result == b"result"
        await gw.close()

    run(scenario())


def test_async_closing_the_gateway_during_a_status_wait_ends_the_resolution_in_doubt(
    peer: FakePeer, identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    class ClosingChannel(FakeAioChannel):
        """Like grpc.aio: closing the channel ends the calls in flight with CancelledError in their callers."""

        def __init__(self, peer: FakePeer) -> None:
            super().__init__(peer)
            self.waiting = asyncio.Event()
            self.closing = asyncio.Event()

        def unary_unary(self, method: str, *args: Any, **kwargs: Any) -> Any:
            async def call(request: bytes, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
                if method.endswith("/CommitStatus"):
                    peer.handle(method, request, timeout)
                    self.waiting.set()
                    await self.closing.wait()
                    raise asyncio.CancelledError
                return peer.handle(method, request, timeout)

            return call

        async def close(self) -> None:  # type: ignore[override]
            self.closed = True
            self.closing.set()

    async def scenario() -> None:
        channel = ClosingChannel(peer)
        gw = gateway_aio.connect(channel, identity, new_private_key_signer(private_key))
        submit = asyncio.ensure_future(gw.get_network("ch").get_contract("cc").submit("fn"))
        await channel.waiting.wait()
        await gw.close()
        await channel.close()  # the test owns this channel (a gateway closes only a channel it opened)
        with pytest.raises(TransactionInDoubtError) as caught:  # an answer, not a CancelledError
            await submit
        assert caught.value.code is GrpcCode.CANCELLED
        with pytest.raises(GatewayError, match="the gateway is closed"):
            await gw.get_network("ch").get_contract("cc").evaluate("fn")

    run(scenario())
    assert [call.method.rsplit("/", 1)[1] for call in peer.calls] == ["Endorse", "Submit", "CommitStatus"]


def test_async_signer_may_be_a_coroutine(
    peer: FakePeer, identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    sign = new_private_key_signer(private_key)
    signed: list[bytes] = []

    async def remote_hsm(digest: bytes) -> bytes:
        await asyncio.sleep(0)
        signed.append(digest)
        return sign(digest)

    async def scenario() -> bytes:
        gw = gateway_aio.connect(FakeAioChannel(peer), identity, remote_hsm)
        return await gw.get_network("ch").get_contract("cc").submit("fn")

    assert run(scenario()) == b"result"
    assert len(signed) == 3


def test_cancelling_the_task_cancels_the_call(identity: X509Identity, private_key: ec.EllipticCurvePrivateKey) -> None:
    started = asyncio.Event()

    call_cancelled = False

    class SlowChannel(FakeAioChannel):
        def unary_unary(self, method: str, *args: Any, **kwargs: Any) -> Any:
            async def call(request: bytes, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
                nonlocal call_cancelled
                started.set()
                try:
                    await asyncio.sleep(60)
                except asyncio.CancelledError:
                    call_cancelled = True  # the gRPC call itself is cancelled, not only the caller's wait
                    raise
                return b""

            return call

    async def scenario() -> None:
        gw = gateway_aio.connect(SlowChannel(FakePeer()), identity, new_private_key_signer(private_key))
        task = asyncio.create_task(gw.get_network("ch").get_contract("cc").evaluate("fn"))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(scenario())
    assert call_cancelled


def test_closing_closes_only_what_the_gateway_opened(
    identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    channel = FakeAioChannel(FakePeer())

    async def scenario() -> None:
        await gateway_aio.connect(channel, identity, new_private_key_signer(private_key)).close()

    run(scenario())
    assert not channel.closed


def test_async_cancellation_wakes_a_resubmit_pause(
    peer: FakePeer, identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    cancellation = Cancellation()

    def refused_then_cancelled_soon(request: bytes, timeout: float | None) -> bytes:
        threading.Timer(0.2, cancellation.cancel).start()  # from another thread, during the pause
        raise FakeRpcError(grpc.StatusCode.UNAVAILABLE, "refused")

    peer.script("/gateway.Gateway/CommitStatus", refused_then_cancelled_soon, committed(0))

    async def scenario() -> None:
        gw = gateway_aio.connect(FakeAioChannel(peer), identity, new_private_key_signer(private_key))
        with cancellation, pytest.raises(TransactionInDoubtError) as caught:
            await gw.get_network("ch").get_contract("cc").submit("fn", resubmit=ResubmitPolicy(pause=30.0))
        assert caught.value.code is GrpcCode.CANCELLED

    started = time.monotonic()
    run(scenario())
    assert time.monotonic() - started < 10
