"""A scripted stand-in for the peer's end of the ChaincodeSupport stream (unit tests only).

It drives the real ``PeerConnection``: the test plays the peer, sending messages and asserting
on what the chaincode writes back.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Coroutine
from datetime import datetime
from typing import Any

from fabric_protos.common import common_pb2
from fabric_protos.ledger.queryresult import kv_query_result_pb2
from fabric_protos.msp import identities_pb2
from fabric_protos.peer import chaincode_pb2, chaincode_shim_pb2, proposal_pb2, proposal_response_pb2

from tradefin.chaincode.shim import Chaincode, ConnectionState, PeerConnection

Msg = chaincode_shim_pb2.ChaincodeMessage
CHANNEL = "asia-europe"
PACKAGE_ID = "tradefin_1.0:0123abcd"


class FakePeerStream:
    """The peer side of a stream: queues in both directions."""

    def __init__(self) -> None:
        self.to_chaincode: asyncio.Queue[Any] = asyncio.Queue()
        self.from_chaincode: asyncio.Queue[Any] = asyncio.Queue()
        self.writers_active = 0
        self.max_concurrent_writers = 0

    # PeerStream, used by the chaincode
    async def read(self) -> Any | None:
        return await self.to_chaincode.get()

    async def write(self, message: Any) -> None:
        self.writers_active += 1
        self.max_concurrent_writers = max(self.max_concurrent_writers, self.writers_active)
        await asyncio.sleep(0)  # give a concurrent writer the chance to overlap, if the shim allowed it
        self.writers_active -= 1
        await self.from_chaincode.put(Msg.FromString(message.SerializeToString()))

    # the peer's side, used by tests
    def send(self, message: Any) -> None:
        self.to_chaincode.put_nowait(message)

    def end(self) -> None:
        self.to_chaincode.put_nowait(None)

    async def receive(self) -> Any:
        async with asyncio.timeout(2.0):
            return await self.from_chaincode.get()

    def nothing_sent(self) -> bool:
        return self.from_chaincode.empty()


def ready_payload(
    *, write_batch: bool = False, batch_size: int = 0, get_multiple: bool = False, multiple_size: int = 0
) -> bytes:
    params = chaincode_pb2.ChaincodeAdditionalParams(
        use_write_batch=write_batch,
        max_size_write_batch=batch_size,
        use_get_multiple_keys=get_multiple,
        max_size_get_multiple_keys=multiple_size,
    )
    payload: bytes = params.SerializeToString()
    return payload


async def connect(
    chaincode: Chaincode, ready: bytes = b"", *, write_batching: bool = True
) -> tuple[PeerConnection, FakePeerStream, asyncio.Task[None]]:
    """Start a connection and complete the handshake; returns it with the peer's stream and the task."""
    stream = FakePeerStream()
    connection = PeerConnection(stream, chaincode, PACKAGE_ID, write_batching=write_batching)
    task = asyncio.create_task(connection.serve())
    register = await stream.receive()
    assert register.type == Msg.REGISTER
    assert chaincode_pb2.ChaincodeID.FromString(register.payload).name == PACKAGE_ID
    stream.send(Msg(type=Msg.REGISTERED))
    stream.send(Msg(type=Msg.READY, payload=ready))
    for _ in range(100):
        if connection.state is ConnectionState.READY:
            break
        await asyncio.sleep(0)
    assert connection.state is ConnectionState.READY
    return connection, stream, task


def signed_proposal(
    *,
    tx_id: str,
    creator: bytes = b"",
    nonce: bytes = b"n" * 24,
    timestamp: datetime | None = None,
    transient: dict[str, bytes] | None = None,
    args: list[bytes] | None = None,
    epoch: int = 0,
) -> Any:
    channel_header = common_pb2.ChannelHeader(
        type=common_pb2.ENDORSER_TRANSACTION, channel_id=CHANNEL, tx_id=tx_id, epoch=epoch
    )
    if timestamp is not None:
        channel_header.timestamp.FromDatetime(timestamp)
    header = common_pb2.Header(
        channel_header=channel_header.SerializeToString(),
        signature_header=common_pb2.SignatureHeader(creator=creator, nonce=nonce).SerializeToString(),
    )
    invocation = chaincode_pb2.ChaincodeInvocationSpec(
        chaincode_spec=chaincode_pb2.ChaincodeSpec(
            chaincode_id=chaincode_pb2.ChaincodeID(name="tradefin"),
            input=chaincode_pb2.ChaincodeInput(args=args or []),
        )
    )
    payload = proposal_pb2.ChaincodeProposalPayload(input=invocation.SerializeToString(), TransientMap=transient or {})
    proposal = proposal_pb2.Proposal(header=header.SerializeToString(), payload=payload.SerializeToString())
    return proposal_pb2.SignedProposal(proposal_bytes=proposal.SerializeToString(), signature=b"signature")


