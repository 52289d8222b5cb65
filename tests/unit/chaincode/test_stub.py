"""ChaincodeStub against the fake ledger peer: batching, queries, private data, proposal facts."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fabric_protos.common import common_pb2
from fabric_protos.peer import chaincode_pb2, chaincode_shim_pb2, proposal_pb2, proposal_response_pb2

from tests.unit.chaincode.peer_fakes import (
    CHANNEL,
    FakeLedgerPeer,
    Msg,
    completed_response,
    connect,
    ready_payload,
    response,
    run,
    shutdown,
    transaction,
)
from tradefin.chaincode.shim import (
    ChaincodeInvocationError,
    ChaincodeResponse,
    ChaincodeStub,
    KeyValidationError,
    PeerError,
    StatePage,
)

Body = Callable[[ChaincodeStub], Awaitable[Any]]


class OneShot:
    """A chaincode whose every transaction runs ``body``; its result (or exception) is kept."""

    def __init__(self, body: Body) -> None:
        self.body = body
        self.result: Any = None

    async def invoke(self, stub: ChaincodeStub) -> ChaincodeResponse:
        self.result = await self.body(stub)
        return ChaincodeResponse.success(b"ok")


async def run_once(body: Body, ready: bytes = b"", **invoke: Any) -> tuple[FakeLedgerPeer, Any, Any]:
    """Run ``body`` as one transaction; returns the peer, the body's result and the final message."""
    chaincode = OneShot(body)
    peer, task = await FakeLedgerPeer.start(chaincode, ready, query_batch=invoke.pop("query_batch", 2))
    for (collection, key), value in invoke.pop("state", {}).items():
        peer.put(key, value, collection)
    final = await peer.invoke("tx-1", "fn", **invoke)
    await peer.stop(task)
    return peer, chaincode.result, final


# ---------------------------------------------------------------- write batching


def test_writes_are_batched_when_the_peer_offers_it() -> None:
    async def body(stub: ChaincodeStub) -> None:
        await stub.put_state("a", b"1")
        await stub.put_state("b", b"2")
        await stub.put_state("a", b"3")  # last write of a key wins
        await stub.del_state("c")
        await stub.put_private_data("collectionA", "p", b"secret")
        await stub.purge_private_data("collectionA", "q")
        await stub.set_state_validation_parameter("a", b"policy")

    async def scenario() -> None:
        ready = ready_payload(write_batch=True, batch_size=3)
        peer, _, final = await run_once(body, ready)
        assert final.type == Msg.COMPLETED
        assert peer.request_types("tx-1") == ["WRITE_BATCH_STATE", "WRITE_BATCH_STATE"]  # 6 records, 3 per batch
        assert peer.writes["tx-1"] == [
            ("PUT_STATE", "", "a", b"3"),
            ("PUT_STATE", "", "b", b"2"),
            ("DEL_STATE", "", "c", b""),
            ("PUT_STATE", "collectionA", "p", b"secret"),
            ("PURGE_PRIVATE_DATA", "collectionA", "q", b""),
            ("PUT_STATE_METADATA", "", "a", b"policy"),
        ]
        # the batch is flushed before COMPLETED
        last_request = max(i for i, m in enumerate(peer.requests) if m.txid == "tx-1")
        assert peer.requests[last_request].type == Msg.WRITE_BATCH_STATE

    run(scenario())


def test_writes_go_one_by_one_without_the_offer() -> None:
    async def body(stub: ChaincodeStub) -> None:
        await stub.put_state("a", b"1")
        await stub.del_private_data("collectionA", "p")
        await stub.set_private_data_validation_parameter("collectionA", "p", b"policy")

    async def scenario() -> None:
        peer, _, _ = await run_once(body)
        assert peer.request_types("tx-1") == ["PUT_STATE", "DEL_STATE", "PUT_STATE_METADATA"]
        assert peer.writes["tx-1"][1] == ("DEL_STATE", "collectionA", "p", b"")

    run(scenario())


def test_writes_are_flushed_whatever_the_status() -> None:
    """As the Go shim does: a chaincode called by another may answer an error its caller still endorses,
    and its writes must not depend on whether the peer batches them."""

    class Refusing:
        async def invoke(self, stub: ChaincodeStub) -> ChaincodeResponse:
            await stub.put_state("a", b"1")
            return ChaincodeResponse.error("no", status=400)

    async def scenario() -> None:
        for batching in (True, False):
            peer, task = await FakeLedgerPeer.start(Refusing(), ready_payload(write_batch=batching))
            final = await peer.invoke("tx-1", "fn")
            await peer.stop(task)
            assert completed_response(final).status == 400
            assert peer.request_types("tx-1") == ["WRITE_BATCH_STATE" if batching else "PUT_STATE"]

    run(scenario())


