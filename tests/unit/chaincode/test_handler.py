"""The real PeerConnection driven by a scripted peer stream."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from fabric_protos.peer import chaincode_shim_pb2

from tests.unit.chaincode.peer_fakes import (
    CHANNEL,
    Msg,
    completed_response,
    connect,
    error,
    ready_payload,
    response,
    run,
    shutdown,
    transaction,
)
from tradefin.chaincode.shim import (
    ChaincodeResponse,
    ChaincodeStub,
    ConnectionState,
    PeerError,
    ProtocolError,
)

Handler = Callable[[ChaincodeStub], Awaitable[ChaincodeResponse]]


class ScriptedChaincode:
    """Runs the coroutine registered for the transaction's function name."""

    def __init__(self, **functions: Handler) -> None:
        self.functions = functions

    async def invoke(self, stub: ChaincodeStub) -> ChaincodeResponse:
        return await self.functions[stub.function](stub)


async def read_value(stub: ChaincodeStub) -> ChaincodeResponse:
    key = stub.parameters[0].decode()
    value = await stub.get_state(key)
    return ChaincodeResponse.success(b"value:" + (value or b"<none>"))


def test_handshake_registers_package_id_and_echoes_keepalive() -> None:
    async def scenario() -> None:
        connection, stream, task = await connect(ScriptedChaincode())
        stream.send(Msg(type=Msg.KEEPALIVE, txid="k1"))
        echoed = await stream.receive()
        assert echoed.type == Msg.KEEPALIVE
        assert echoed.txid == "k1"
        await shutdown(stream, task)
        assert connection.state is ConnectionState.CLOSED

    run(scenario())


def test_handshake_out_of_order_is_refused_with_error() -> None:
    from tests.unit.chaincode.peer_fakes import FakePeerStream
    from tradefin.chaincode.shim import PeerConnection

    async def scenario() -> None:
        stream = FakePeerStream()
        connection = PeerConnection(stream, ScriptedChaincode(), "cc:1")
        task = asyncio.create_task(connection.serve())
        assert (await stream.receive()).type == Msg.REGISTER
        stream.send(Msg(type=Msg.READY, txid="t"))  # READY before REGISTERED
        answer = await stream.receive()
        assert answer.type == Msg.ERROR
        assert b"READY" in answer.payload
        with pytest.raises(ProtocolError):
            await task

    run(scenario())


def test_ready_parameters_enable_batching() -> None:
    async def scenario() -> None:
        ready = ready_payload(write_batch=True, batch_size=7, get_multiple=True, multiple_size=3)
        connection, stream, task = await connect(ScriptedChaincode(), ready)
        assert connection.use_write_batch
        assert connection.max_size_write_batch == 7
        assert connection.use_get_multiple_keys
        assert connection.max_size_get_multiple_keys == 3
        await shutdown(stream, task)

        connection, stream, task = await connect(ScriptedChaincode(), ready, write_batching=False)
        assert not connection.use_write_batch
        await shutdown(stream, task)

    run(scenario())


def test_concurrent_transactions_with_interleaved_responses() -> None:
    async def scenario() -> None:
        _, stream, task = await connect(ScriptedChaincode(Read=read_value))
        stream.send(transaction("tx-a", "Read", "alpha"))
        stream.send(transaction("tx-b", "Read", "beta"))
        first, second = await stream.receive(), await stream.receive()
        requests = {m.txid: m for m in (first, second)}
        assert set(requests) == {"tx-a", "tx-b"}
        for request in requests.values():
            assert request.type == Msg.GET_STATE
            assert request.channel_id == CHANNEL
        assert chaincode_shim_pb2.GetState.FromString(requests["tx-a"].payload).key == "alpha"
        # answer in the opposite order from the requests
        stream.send(response(requests["tx-b"], b"B"))
        stream.send(response(requests["tx-a"], b"A"))
        done = {m.txid: m for m in (await stream.receive(), await stream.receive())}
        assert completed_response(done["tx-a"]).payload == b"value:A"
        assert completed_response(done["tx-b"]).payload == b"value:B"
        assert all(m.channel_id == CHANNEL for m in done.values())
        await shutdown(stream, task)
        assert stream.max_concurrent_writers == 1

    run(scenario())