def serialized_identity(msp_id: str, certificate_pem: bytes) -> bytes:
    identity: bytes = identities_pb2.SerializedIdentity(mspid=msp_id, id_bytes=certificate_pem).SerializeToString()
    return identity


def transaction(
    tx_id: str, *args: bytes | str, proposal: Any = None, channel_id: str = CHANNEL, init: bool = False
) -> Any:
    raw_args = [a.encode() if isinstance(a, str) else a for a in args]
    message = Msg(
        type=Msg.INIT if init else Msg.TRANSACTION,
        txid=tx_id,
        channel_id=channel_id,
        payload=chaincode_pb2.ChaincodeInput(args=raw_args).SerializeToString(),
    )
    message.proposal.CopyFrom(proposal if proposal is not None else signed_proposal(tx_id=tx_id, args=raw_args))
    return message


def response(request: Any, payload: bytes = b"") -> Any:
    return Msg(type=Msg.RESPONSE, txid=request.txid, channel_id=request.channel_id, payload=payload)


def error(request: Any, text: str) -> Any:
    return Msg(type=Msg.ERROR, txid=request.txid, channel_id=request.channel_id, payload=text.encode())


def completed_response(message: Any) -> Any:
    assert message.type == Msg.COMPLETED, Msg.Type.Name(message.type)
    return proposal_response_pb2.Response.FromString(message.payload)