def test_a_refused_batch_fails_the_transaction_with_error() -> None:
    async def scenario() -> None:
        async def body(stub: ChaincodeStub) -> None:
            await stub.put_private_data("collectionZ", "k", b"v")

        _, stream, task = await connect(OneShot(body), ready_payload(write_batch=True))
        stream.send(transaction("tx-b", "fn"))
        batch = await stream.receive()
        assert batch.type == Msg.WRITE_BATCH_STATE
        stream.send(
            Msg(type=Msg.ERROR, txid=batch.txid, channel_id=batch.channel_id, payload=b"collection not defined")
        )
        answer = await stream.receive()
        assert answer.type == Msg.ERROR
        assert answer.payload == b"WRITE_BATCH_STATE refused by the peer: collection not defined"
        await shutdown(stream, task)

    run(scenario())


# ---------------------------------------------------------------- reads


def test_get_state_and_get_multiple_states() -> None:
    state = {("", "a"): b"1", ("", "c"): b"3", ("collectionA", "p"): b"private"}

    async def body(stub: ChaincodeStub) -> Any:
        return (
            await stub.get_state("a"),
            await stub.get_state("missing"),
            await stub.get_multiple_states(["a", "b", "c", "a", "c"]),
            await stub.get_multiple_private_data("collectionA", ["p", "x"]),
            await stub.get_private_data("collectionA", "p"),
            await stub.get_private_data_hash("collectionA", "p"),
            await stub.get_private_data_hash("collectionA", "missing"),
            await stub.get_multiple_states([]),
        )

    async def scenario() -> None:
        offer = ready_payload(get_multiple=True, multiple_size=2)
        peer, result, _ = await run_once(body, offer, state=state)
        assert result == (
            b"1",
            None,
            [b"1", None, b"3", b"1", b"3"],
            [b"private", None],
            b"private",
            hashlib.sha256(b"private").digest(),
            None,
            [],
        )
        types = peer.request_types("tx-1")
        assert types.count("GET_STATE_MULTIPLE") == 4  # 3 chunks of <= 2 keys, then 1 private chunk
        peer, result, _ = await run_once(body, state=state)  # no offer: one GET_STATE per key
        assert result[2] == [b"1", None, b"3", b"1", b"3"]
        assert "GET_STATE_MULTIPLE" not in peer.request_types("tx-1")

    run(scenario())


def test_one_request_at_a_time_within_a_transaction() -> None:
    async def body(stub: ChaincodeStub) -> Any:
        return await asyncio.gather(*(stub.get_state(k) for k in ("a", "b", "c")))

    async def scenario() -> None:
        _, stream, task = await connect(OneShot(body))
        stream.send(transaction("tx-g", "fn"))
        values = {"a": b"A", "b": b"B", "c": b"C"}
        for _ in range(3):
            request = await stream.receive()
            assert request.type == Msg.GET_STATE
            await asyncio.sleep(0.01)
            assert stream.nothing_sent()  # the next read waits for this answer
            stream.send(response(request, values[chaincode_shim_pb2.GetState.FromString(request.payload).key]))
        assert (await stream.receive()).type == Msg.COMPLETED
        await shutdown(stream, task)

    run(scenario())


# ---------------------------------------------------------------- range queries and pagination


def test_range_query_iterates_across_batches() -> None:
    state = {("", k): k.encode() for k in ("a1", "a2", "a3", "a4", "a5", "b1")}
    state[("", "\x00lc\x00X\x00")] = b"composite"

    async def body(stub: ChaincodeStub) -> Any:
        everything = [r.key async for r in stub.get_state_by_range("", "")]
        bounded = [(r.key, r.value) async for r in stub.get_state_by_range("a2", "a5")]
        return everything, bounded

    async def scenario() -> None:
        peer, (everything, bounded), _ = await run_once(body, state=state, query_batch=2)
        assert everything == ["a1", "a2", "a3", "a4", "a5", "b1"]  # composite keys are skipped
        assert bounded == [("a2", b"a2"), ("a3", b"a3"), ("a4", b"a4")]
        first = chaincode_shim_pb2.GetStateByRange.FromString(peer.requests[0].payload)
        assert (first.startKey, first.endKey) == ("\x01", "")
        assert peer.request_types("tx-1").count("QUERY_STATE_NEXT") == 3
        assert not peer.open_queries

    run(scenario())


def test_abandoned_query_is_closed() -> None:
    state = {("", f"k{i}"): b"v" for i in range(5)}

    async def body(stub: ChaincodeStub) -> Any:
        async with stub.get_state_by_range("k", "l") as results:
            async for record in results:
                return record.key
        return None

    async def scenario() -> None:
        peer, first, _ = await run_once(body, state=state, query_batch=2)
        assert first == "k0"
        assert peer.request_types("tx-1") == ["GET_STATE_BY_RANGE", "QUERY_STATE_CLOSE"]
        assert not peer.open_queries

    run(scenario())