def test_peer_error_raises_inside_the_chaincode() -> None:
    caught: list[PeerError] = []

    async def rich_query(stub: ChaincodeStub) -> ChaincodeResponse:
        try:
            async for _ in stub.get_query_result('{"selector":{}}'):
                pass
        except PeerError as exc:
            caught.append(exc)
            return ChaincodeResponse.error(f"refused: {exc}")
        return ChaincodeResponse.success()

    async def scenario() -> None:
        _, stream, task = await connect(ScriptedChaincode(Query=rich_query))
        stream.send(transaction("tx-q", "Query"))
        request = await stream.receive()
        assert request.type == Msg.GET_QUERY_RESULT
        stream.send(error(request, "ExecuteQuery not supported for leveldb"))
        result = completed_response(await stream.receive())
        assert result.status == 500
        assert result.message == "refused: ExecuteQuery not supported for leveldb"
        assert caught[0].request == "GET_QUERY_RESULT"
        await shutdown(stream, task)

    run(scenario())


def test_completed_carries_response_and_last_event() -> None:
    async def emit(stub: ChaincodeStub) -> ChaincodeResponse:
        stub.set_event("first", b"1")
        stub.set_event("second", b"2")
        return ChaincodeResponse(201, "created", b"done")

    async def scenario() -> None:
        _, stream, task = await connect(ScriptedChaincode(Emit=emit))
        stream.send(transaction("tx-e", "Emit"))
        completed = await stream.receive()
        result = completed_response(completed)
        assert (result.status, result.message, result.payload) == (201, "created", b"done")
        assert completed.txid == "tx-e"
        assert completed.channel_id == CHANNEL
        assert completed.chaincode_event.event_name == "second"
        assert completed.chaincode_event.payload == b"2"
        await shutdown(stream, task)

    run(scenario())


def test_internal_failures_are_answered_with_error() -> None:
    async def broken(stub: ChaincodeStub) -> ChaincodeResponse:
        raise RuntimeError("secret payload must not leak")

    async def scenario() -> None:
        _, stream, task = await connect(ScriptedChaincode(Broken=broken))
        stream.send(transaction("tx-1", "Broken"))
        answer = await stream.receive()
        assert answer.type == Msg.ERROR
        assert (answer.txid, answer.channel_id) == ("tx-1", CHANNEL)
        assert b"RuntimeError" in answer.payload
        assert b"secret" not in answer.payload

        undecodable = Msg(type=Msg.TRANSACTION, txid="tx-2", channel_id=CHANNEL, payload=b"\xff\xff\xff")
        stream.send(undecodable)
        answer = await stream.receive()
        assert answer.type == Msg.ERROR
        assert answer.txid == "tx-2"
        assert b"ChaincodeInput" in answer.payload

        stream.send(Msg(type=Msg.REGISTERED, txid="tx-3", channel_id=CHANNEL))
        answer = await stream.receive()
        assert answer.type == Msg.ERROR
        assert answer.txid == "tx-3"
        await shutdown(stream, task)

    run(scenario())


def test_stream_end_fails_waiting_requests_and_cancels_transactions() -> None:
    ended: list[BaseException] = []

    async def read_until_the_stream_ends(stub: ChaincodeStub) -> ChaincodeResponse:
        try:
            return await read_value(stub)
        except BaseException as exc:
            ended.append(exc)
            raise

    async def scenario() -> None:
        connection, stream, task = await connect(ScriptedChaincode(Read=read_until_the_stream_ends))
        stream.send(transaction("tx-w", "Read", "k"))
        assert (await stream.receive()).type == Msg.GET_STATE
        await shutdown(stream, task)
        assert connection.state is ConnectionState.CLOSED
        for _ in range(5):
            await asyncio.sleep(0)  # let the transaction's task run to its end
        # the transaction was cancelled where it waited, and nothing was answered on the ended stream
        assert len(ended) == 1 and isinstance(ended[0], asyncio.CancelledError)
        assert stream.nothing_sent()

    run(scenario())