def run(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run one test scenario on a fresh event loop, with a deadline."""
    asyncio.run(asyncio.wait_for(coroutine, 10))


async def shutdown(stream: FakePeerStream, task: asyncio.Task[None]) -> None:
    stream.end()
    await asyncio.wait_for(task, 2.0)


class FakeLedgerPeer:
    """A peer stand-in that answers state requests from an in-memory world state.

    Reads come from ``state`` (keyed by (collection, key)); writes are recorded per transaction in
    ``writes`` and never applied, as an endorsing peer would only simulate them. Range queries are
    answered in batches of ``query_batch`` results (QUERY_STATE_NEXT fetches the rest), or as one
    page with a bookmark when the request carries QueryMetadata.
    """

    def __init__(self, stream: FakePeerStream, query_batch: int = 2) -> None:
        self.stream = stream
        self.state: dict[tuple[str, str], bytes] = {}
        self.metadata: dict[tuple[str, str], dict[str, bytes]] = {}
        self.history: dict[str, list[tuple[str, bytes, bool]]] = {}
        self.writes: dict[str, list[tuple[str, str, str, bytes]]] = {}
        self.requests: list[Any] = []
        self.query_batch = query_batch
        self._queries: dict[str, list[bytes]] = {}
        self._results: dict[tuple[str, str], asyncio.Future[Any]] = {}
        self._task: asyncio.Task[None] | None = None
        self._next_query = 0

    @classmethod
    async def start(
        cls, chaincode: Chaincode, ready: bytes = b"", *, query_batch: int = 2
    ) -> tuple[FakeLedgerPeer, asyncio.Task[None]]:
        _, stream, serve_task = await connect(chaincode, ready)
        peer = cls(stream, query_batch)
        peer._task = asyncio.create_task(peer._answer())
        return peer, serve_task

    async def stop(self, serve_task: asyncio.Task[None]) -> None:
        assert self._task is not None
        self._task.cancel()
        await shutdown(self.stream, serve_task)

    def put(self, key: str, value: bytes, collection: str = "") -> None:
        self.state[(collection, key)] = value

    def request_types(self, tx_id: str) -> list[str]:
        return [Msg.Type.Name(m.type) for m in self.requests if m.txid == tx_id]

    async def invoke(
        self,
        tx_id: str,
        *args: bytes | str,
        transient: dict[str, bytes] | None = None,
        creator: bytes = b"",
        timestamp: datetime | None = None,
    ) -> Any:
        """Send a TRANSACTION and wait for its COMPLETED or ERROR."""
        raw_args = [a.encode() if isinstance(a, str) else a for a in args]
        proposal = signed_proposal(
            tx_id=tx_id, args=raw_args, transient=transient, creator=creator, timestamp=timestamp
        )
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._results[(CHANNEL, tx_id)] = future
        self.stream.send(transaction(tx_id, *raw_args, proposal=proposal))
        async with asyncio.timeout(3):
            return await future

    async def _answer(self) -> None:
        while True:
            message = await self.stream.from_chaincode.get()
            if message.type in (Msg.COMPLETED, Msg.ERROR):
                self._results.pop((message.channel_id, message.txid)).set_result(message)
                continue
            self.requests.append(message)
            try:
                payload = self._handle(message)
            except LookupError as exc:
                self.stream.send(error(message, f"fake peer refused: {exc}"))
            else:
                self.stream.send(response(message, payload))

    def _handle(self, message: Any) -> bytes:
        shim = chaincode_shim_pb2
        kind = message.type
        writes = self.writes.setdefault(message.txid, [])
        if kind in (Msg.GET_STATE, Msg.GET_PRIVATE_DATA_HASH):
            request = shim.GetState.FromString(message.payload)
            value = self.state.get((request.collection, request.key), b"")
            if kind == Msg.GET_PRIVATE_DATA_HASH and value:
                value = hashlib.sha256(value).digest()
            return value
        if kind == Msg.GET_STATE_MULTIPLE:
            multiple = shim.GetStateMultiple.FromString(message.payload)
            values = [self.state.get((multiple.collection, k), b"") for k in multiple.keys]
            return bytes(shim.GetStateMultipleResult(values=values).SerializeToString())
        if kind == Msg.PUT_STATE:
            put = shim.PutState.FromString(message.payload)
            writes.append(("PUT_STATE", put.collection, put.key, put.value))
            return b""
        if kind in (Msg.DEL_STATE, Msg.PURGE_PRIVATE_DATA):
            delete = shim.DelState.FromString(message.payload)
            writes.append((Msg.Type.Name(kind), delete.collection, delete.key, b""))
            return b""
        if kind == Msg.PUT_STATE_METADATA:
            put_metadata = shim.PutStateMetadata.FromString(message.payload)
            writes.append(
                ("PUT_STATE_METADATA", put_metadata.collection, put_metadata.key, put_metadata.metadata.value)
            )
            return b""
        if kind == Msg.WRITE_BATCH_STATE:
            for record in shim.WriteBatchState.FromString(message.payload).rec:
                value = record.metadata.value if record.type == shim.WriteRecord.PUT_STATE_METADATA else record.value
                writes.append((shim.WriteRecord.Type.Name(record.type), record.collection, record.key, value))
            return b""
        if kind == Msg.GET_STATE_METADATA:
            request = shim.GetStateMetadata.FromString(message.payload)
            entries = self.metadata.get((request.collection, request.key), {})
            result = shim.StateMetadataResult(
                entries=[shim.StateMetadata(metakey=k, value=v) for k, v in entries.items()]
            )
            return bytes(result.SerializeToString())
        if kind == Msg.GET_STATE_BY_RANGE:
            return self._range(shim.GetStateByRange.FromString(message.payload))
        if kind == Msg.QUERY_STATE_NEXT:
            return self._next_batch(shim.QueryStateNext.FromString(message.payload).id)
        if kind == Msg.QUERY_STATE_CLOSE:
            self._queries.pop(shim.QueryStateClose.FromString(message.payload).id, None)
            return bytes(shim.QueryResponse().SerializeToString())
        if kind == Msg.GET_QUERY_RESULT:
            raise LookupError("ExecuteQuery not supported for leveldb")
        if kind == Msg.GET_HISTORY_FOR_KEY:
            key = shim.GetHistoryForKey.FromString(message.payload).key
            results = []
            for tx_id, value, is_delete in self.history.get(key, []):
                modification = kv_query_result_pb2.KeyModification(tx_id=tx_id, value=value, is_delete=is_delete)
                modification.timestamp.FromSeconds(1_700_000_000)
                results.append(modification.SerializeToString())
            return self._open_query(results)
        raise LookupError(f"unsupported {Msg.Type.Name(kind)}")

    def _range(self, request: Any) -> bytes:
        keys = sorted(
            key
            for collection, key in self.state
            if collection == request.collection
            and request.startKey <= key
            and (not request.endKey or key < request.endKey)
        )
        records = [
            kv_query_result_pb2.KV(key=k, value=self.state[(request.collection, k)]).SerializeToString() for k in keys
        ]
        if request.metadata:
            paging = chaincode_shim_pb2.QueryMetadata.FromString(request.metadata)
            start = keys.index(paging.bookmark) if paging.bookmark in keys else 0
            page = records[start : start + paging.pageSize]
            following = keys[start + paging.pageSize] if start + paging.pageSize < len(keys) else ""
            metadata = chaincode_shim_pb2.QueryResponseMetadata(fetched_records_count=len(page), bookmark=following)
            answer = chaincode_shim_pb2.QueryResponse(
                results=[chaincode_shim_pb2.QueryResultBytes(resultBytes=r) for r in page],
                has_more=False,
                id="paged",
                metadata=metadata.SerializeToString(),
            )
            return bytes(answer.SerializeToString())
        return self._open_query(records)

    def _open_query(self, records: list[bytes]) -> bytes:
        self._next_query += 1
        query_id = f"q{self._next_query}"
        self._queries[query_id] = records
        return self._next_batch(query_id)

    def _next_batch(self, query_id: str) -> bytes:
        remaining = self._queries[query_id]
        batch, self._queries[query_id] = remaining[: self.query_batch], remaining[self.query_batch :]
        has_more = bool(self._queries[query_id])
        if not has_more:
            del self._queries[query_id]
        answer = chaincode_shim_pb2.QueryResponse(
            results=[chaincode_shim_pb2.QueryResultBytes(resultBytes=r) for r in batch],
            has_more=has_more,
            id=query_id,
        )
        return bytes(answer.SerializeToString())

    @property
    def open_queries(self) -> set[str]:
        return set(self._queries)
