"""Events: chaincode events and block events requests, response parsing, sync and async iteration, close."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from pathlib import Path
from typing import Any

import grpc  # type: ignore[import-untyped]
import pytest
from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2
from fabric_protos.ledger.rwset import rwset_pb2
from fabric_protos.ledger.rwset.kvrwset import kv_rwset_pb2
from fabric_protos.orderer import ab_pb2
from fabric_protos.peer import chaincode_event_pb2, events_pb2, proposal_pb2, proposal_response_pb2, transaction_pb2
from google.protobuf.message import DecodeError

from tests.unit.gateway.fakes import FakeAioChannel, FakeChannel, FakePeer, FakeRpcError, prepared_envelope_payload
from tradefin.gateway import (
    Block,
    BlockAndPrivateData,
    BlockEventsError,
    ChaincodeEvent,
    FileCheckpointer,
    Gateway,
    GatewayError,
    GrpcCode,
    PrivateMetadataWrite,
    PrivateWrite,
    ValidationCode,
    X509Identity,
    connect,
    new_private_key_signer,
)
from tradefin.gateway import aio as gateway_aio
from tradefin.gateway._flow import serialize

MAX = 2**64 - 1


def chaincode_events_response(block: int, *transaction_ids: str) -> bytes:
    return serialize(
        gateway_pb2.ChaincodeEventsResponse(
            block_number=block,
            events=[
                chaincode_event_pb2.ChaincodeEvent(
                    chaincode_id="tradefin", tx_id=tx, event_name="LCIssued", payload=tx.encode()
                )
                for tx in transaction_ids
            ],
        )
    )


def full_block_response(number: int, *transaction_ids: str) -> bytes:
    envelopes = [
        common_pb2.Envelope(payload=prepared_envelope_payload("asia-europe", tx, b"r")).SerializeToString()
        for tx in transaction_ids
    ]
    metadata = [b"", b"", bytes([0, 11][: len(transaction_ids)]), b"", b""]
    block = common_pb2.Block(
        header=common_pb2.BlockHeader(number=number, previous_hash=b"prev", data_hash=b"data"),
        data=common_pb2.BlockData(data=envelopes),
        metadata=common_pb2.BlockMetadata(metadata=metadata),
    )
    return serialize(events_pb2.DeliverResponse(block=block))


def filtered_block_response(number: int) -> bytes:
    event = chaincode_event_pb2.ChaincodeEvent(chaincode_id="tradefin", tx_id="tx-1", event_name="LCIssued")
    block = events_pb2.FilteredBlock(
        channel_id="asia-europe",
        number=number,
        filtered_transactions=[
            events_pb2.FilteredTransaction(
                txid="tx-1",
                type=common_pb2.ENDORSER_TRANSACTION,
                tx_validation_code=0,
                transaction_actions=events_pb2.FilteredTransactionActions(
                    chaincode_actions=[events_pb2.FilteredChaincodeAction(chaincode_event=event)]
                ),
            ),
            events_pb2.FilteredTransaction(txid="tx-2", type=3, tx_validation_code=11),
        ],
    )
    return serialize(events_pb2.DeliverResponse(filtered_block=block))


def status_response(status: int) -> bytes:
    return serialize(events_pb2.DeliverResponse(status=status))


def test_chaincode_events_request_fields(gateway: Gateway, peer: FakePeer) -> None:
    peer.stream_responses = [chaincode_events_response(7, "tx-a", "tx-b"), chaincode_events_response(9, "tx-c")]
    with gateway.get_network("asia-europe").chaincode_events("tradefin", start_block=7) as events:
        received = list(events)
    assert received == [
        ChaincodeEvent(7, "tx-a", "tradefin", "LCIssued", b"tx-a"),
        ChaincodeEvent(7, "tx-b", "tradefin", "LCIssued", b"tx-b"),
        ChaincodeEvent(9, "tx-c", "tradefin", "LCIssued", b"tx-c"),
    ]
    [call] = peer.calls
    assert call.method == "/gateway.Gateway/ChaincodeEvents"
    signed = gateway_pb2.SignedChaincodeEventsRequest.FromString(call.request)
    request = gateway_pb2.ChaincodeEventsRequest.FromString(signed.request)
    assert (request.channel_id, request.chaincode_id) == ("asia-europe", "tradefin")
    assert request.start_position.specified.number == 7
    assert request.identity == gateway.identity.creator
    assert signed.signature


def test_default_start_is_the_next_commit(gateway: Gateway, peer: FakePeer) -> None:
    gateway.get_network("asia-europe").chaincode_events("tradefin").close()
    signed = gateway_pb2.SignedChaincodeEventsRequest.FromString(peer.calls[0].request)
    request = gateway_pb2.ChaincodeEventsRequest.FromString(signed.request)
    assert request.start_position.WhichOneof("Type") == "next_commit"


def test_the_resume_request_after_a_restart_is_the_file_checkpoint(
    gateway: Gateway, peer: FakePeer, tmp_path: Path
) -> None:
    """The checkpoint file the listener leaves is exactly the resume request the peer needs after a restart."""
    network = gateway.get_network("asia-europe")
    path = tmp_path / "events.checkpoint.json"
    checkpointer = FileCheckpointer(path)
    peer.stream_responses = [chaincode_events_response(3, "tx-1", "tx-2")]
    with network.chaincode_events("tradefin", checkpoint=checkpointer) as events:
        first = next(events)
        checkpointer.checkpoint_chaincode_event(first)
    del checkpointer  # the process ends; the next one reads the file
    network.chaincode_events("tradefin", checkpoint=FileCheckpointer(path)).close()
    signed = gateway_pb2.SignedChaincodeEventsRequest.FromString(peer.calls[-1].request)
    request = gateway_pb2.ChaincodeEventsRequest.FromString(signed.request)
    assert (request.start_position.specified.number, request.after_transaction_id) == (3, "tx-1")


def test_closing_a_stream_cancels_it_and_ends_iteration(gateway: Gateway, channel: FakeChannel, peer: FakePeer) -> None:
    peer.stream_responses = [chaincode_events_response(1, "a", "b")]
    events = gateway.get_network("ch").chaincode_events("tradefin")
    assert next(events).transaction_id == "a"
    events.close()
    assert channel.streams[0][2].cancelled
    assert list(events) == []


def test_a_failed_stream_raises_a_gateway_error(peer: FakePeer, identity: X509Identity, private_key: Any) -> None:
    channel = FakeChannel(peer, stream_error=FakeRpcError(grpc.StatusCode.NOT_FOUND, "channel not found"))
    with connect(channel, identity, new_private_key_signer(private_key)) as gateway:
        events = gateway.get_network("nope").chaincode_events("tradefin")
        with pytest.raises(GatewayError) as caught:
            next(events)
    assert caught.value.code is GrpcCode.NOT_FOUND


def test_block_events_envelope(gateway: Gateway, peer: FakePeer) -> None:
    gateway.get_network("asia-europe").block_events(start_block=4).close()
    [call] = peer.calls
    assert call.method == "/protos.Deliver/Deliver"
    envelope = common_pb2.Envelope.FromString(call.request)
    payload = common_pb2.Payload.FromString(envelope.payload)
    channel_header = common_pb2.ChannelHeader.FromString(payload.header.channel_header)
    assert channel_header.type == common_pb2.DELIVER_SEEK_INFO
    assert channel_header.channel_id == "asia-europe"
    assert channel_header.timestamp.seconds > 0
    assert channel_header.tls_cert_hash == b""
    signature_header = common_pb2.SignatureHeader.FromString(payload.header.signature_header)
    assert signature_header.creator == gateway.identity.creator
    assert signature_header.nonce == b""
    seek = ab_pb2.SeekInfo.FromString(payload.data)
    assert seek.start.specified.number == 4
    assert seek.stop.specified.number == MAX
    assert envelope.signature


def test_block_events_carry_the_tls_certificate_hash(peer: FakePeer, identity: X509Identity, private_key: Any) -> None:
    with connect(
        FakeChannel(peer), identity, new_private_key_signer(private_key), tls_client_certificate_hash=b"h" * 32
    ) as gateway:
        gateway.get_network("ch").filtered_block_events().close()
    payload = common_pb2.Payload.FromString(common_pb2.Envelope.FromString(peer.calls[0].request).payload)
    header = common_pb2.ChannelHeader.FromString(payload.header.channel_header)
    assert header.tls_cert_hash == b"h" * 32
    assert ab_pb2.SeekInfo.FromString(payload.data).start.WhichOneof("Type") == "next_commit"


def test_full_blocks_are_typed(gateway: Gateway, peer: FakePeer) -> None:
    peer.stream_responses = [full_block_response(5, "tx-1", "tx-2"), status_response(common_pb2.SUCCESS)]
    with gateway.get_network("asia-europe").block_events(start_block=5) as blocks:
        received = list(blocks)
    [block] = received
    assert isinstance(block, Block)
    assert (block.number, block.previous_hash, block.data_hash) == (5, b"prev", b"data")
    assert block.validation_codes == bytes([0, 11])
    transactions = block.transactions()
    assert [(t.transaction_id, t.validation_code_name, t.header_type) for t in transactions] == [
        ("tx-1", "VALID", 3),
        ("tx-2", "MVCC_READ_CONFLICT", 3),
    ]


def test_filtered_blocks_are_typed(gateway: Gateway, peer: FakePeer) -> None:
    peer.stream_responses = [filtered_block_response(8)]
    with gateway.get_network("asia-europe").filtered_block_events() as blocks:
        block = next(blocks)
    assert peer.calls[0].method == "/protos.Deliver/DeliverFiltered"
    assert (block.channel, block.number) == ("asia-europe", 8)
    first, second = block.transactions
    assert first.chaincode_events == (ChaincodeEvent(8, "tx-1", "tradefin", "LCIssued", b""),)
    assert (second.transaction_id, second.validation_code_name) == ("tx-2", "MVCC_READ_CONFLICT")


def test_blocks_with_private_data(gateway: Gateway, peer: FakePeer) -> None:
    block = common_pb2.Block(header=common_pb2.BlockHeader(number=2))
    response = events_pb2.DeliverResponse(block_and_private_data=events_pb2.BlockAndPrivateData(block=block))
    response.block_and_private_data.private_data_map[0].data_model = 0
    peer.stream_responses = [serialize(response)]
    with gateway.get_network("ch").block_and_private_data_events(start_block=2) as blocks:
        received = next(blocks)
    assert peer.calls[0].method == "/protos.Deliver/DeliverWithPrivateData"
    assert received.block.number == 2
    assert set(received.private_data) == {0}


def test_deliver_refusal_is_a_block_events_error(gateway: Gateway, peer: FakePeer) -> None:
    peer.stream_responses = [status_response(common_pb2.FORBIDDEN)]
    with gateway.get_network("ch").block_events() as blocks, pytest.raises(BlockEventsError) as caught:
        next(blocks)
    assert caught.value.deliver_status == "FORBIDDEN"
    assert caught.value.code is GrpcCode.PERMISSION_DENIED


def test_a_deliver_status_unknown_to_this_client_is_still_a_block_events_error(
    gateway: Gateway, peer: FakePeer
) -> None:
    response = events_pb2.DeliverResponse()
    response.status = 599  # a newer peer's status: proto3 enums keep unknown numbers
    peer.stream_responses = [serialize(response)]
    with gateway.get_network("ch").block_events() as blocks, pytest.raises(BlockEventsError) as caught:
        next(blocks)
    assert caught.value.deliver_status == "STATUS_599"
    assert caught.value.code is GrpcCode.UNKNOWN


def test_a_stream_past_its_deadline_reports_deadline_exceeded(
    peer: FakePeer, identity: X509Identity, private_key: Any
) -> None:
    # the peer resets a stream whose deadline passed; grpcio may read that as CANCELLED first
    channel = FakeChannel(peer, stream_error=FakeRpcError(grpc.StatusCode.CANCELLED, "stream reset"))
    with connect(channel, identity, new_private_key_signer(private_key)) as gateway:
        events = gateway.get_network("ch").chaincode_events("tradefin", timeout=0.05)
        time.sleep(0.06)
        with pytest.raises(GatewayError) as caught:
            next(events)
        assert caught.value.code is GrpcCode.DEADLINE_EXCEEDED
        early = gateway.get_network("ch").chaincode_events("tradefin", timeout=30)
        with pytest.raises(GatewayError) as cancelled:
            next(early)
        assert cancelled.value.code is GrpcCode.CANCELLED  # well before its deadline: a cancellation


def test_closing_from_another_thread_ends_iteration_cleanly(gateway: Gateway, peer: FakePeer) -> None:
    peer.stream_responses = [chaincode_events_response(1, "a", "b", "c")]
    events = gateway.get_network("ch").chaincode_events("tradefin")
    assert next(events).transaction_id == "a"

    class ClosedMeanwhile(deque[Any]):
        def popleft(self) -> Any:
            events.close()  # another thread's close() lands between the buffer check and the read
            return super().popleft()

    events._buffer = ClosedMeanwhile(events._buffer)
    assert list(events) == []  # not IndexError


def test_a_refusing_response_ends_the_stream(gateway: Gateway, channel: FakeChannel, peer: FakePeer) -> None:
    peer.stream_responses = [status_response(common_pb2.FORBIDDEN), full_block_response(1, "a")]
    blocks = gateway.get_network("ch").block_events()
    with pytest.raises(BlockEventsError):
        next(blocks)
    assert channel.streams[0][2].cancelled
    assert list(blocks) == []


def test_an_unreadable_response_ends_the_async_stream(
    peer: FakePeer, identity: X509Identity, private_key: Any
) -> None:
    peer.stream_responses = [b"\xff not a response", chaincode_events_response(1, "a")]
    channel = FakeAioChannel(peer)

    async def listen() -> list[ChaincodeEvent]:
        gw = gateway_aio.connect(channel, identity, new_private_key_signer(private_key))
        events = await gw.get_network("ch").chaincode_events("tradefin")
        with pytest.raises(DecodeError):
            await anext(events)
        return [event async for event in events]

    assert asyncio.run(listen()) == []
    assert channel.streams[0][2].cancelled


def test_async_event_streams(peer: FakePeer, identity: X509Identity, private_key: Any) -> None:
    peer.stream_responses = [chaincode_events_response(4, "tx-1", "tx-2")]

    async def listen() -> list[ChaincodeEvent]:
        async with gateway_aio.connect(FakeAioChannel(peer), identity, new_private_key_signer(private_key)) as gw:
            events = await gw.get_network("ch").chaincode_events("tradefin", start_block=4)
            async with events:
                return [event async for event in events]

    assert [event.transaction_id for event in asyncio.run(listen())] == ["tx-1", "tx-2"]


def test_async_stream_close_ends_iteration(peer: FakePeer, identity: X509Identity, private_key: Any) -> None:
    peer.stream_responses = [full_block_response(1, "a"), full_block_response(2, "b")]

    async def listen() -> list[int]:
        gw = gateway_aio.connect(FakeAioChannel(peer), identity, new_private_key_signer(private_key))
        blocks = await gw.get_network("ch").block_events()
        numbers = []
        async for block in blocks:
            numbers.append(block.number)
            await blocks.aclose()
        await gw.close()
        return numbers

    assert asyncio.run(listen()) == [1]


def _endorser_envelope(transaction_id: str, event: chaincode_event_pb2.ChaincodeEvent | None) -> bytes:
    action = proposal_pb2.ChaincodeAction(events=event.SerializeToString() if event else b"")
    response_payload = proposal_response_pb2.ProposalResponsePayload(extension=action.SerializeToString())
    action_payload = transaction_pb2.ChaincodeActionPayload(
        action=transaction_pb2.ChaincodeEndorsedAction(proposal_response_payload=response_payload.SerializeToString())
    )
    transaction = transaction_pb2.Transaction(
        actions=[transaction_pb2.TransactionAction(payload=action_payload.SerializeToString())]
    )
    header = common_pb2.ChannelHeader(type=common_pb2.ENDORSER_TRANSACTION, tx_id=transaction_id)
    payload = common_pb2.Payload(
        header=common_pb2.Header(channel_header=header.SerializeToString()), data=transaction.SerializeToString()
    )
    return serialize(common_pb2.Envelope(payload=payload.SerializeToString()))


def test_chaincode_events_read_from_a_full_block() -> None:
    def event(tx: str) -> chaincode_event_pb2.ChaincodeEvent:
        return chaincode_event_pb2.ChaincodeEvent(
            chaincode_id="tradefin", tx_id=tx, event_name="E", payload=tx.encode()
        )

    config = common_pb2.Envelope(
        payload=common_pb2.Payload(
            header=common_pb2.Header(channel_header=common_pb2.ChannelHeader(type=common_pb2.CONFIG).SerializeToString())
        ).SerializeToString()
    ).SerializeToString()
    envelopes = (
        _endorser_envelope("tx-a", event("tx-a")),
        _endorser_envelope("tx-b", None),  # no event
        _endorser_envelope("tx-c", event("tx-c")),  # committed invalid
        config,
        _endorser_envelope("tx-d", event("tx-d")),
    )
    codes = bytes([ValidationCode.VALID, ValidationCode.VALID, ValidationCode.MVCC_READ_CONFLICT, 0, 0])
    block = Block(number=12, previous_hash=b"", data_hash=b"", envelopes=envelopes, metadata=(b"", b"", codes))
    assert [(e.block_number, e.transaction_id, e.payload) for e in block.chaincode_events()] == [
        (12, "tx-a", b"tx-a"),
        (12, "tx-d", b"tx-d"),
    ]
    assert [e.transaction_id for e in block.chaincode_events(valid_only=False)] == ["tx-a", "tx-c", "tx-d"]


def held_by_the_peer(collection: str, rwset: kv_rwset_pb2.KVRWSet, index: int, envelopes: int) -> BlockAndPrivateData:
    """A block of ``envelopes`` transactions, this peer holding ``rwset`` of chaincode ``tradefin`` in
    ``collection`` for the one at ``index``."""
    private = rwset_pb2.TxPvtReadWriteSet(
        ns_pvt_rwset=[
            rwset_pb2.NsPvtReadWriteSet(
                namespace="tradefin",
                collection_pvt_rwset=[
                    rwset_pb2.CollectionPvtReadWriteSet(collection_name=collection, rwset=rwset.SerializeToString())
                ],
            )
        ]
    )
    return BlockAndPrivateData(
        block=Block(number=3, previous_hash=b"", data_hash=b"", envelopes=(b"",) * envelopes, metadata=()),
        private_data={index: private.SerializeToString()},
    )


def test_private_writes_are_typed() -> None:
    writes = kv_rwset_pb2.KVRWSet(
        writes=[
            kv_rwset_pb2.KVWrite(key="terms/LC-1", value=b"secret terms"),
            kv_rwset_pb2.KVWrite(key="terms/LC-0", is_delete=True),
        ]
    )
    item = held_by_the_peer("banks-1-2", writes, index=1, envelopes=2)
    assert item.private_writes(1) == (
        PrivateWrite("tradefin", "banks-1-2", "terms/LC-1", b"secret terms", False),
        PrivateWrite("tradefin", "banks-1-2", "terms/LC-0", b"", True),
    )
    assert item.private_writes(0) == ()  # this peer holds no private data of that transaction


def test_private_metadata_writes_are_typed() -> None:
    """A key-level endorsement policy a chaincode set on a private key (SetPrivateDataValidationParameter)
    travels as a metadata write of the private read-write set; a deleted one has no entries."""
    policy = b"\x12\x04policy"
    rwset = kv_rwset_pb2.KVRWSet(
        writes=[kv_rwset_pb2.KVWrite(key="terms/LC-1", value=b"secret terms")],
        metadata_writes=[
            kv_rwset_pb2.KVMetadataWrite(
                key="terms/LC-1", entries=[kv_rwset_pb2.KVMetadataEntry(name="VALIDATION_PARAMETER", value=policy)]
            ),
            kv_rwset_pb2.KVMetadataWrite(key="terms/LC-0"),
        ],
    )
    item = held_by_the_peer("lc-A-B", rwset, index=0, envelopes=1)
    assert item.private_metadata_writes(0) == (
        PrivateMetadataWrite("tradefin", "lc-A-B", "terms/LC-1", {"VALIDATION_PARAMETER": policy}),
        PrivateMetadataWrite("tradefin", "lc-A-B", "terms/LC-0", {}),
    )
    assert item.private_writes(0) == (PrivateWrite("tradefin", "lc-A-B", "terms/LC-1", b"secret terms", False),)
    assert item.private_metadata_writes(1) == ()


def test_a_close_landing_during_a_read_drops_that_responses_events() -> None:
    from tradefin.gateway.chaincode_events import chaincode_events_from_response
    from tradefin.gateway.sync import EventStream

    class CloseDuringRead:
        """A stream call whose response arrives just as another thread closes the stream."""

        stream: EventStream[Any]
        cancelled = False

        def __next__(self) -> bytes:
            self.stream.close()
            events = [chaincode_event_pb2.ChaincodeEvent(chaincode_id="c", tx_id=f"tx-{n}") for n in (1, 2, 3)]
            return serialize(gateway_pb2.ChaincodeEventsResponse(block_number=4, events=events))

        def cancel(self) -> None:
            self.cancelled = True

        def add_callback(self, callback: Any) -> bool:
            return True

    call = CloseDuringRead()
    call.stream = EventStream(call, chaincode_events_from_response)
    assert list(call.stream) == []  # events not yet read are dropped, as close() says
    assert call.cancelled


def test_a_scoped_stream_collected_in_a_cycle_while_the_scope_cancels_does_not_hang_it() -> None:
    """The cyclic GC may free a stream (and forget its callback) during any allocation, including
    those cancel() makes while holding the scope's lock."""
    import gc
    import threading

    from tradefin.gateway import Cancellation
    from tradefin.gateway.sync import EventStream

    class CallInACycle:
        stream: EventStream[Any] | None = None

        def __next__(self) -> bytes:
            raise StopIteration

        def cancel(self) -> None:
            pass

        def add_callback(self, callback: Any) -> bool:
            return True

    failures: list[BaseException] = []

    def cancel_while_collecting() -> None:
        threshold = gc.get_threshold()
        try:
            for allocations in range(1, 12):  # start a collection at each allocation cancel() makes in turn
                scope = Cancellation()
                call = CallInACycle()
                call.stream = EventStream(call, lambda response: [], None, (scope,))
                del call
                gc.set_threshold(gc.get_count()[0] + allocations)
                scope.cancel()
                gc.set_threshold(*threshold)
                gc.collect()
        except BaseException as failure:  # a thread that died of an error is "not alive" too
            failures.append(failure)
        finally:
            gc.set_threshold(*threshold)

    gc.collect()
    worker = threading.Thread(target=cancel_while_collecting, daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "cancel() deadlocked on the scope's lock"
    assert failures == []


def test_a_stream_opened_while_its_gateway_closes_is_closed_too() -> None:
    # close() from another thread between a stream's opening and its registration: once the gateway's
    # streams are closed, one registered later is closed at once rather than left running
    from tradefin.gateway.event_stream import OpenStreams

    class Stream:
        closed = False

        def _close_with_gateway(self) -> None:
            self.closed = True

    streams, before, after = OpenStreams(), Stream(), Stream()
    streams.add(before)  # type: ignore[type-var]
    streams.close_all()
    assert before.closed
    streams.add(after)  # type: ignore[type-var]
    assert after.closed


class _EndedCall:
    """A stream call that fails with ``error`` when read, and tells when it ended as grpcio does:
    ``add_callback`` runs the callback at the end, or refuses it (False) once the call is over."""

    def __init__(self, error: Exception, ended_before_opened: bool = False) -> None:
        self.error = error
        self.ended = ended_before_opened
        self.callbacks: list[Any] = []

    def add_callback(self, callback: Any) -> bool:
        if self.ended:
            return False
        self.callbacks.append(callback)
        return True

    def end(self) -> None:
        self.ended = True
        for callback in self.callbacks:
            callback()

    def __next__(self) -> bytes:
        raise self.error

    def cancel(self) -> None:
        pass


@pytest.mark.parametrize(
    ("ended_at", "ended_before_opened", "expected"),
    [
        (100.2, False, GrpcCode.INTERNAL),  # the peer reset it early: its own error, however late it is read
        (101.0, False, GrpcCode.DEADLINE_EXCEEDED),  # reset when the deadline came: the deadline
        (101.5, False, GrpcCode.DEADLINE_EXCEEDED),
        (100.2, True, GrpcCode.INTERNAL),  # over before the stream object existed: its time is then
    ],
)
def test_a_streams_failure_is_judged_against_its_deadline_when_the_call_ended_not_when_read(
    monkeypatch: pytest.MonkeyPatch, ended_at: float, ended_before_opened: bool, expected: GrpcCode
) -> None:
    from tradefin.gateway import event_stream
    from tradefin.gateway.sync import EventStream

    clock = [ended_at if ended_before_opened else 100.0]
    monkeypatch.setattr(event_stream, "monotonic", lambda: clock[0])
    reset = FakeRpcError(grpc.StatusCode.INTERNAL, "Received RST_STREAM with error code 2")
    call = _EndedCall(reset, ended_before_opened)
    stream: EventStream[Any] = EventStream(call, lambda response: [], 1.0, (), opened=100.0)  # deadline: 101.0
    clock[0] = ended_at
    call.end()
    clock[0] = 250.0  # read long after
    with pytest.raises(GatewayError) as caught:
        next(stream)
    assert caught.value.code is expected