def test_pagination_returns_bookmark_and_count() -> None:
    state = {("", f"k{i}"): str(i).encode() for i in range(5)}

    async def body(stub: ChaincodeStub) -> Any:
        pages: list[StatePage] = []
        bookmark = ""
        while True:
            page = await stub.get_state_by_range_with_pagination("k", "l", page_size=2, bookmark=bookmark)
            pages.append(page)
            bookmark = page.bookmark
            if not bookmark:
                return pages

    async def scenario() -> None:
        peer, pages, _ = await run_once(body, state=state)
        assert [[r.key for r in page] for page in pages] == [["k0", "k1"], ["k2", "k3"], ["k4"]]
        assert [(p.fetched_records_count, p.bookmark) for p in pages] == [(2, "k2"), (2, "k4"), (1, "")]
        metadata = chaincode_shim_pb2.QueryMetadata.FromString(
            chaincode_shim_pb2.GetStateByRange.FromString(peer.requests[1].payload).metadata
        )
        assert (metadata.pageSize, metadata.bookmark) == (2, "k2")
        assert len(pages[0]) == 2

    run(scenario())


def test_partial_composite_key_queries() -> None:
    async def body(stub: ChaincodeStub) -> Any:
        keys = [
            stub.create_composite_key("lc", ["BANK1", "001"]),
            stub.create_composite_key("lc", ["BANK1", "002"]),
            stub.create_composite_key("lc", ["BANK2", "001"]),
            stub.create_composite_key("lcx", ["BANK1"]),
        ]
        return keys

    async def scenario() -> None:
        _, keys, _ = await run_once(body)

        async def query(stub: ChaincodeStub) -> Any:
            found = [
                stub.split_composite_key(r.key) async for r in stub.get_state_by_partial_composite_key("lc", ["BANK1"])
            ]
            page = await stub.get_state_by_partial_composite_key_with_pagination("lc", [], page_size=10)
            return found, [r.key for r in page]

        peer, (found, paged), _ = await run_once(query, state={("", k): b"x" for k in keys})
        assert found == [("lc", ["BANK1", "001"]), ("lc", ["BANK1", "002"])]
        assert paged == keys[:3]
        request = chaincode_shim_pb2.GetStateByRange.FromString(peer.requests[0].payload)
        assert request.startKey == "\x00lc\x00BANK1\x00"
        assert request.endKey == "\x00lc\x00BANK1\x00\U0010ffff"

    run(scenario())


def test_range_keys_are_validated() -> None:
    async def body(stub: ChaincodeStub) -> Any:
        with pytest.raises(KeyValidationError):
            stub.get_state_by_range("\x00lc", "")
        with pytest.raises(KeyValidationError):
            stub.get_private_data_by_range("", "a", "b")
        with pytest.raises(ValueError, match="page_size"):
            await stub.get_state_by_range_with_pagination("a", "b", page_size=0)
        with pytest.raises(KeyValidationError):
            await stub.put_state("", b"v")
        with pytest.raises(KeyValidationError, match="collection"):
            await stub.get_private_data("", "k")
        with pytest.raises(ValueError, match="event name"):
            stub.set_event("", b"")
        return "checked"

    async def scenario() -> None:
        peer, result, _ = await run_once(body)
        assert result == "checked"
        assert peer.request_types("tx-1") == []

    run(scenario())


def test_rich_query_refusal_surfaces_the_peer_error() -> None:
    async def body(stub: ChaincodeStub) -> Any:
        with pytest.raises(PeerError, match="not supported for leveldb") as refused:
            await stub.get_query_result_with_pagination('{"selector":{}}', page_size=5)
        with pytest.raises(PeerError):
            async for _ in stub.get_private_data_query_result("collectionA", "{}"):
                pass
        return refused.value.request

    async def scenario() -> None:
        _, request, _ = await run_once(body)
        assert request == "GET_QUERY_RESULT"

    run(scenario())


def test_history_for_key() -> None:
    async def body(stub: ChaincodeStub) -> Any:
        return [m async for m in stub.get_history_for_key("k")]

    async def scenario() -> None:
        chaincode = OneShot(body)
        peer, task = await FakeLedgerPeer.start(chaincode)
        peer.history["k"] = [("tx-c", b"", True), ("tx-b", b"2", False), ("tx-a", b"1", False)]
        await peer.invoke("tx-h", "fn")
        await peer.stop(task)
        history = chaincode.result
        assert [(m.tx_id, m.value, m.is_delete) for m in history] == [
            ("tx-c", b"", True),
            ("tx-b", b"2", False),
            ("tx-a", b"1", False),
        ]
        assert history[0].timestamp == datetime.fromtimestamp(1_700_000_000, UTC)

    run(scenario())