def test_stray_response_is_ignored() -> None:
    async def scenario() -> None:
        _, stream, task = await connect(ScriptedChaincode(Read=read_value))
        stream.send(Msg(type=Msg.RESPONSE, txid="nobody", channel_id=CHANNEL))
        stream.send(transaction("tx-r", "Read", "k"))
        request = await stream.receive()
        stream.send(response(request, b"v"))
        assert completed_response(await stream.receive()).payload == b"value:v"
        await shutdown(stream, task)

    run(scenario())


def test_same_txid_on_two_channels_is_demultiplexed() -> None:
    async def scenario() -> None:
        _, stream, task = await connect(ScriptedChaincode(Read=read_value))
        stream.send(transaction("tx-same", "Read", "k", channel_id="one"))
        stream.send(transaction("tx-same", "Read", "k", channel_id="two"))
        requests = {m.channel_id: m for m in (await stream.receive(), await stream.receive())}
        stream.send(response(requests["two"], b"2"))
        stream.send(response(requests["one"], b"1"))
        done = {m.channel_id: completed_response(m).payload for m in (await stream.receive(), await stream.receive())}
        assert done == {"one": b"value:1", "two": b"value:2"}
        await shutdown(stream, task)

    run(scenario())


def test_init_runs_like_a_transaction() -> None:
    async def init(stub: ChaincodeStub) -> ChaincodeResponse:
        return ChaincodeResponse.success(b"init" if stub.is_init else b"tx")

    async def scenario() -> None:
        async def fail(stub: ChaincodeStub) -> ChaincodeResponse:
            return ChaincodeResponse.error("cannot initialise")

        _, stream, task = await connect(ScriptedChaincode(Init=init, Fail=fail))
        stream.send(transaction("tx-i", "Init", init=True))
        assert completed_response(await stream.receive()).payload == b"init"
        stream.send(transaction("tx-f", "Fail", init=True))
        failed = await stream.receive()  # a failed init is answered ERROR with its message, as the Go shim does
        assert (failed.type, failed.txid, failed.payload) == (Msg.ERROR, "tx-f", b"cannot initialise")
        await shutdown(stream, task)

    run(scenario())


def test_an_abandoned_requests_late_answer_is_never_taken_for_the_next_one() -> None:
    async def impatient(stub: ChaincodeStub) -> ChaincodeResponse:
        try:
            async with asyncio.timeout(0.05):
                await stub.get_state("a")
        except TimeoutError:
            pass
        return ChaincodeResponse.success(b"b=" + (await stub.get_state("b") or b"<none>"))

    async def scenario() -> None:
        _, stream, task = await connect(ScriptedChaincode(Impatient=impatient))
        stream.send(transaction("tx-1", "Impatient"))
        first = await stream.receive()
        assert chaincode_shim_pb2.GetState.FromString(first.payload).key == "a"
        with pytest.raises(TimeoutError):  # the next request waits until the abandoned one is answered
            await asyncio.wait_for(stream.receive(), 0.3)
        stream.send(response(first, b"VALUE-OF-A"))  # late: the caller gave up on it
        second = await stream.receive()
        assert chaincode_shim_pb2.GetState.FromString(second.payload).key == "b"
        stream.send(response(second, b"VALUE-OF-B"))
        assert completed_response(await stream.receive()).payload == b"b=VALUE-OF-B"
        await shutdown(stream, task)

    run(scenario())


def test_a_cancellation_raised_inside_the_chaincode_is_still_answered() -> None:
    async def awaits_a_cancelled_task(stub: ChaincodeStub) -> ChaincodeResponse:
        helper = asyncio.create_task(asyncio.sleep(10))
        helper.cancel()
        await helper  # raises CancelledError, although this transaction was not cancelled
        return ChaincodeResponse.success(b"never")

    async def scenario() -> None:
        _, stream, task = await connect(ScriptedChaincode(Cancelling=awaits_a_cancelled_task))
        stream.send(transaction("tx-1", "Cancelling"))
        answer = await asyncio.wait_for(stream.receive(), 5)  # not left for the peer's execute timeout
        assert (answer.type, answer.txid) == (Msg.ERROR, "tx-1")
        assert b"CancelledError" in answer.payload
        await shutdown(stream, task)

    run(scenario())