def test_state_metadata_and_validation_parameter() -> None:
    async def body(stub: ChaincodeStub) -> Any:
        return (
            await stub.get_state_metadata("k"),
            await stub.get_state_validation_parameter("k"),
            await stub.get_state_validation_parameter("other"),
            await stub.get_private_data_validation_parameter("collectionA", "k"),
        )

    async def scenario() -> None:
        chaincode = OneShot(body)
        peer, task = await FakeLedgerPeer.start(chaincode)
        peer.metadata[("", "k")] = {"VALIDATION_PARAMETER": b"policy", "OTHER": b"x"}
        peer.metadata[("collectionA", "k")] = {"VALIDATION_PARAMETER": b"private policy"}
        await peer.invoke("tx-m", "fn")
        await peer.stop(task)
        assert chaincode.result == (
            {"VALIDATION_PARAMETER": b"policy", "OTHER": b"x"},
            b"policy",
            None,
            b"private policy",
        )

    run(scenario())


# ---------------------------------------------------------------- proposal facts


def test_proposal_facts_are_decoded_from_the_signed_proposal() -> None:
    when = datetime(2026, 3, 1, 12, 30, 45, 123456, tzinfo=UTC)

    async def body(stub: ChaincodeStub) -> Any:
        return (
            stub.tx_id,
            stub.channel_id,
            stub.function,
            list(stub.parameters),
            stub.tx_timestamp,
            stub.tx_timestamp_nanos,
            stub.creator,
            dict(stub.transient),
            stub.binding,
            stub.signed_proposal,
        )

    async def scenario() -> None:
        peer, facts, _ = await run_once(body, transient={"price": b"100"}, creator=b"creator-bytes", timestamp=when)
        tx_id, channel, function, parameters, stamp, nanos, creator, transient, binding, signed = facts
        assert (tx_id, channel, function, parameters) == ("tx-1", CHANNEL, "fn", [])
        assert stamp == when
        assert nanos == int(when.timestamp()) * 1_000_000_000 + 123_456_000
        assert creator == b"creator-bytes"
        assert transient == {"price": b"100"}
        assert binding == hashlib.sha256(b"n" * 24 + b"creator-bytes" + bytes(8)).digest()
        proposal = proposal_pb2.Proposal.FromString(signed.proposal_bytes)
        header = common_pb2.Header.FromString(proposal.header)
        assert common_pb2.ChannelHeader.FromString(header.channel_header).tx_id == "tx-1"
        assert signed.signature == b"signature"
        assert peer.request_types("tx-1") == []

    run(scenario())


def test_missing_proposal_is_reported_not_crashing_the_stream() -> None:
    async def body(stub: ChaincodeStub) -> Any:
        return stub.tx_timestamp

    async def scenario() -> None:
        _, stream, task = await connect(OneShot(body))
        message = transaction("tx-np", "fn")
        message.ClearField("proposal")
        stream.send(message)
        answer = await stream.receive()
        assert answer.type == Msg.ERROR
        assert b"no signed proposal" in answer.payload
        await shutdown(stream, task)

    run(scenario())


# ---------------------------------------------------------------- chaincode to chaincode


def test_invoke_chaincode() -> None:
    async def body(stub: ChaincodeStub) -> Any:
        answered = await stub.invoke_chaincode("other", ["Get", b"k"], channel="asia-americas")
        with pytest.raises(ChaincodeInvocationError, match="boom"):
            await stub.invoke_chaincode("other", ["Crash"])
        with pytest.raises(PeerError, match="unknown chaincode"):
            await stub.invoke_chaincode("ghost", ["x"])
        return answered

    async def scenario() -> None:
        chaincode = OneShot(body)
        _, stream, task = await connect(chaincode)
        stream.send(transaction("tx-cc", "fn"))
        call = await stream.receive()
        assert call.type == Msg.INVOKE_CHAINCODE
        spec = chaincode_pb2.ChaincodeSpec.FromString(call.payload)
        assert spec.chaincode_id.name == "other/asia-americas"
        assert list(spec.input.args) == [b"Get", b"k"]
        inner = Msg(
            type=Msg.COMPLETED,
            payload=proposal_response_pb2.Response(status=404, message="missing", payload=b"p").SerializeToString(),
        )
        stream.send(response(call, inner.SerializeToString()))
        call = await stream.receive()
        stream.send(response(call, Msg(type=Msg.ERROR, payload=b"boom").SerializeToString()))
        call = await stream.receive()
        stream.send(Msg(type=Msg.ERROR, txid=call.txid, channel_id=call.channel_id, payload=b"unknown chaincode"))
        assert (await stream.receive()).type == Msg.COMPLETED
        await shutdown(stream, task)
        assert chaincode.result == ChaincodeResponse(404, "missing", b"p")
        assert not chaincode.result.ok

    run(scenario())
