"""``ChaincodeStub``: what a transaction can ask of the peer (state, queries, private data, events).

One stub exists per transaction. Every request it makes carries the transaction's channel id and
tx id, and a transaction has at most one request outstanding at a time (concurrent calls inside one
transaction, e.g. ``asyncio.gather`` of two reads, are queued by the stub).

When the peer offers write batching (v3.1 READY parameters), writes are buffered and sent as
WRITE_BATCH_STATE before the transaction completes. Fabric never lets a transaction read its own
uncommitted writes, so buffering does not change what reads return; a write the peer refuses then
fails the transaction at completion instead of at the call.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from fabric_protos.ledger.queryresult import kv_query_result_pb2
from fabric_protos.peer import chaincode_pb2, chaincode_shim_pb2, proposal_response_pb2
from google.protobuf.message import DecodeError

from tradefin.chaincode.shim import keys
from tradefin.chaincode.shim.errors import (
    ChaincodeInvocationError,
    IdentityError,
    KeyValidationError,
    ProtocolError,
)
from tradefin.chaincode.shim.identity import ClientIdentity
from tradefin.chaincode.shim.proposal import SignedProposal, TransactionProposal
from tradefin.chaincode.shim.response import ChaincodeResponse

if TYPE_CHECKING:
    from tradefin.chaincode.shim.handler import PeerConnection

__all__ = [
    "ChaincodeStub",
    "KeyModification",
    "QueryResultIterator",
    "StatePage",
    "StateRecord",
]

# Decoding a creator certificate costs more than many a whole transaction; the same users submit again
# and again, and a ClientIdentity is immutable, so decoded creators are kept (bounded).
_identity_of_creator = functools.lru_cache(maxsize=1024)(ClientIdentity.from_creator)

_Msg = chaincode_shim_pb2.ChaincodeMessage
_VALIDATION_PARAMETER = "VALIDATION_PARAMETER"

# Write-batch slots: one for the value (put / delete / purge) and one for metadata, per key.
_DATA = 0
_METADATA = 1
_WriteRecord = chaincode_shim_pb2.WriteRecord
_WRITE_RECORD_TYPE = {
    _Msg.PUT_STATE: _WriteRecord.PUT_STATE,
    _Msg.DEL_STATE: _WriteRecord.DEL_STATE,
    _Msg.PURGE_PRIVATE_DATA: _WriteRecord.PURGE_PRIVATE_DATA,
}

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class StateRecord:
    """One key and its value, as returned by range and rich queries."""

    key: str
    value: bytes


@dataclass(frozen=True, slots=True)
class KeyModification:
    """One historic write of a key (GET_HISTORY_FOR_KEY)."""

    tx_id: str
    value: bytes
    timestamp: datetime
    is_delete: bool


@dataclass(frozen=True, slots=True)
class StatePage:
    """One page of a paginated query, with the bookmark that continues it."""

    records: list[StateRecord]
    bookmark: str
    """Pass back as ``bookmark`` to fetch the next page (empty when the peer gave none)."""
    fetched_records_count: int
    """How many records the peer fetched for this page."""

    def __iter__(self) -> Any:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)


def _decode_state_record(raw: bytes) -> StateRecord:
    record = kv_query_result_pb2.KV.FromString(raw)
    return StateRecord(record.key, record.value)


def _decode_key_modification(raw: bytes) -> KeyModification:
    modification = kv_query_result_pb2.KeyModification.FromString(raw)
    stamp = modification.timestamp
    when = datetime.fromtimestamp(stamp.seconds, UTC).replace(microsecond=stamp.nanos // 1000)
    return KeyModification(modification.tx_id, modification.value, when, modification.is_delete)


class QueryResultIterator(Generic[T]):
    """Async iterator over a range, rich or history query; fetches further batches on demand.

    Use ``async for`` directly, or ``async with`` to close a query abandoned before its end (the
    peer also closes every query iterator when the transaction ends).
    """

    def __init__(
        self,
        stub: ChaincodeStub,
        open_query: Callable[[], Awaitable[Any]],
        decode: Callable[[bytes], T],
    ) -> None:
        self._stub = stub
        self._open_query = open_query
        self._decode = decode
        self._response: Any = None
        self._index = 0
        self._closed = False
        self.metadata: Any = None  # the first response's QueryResponseMetadata bytes (pagination)

    def __aiter__(self) -> QueryResultIterator[T]:
        return self

    async def __anext__(self) -> T:
        if self._closed:
            raise StopAsyncIteration
        if self._response is None:
            self._response = await self._open_query()
            self.metadata = self._response.metadata
        while self._index >= len(self._response.results):
            if not self._response.has_more:
                self._closed = True
                raise StopAsyncIteration
            self._response = await self._stub._query_call(
                _Msg.QUERY_STATE_NEXT, chaincode_shim_pb2.QueryStateNext(id=self._response.id)
            )
            self._index = 0
        raw = self._response.results[self._index].resultBytes
        self._index += 1
        try:
            return self._decode(raw)
        except DecodeError as exc:
            raise ProtocolError("cannot decode a query result") from exc

    async def aclose(self) -> None:
        """Tell the peer to drop the query if it still holds results for it."""
        if self._closed:
            return
        self._closed = True
        if self._response is not None and self._response.has_more:
            await self._stub._query_call(
                _Msg.QUERY_STATE_CLOSE, chaincode_shim_pb2.QueryStateClose(id=self._response.id)
            )

    async def __aenter__(self) -> QueryResultIterator[T]:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def _require_collection(collection: str) -> None:
    if not collection:
        raise KeyValidationError("collection must not be an empty string")


def _require_key(key: str) -> None:
    if not key:
        raise KeyValidationError("key must not be an empty string")


class ChaincodeStub:
    """The transaction's view of the ledger and of its own proposal (one instance per transaction)."""

    def __init__(
        self,
        connection: PeerConnection,
        channel_id: str,
        tx_id: str,
        args: Sequence[bytes],
        proposal: TransactionProposal | None,
        *,
        is_init: bool = False,
        decorations: Mapping[str, bytes] | None = None,
    ) -> None:
        self._connection = connection
        self.channel_id = channel_id
        """The channel the transaction runs on."""
        self.tx_id = tx_id
        """The transaction id."""
        self.args = args
        """The raw invocation arguments; ``args[0]`` is the function name."""
        self.is_init = is_init
        """True when the peer sent INIT (a definition with ``--init-required``)."""
        self.decorations: Mapping[str, bytes] = decorations or {}
        """Decorations added by peer-side decorator plugins."""
        self._proposal = proposal
        self._request_lock = asyncio.Lock()
        self._event: tuple[str, bytes] | None = None
        self._client_identity: ClientIdentity | None = None
        self._writes: dict[tuple[str, str, int], Any] | None = {} if connection.use_write_batch else None

    # ------------------------------------------------------------------ transaction facts

    @property
    def function(self) -> str:
        """The function name (first argument), decoded as UTF-8 ('' when there are no arguments)."""
        return self.args[0].decode("utf-8", "replace") if self.args else ""

    @property
    def parameters(self) -> Sequence[bytes]:
        """The arguments after the function name."""
        return self.args[1:]

    def _require_proposal(self) -> TransactionProposal:
        if self._proposal is None:
            raise ProtocolError("the transaction carries no signed proposal")
        return self._proposal

    @property
    def tx_timestamp(self) -> datetime:
        """The client-assigned timestamp from the proposal's ChannelHeader (UTC).

        Use this, never the local clock: every endorser sees the same value.
        """
        return self._require_proposal().timestamp

    @property
    def tx_timestamp_nanos(self) -> int:
        """The transaction timestamp in nanoseconds since the Unix epoch."""
        return self._require_proposal().timestamp_nanos

    @property
    def creator(self) -> bytes:
        """The serialized ``msp.SerializedIdentity`` of the proposal's creator."""
        return self._require_proposal().creator

    @property
    def client_identity(self) -> ClientIdentity:
        """The creator decoded as an X.509 identity (decoded once, on first use).

        Raises:
            IdentityError: the creator is not an X.509 identity.
        """
        if self._client_identity is None:
            try:
                self._client_identity = _identity_of_creator(self.creator)
            except ProtocolError as exc:
                raise IdentityError("the transaction has no creator") from exc
        return self._client_identity

    @property
    def transient(self) -> Mapping[str, bytes]:
        """The proposal's transient map (private inputs that never reach the ledger)."""
        return self._require_proposal().transient

    @property
    def signed_proposal(self) -> SignedProposal:
        """The signed proposal exactly as the client sent it."""
        return self._require_proposal().signed_proposal

    @property
    def binding(self) -> bytes:
        """The proposal binding: SHA-256(nonce || creator || epoch)."""
        return self._require_proposal().binding

    # ------------------------------------------------------------------ events

    def set_event(self, name: str, payload: bytes = b"") -> None:
        """Attach the chaincode event of this transaction; the last call wins (one event per tx)."""
        if not name:
            raise ValueError("event name must not be empty")
        self._event = (name, bytes(payload))

    @property
    def event(self) -> tuple[str, bytes] | None:
        """The event set so far, as (name, payload)."""
        return self._event

    # ------------------------------------------------------------------ peer round trips

    async def _call(self, message_type: int, request: Any) -> bytes:
        async with self._request_lock:
            return await self._connection.request(
                self.channel_id, self.tx_id, message_type, request.SerializeToString()
            )

    async def _query_call(self, message_type: int, request: Any) -> Any:
        payload = await self._call(message_type, request)
        try:
            return chaincode_shim_pb2.QueryResponse.FromString(payload)
        except DecodeError as exc:
            raise ProtocolError("cannot decode a QueryResponse") from exc

    # ------------------------------------------------------------------ public state

    async def get_state(self, key: str) -> bytes | None:
        """The committed value of a key, or None when it does not exist.

        Raises:
            PeerError: the peer refused the read.
        """
        return await self._get("", key)

    async def get_multiple_states(self, keys_: Sequence[str]) -> list[bytes | None]:
        """Values of several keys, in order (one GET_STATE_MULTIPLE per batch when the peer offers it)."""
        return await self._get_multiple("", keys_)

    async def put_state(self, key: str, value: bytes) -> None:
        """Write a key (a simple key or a composite key)."""
        _require_key(key)
        await self._write(_Msg.PUT_STATE, "", key, bytes(value))

    async def del_state(self, key: str) -> None:
        """Delete a key."""
        _require_key(key)
        await self._write(_Msg.DEL_STATE, "", key, None)

    async def _get(self, collection: str, key: str) -> bytes | None:
        value = await self._call(_Msg.GET_STATE, chaincode_shim_pb2.GetState(key=key, collection=collection))
        return value or None

    async def _get_multiple(self, collection: str, keys_: Sequence[str]) -> list[bytes | None]:
        if not keys_:
            return []
        connection = self._connection
        if not connection.use_get_multiple_keys:
            return [await self._get(collection, key) for key in keys_]
        values: list[bytes | None] = []
        size = connection.max_size_get_multiple_keys
        for start in range(0, len(keys_), size):
            chunk = keys_[start : start + size]
            payload = await self._call(
                _Msg.GET_STATE_MULTIPLE,
                chaincode_shim_pb2.GetStateMultiple(keys=chunk, collection=collection),
            )
            try:
                result = chaincode_shim_pb2.GetStateMultipleResult.FromString(payload)
            except DecodeError as exc:
                raise ProtocolError("cannot decode a GetStateMultipleResult") from exc
            if len(result.values) != len(chunk):
                raise ProtocolError("GET_STATE_MULTIPLE answered a different number of values")
            values.extend(v or None for v in result.values)
        return values

    async def _write(self, message_type: int, collection: str, key: str, value: bytes | None) -> None:
        if self._writes is not None:
            record_type = _WRITE_RECORD_TYPE[message_type]
            self._writes[(collection, key, _DATA)] = _WriteRecord(
                key=key, value=value, collection=collection, type=record_type
            )
            return
        if message_type == _Msg.PUT_STATE:
            request: Any = chaincode_shim_pb2.PutState(key=key, value=value, collection=collection)
        else:  # DEL_STATE, and PURGE_PRIVATE_DATA, which reuses the DelState payload
            request = chaincode_shim_pb2.DelState(key=key, collection=collection)
        await self._call(message_type, request)

    async def _put_metadata(self, collection: str, key: str, metakey: str, value: bytes) -> None:
        metadata = chaincode_shim_pb2.StateMetadata(metakey=metakey, value=value)
        if self._writes is not None:
            self._writes[(collection, key, _METADATA)] = _WriteRecord(
                key=key, collection=collection, metadata=metadata, type=_WriteRecord.PUT_STATE_METADATA
            )
            return
        request = chaincode_shim_pb2.PutStateMetadata(key=key, collection=collection, metadata=metadata)
        await self._call(_Msg.PUT_STATE_METADATA, request)

    async def flush_writes(self) -> None:
        """Send buffered writes now (the shim also does it before completing the transaction)."""
        if not self._writes:
            return
        records = list(self._writes.values())
        self._writes.clear()
        size = self._connection.max_size_write_batch
        for start in range(0, len(records), size):
            await self._call(
                _Msg.WRITE_BATCH_STATE, chaincode_shim_pb2.WriteBatchState(rec=records[start : start + size])
            )

    # ------------------------------------------------------------------ state metadata and SBE

    async def get_state_metadata(self, key: str) -> dict[str, bytes]:
        """All metadata entries of a key (metakey -> value)."""
        return await self._get_metadata("", key)

    async def get_state_validation_parameter(self, key: str) -> bytes | None:
        """The key-level endorsement policy (serialized SignaturePolicyEnvelope), or None."""
        return (await self._get_metadata("", key)).get(_VALIDATION_PARAMETER)

    async def set_state_validation_parameter(self, key: str, policy: bytes) -> None:
        """Set the key-level endorsement policy (e.g. ``KeyEndorsementPolicy.all_of(...).to_bytes()``)."""
        _require_key(key)
        await self._put_metadata("", key, _VALIDATION_PARAMETER, bytes(policy))

    async def _get_metadata(self, collection: str, key: str) -> dict[str, bytes]:
        payload = await self._call(
            _Msg.GET_STATE_METADATA, chaincode_shim_pb2.GetStateMetadata(key=key, collection=collection)
        )
        try:
            result = chaincode_shim_pb2.StateMetadataResult.FromString(payload)
        except DecodeError as exc:
            raise ProtocolError("cannot decode a StateMetadataResult") from exc
        return {entry.metakey: entry.value for entry in result.entries}

    # ------------------------------------------------------------------ composite keys

    @staticmethod
    def create_composite_key(object_type: str, attributes: Sequence[str] = ()) -> str:
        """See :func:`tradefin.chaincode.shim.keys.create_composite_key`."""
        return keys.create_composite_key(object_type, attributes)

    @staticmethod
    def split_composite_key(composite_key: str) -> tuple[str, list[str]]:
        """See :func:`tradefin.chaincode.shim.keys.split_composite_key`."""
        return keys.split_composite_key(composite_key)

    # ------------------------------------------------------------------ range and rich queries

    def _range_iterator(
        self, collection: str, start: str, end: str, metadata: bytes = b""
    ) -> QueryResultIterator[StateRecord]:
        request = chaincode_shim_pb2.GetStateByRange(
            startKey=start, endKey=end, collection=collection, metadata=metadata
        )
        return QueryResultIterator(
            self, lambda: self._query_call(_Msg.GET_STATE_BY_RANGE, request), _decode_state_record
        )

    def _query_iterator(self, collection: str, query: str, metadata: bytes = b"") -> QueryResultIterator[StateRecord]:
        request = chaincode_shim_pb2.GetQueryResult(query=query, collection=collection, metadata=metadata)
        return QueryResultIterator(self, lambda: self._query_call(_Msg.GET_QUERY_RESULT, request), _decode_state_record)

    @staticmethod
    def _simple_range(start: str, end: str) -> tuple[str, str]:
        start = start or keys.EMPTY_RANGE_START
        keys.validate_simple_key(start)
        keys.validate_simple_key(end)
        return start, end

    @staticmethod
    async def _page(iterator: QueryResultIterator[StateRecord]) -> StatePage:
        records = [record async for record in iterator]
        metadata = chaincode_shim_pb2.QueryResponseMetadata()
        if iterator.metadata:
            try:
                metadata.ParseFromString(iterator.metadata)
            except DecodeError as exc:
                raise ProtocolError("cannot decode QueryResponseMetadata") from exc
        return StatePage(records, metadata.bookmark, metadata.fetched_records_count)

    @staticmethod
    def _page_request(page_size: int, bookmark: str) -> bytes:
        if page_size <= 0:
            raise ValueError("page_size must be positive")
        metadata = chaincode_shim_pb2.QueryMetadata(pageSize=page_size, bookmark=bookmark)
        serialized: bytes = metadata.SerializeToString()
        return serialized

    def get_state_by_range(self, start_key: str, end_key: str) -> QueryResultIterator[StateRecord]:
        """Simple keys in ``[start_key, end_key)``.

        An empty start skips composite keys; an empty end leaves the range open.
        """
        start, end = self._simple_range(start_key, end_key)
        return self._range_iterator("", start, end)

    async def get_state_by_range_with_pagination(
        self, start_key: str, end_key: str, page_size: int, bookmark: str = ""
    ) -> StatePage:
        """One page of a range query (read-only transactions only, a Fabric rule)."""
        start, end = self._simple_range(start_key, end_key)
        return await self._page(self._range_iterator("", start, end, self._page_request(page_size, bookmark)))

    def get_state_by_partial_composite_key(
        self, object_type: str, attributes: Sequence[str] = ()
    ) -> QueryResultIterator[StateRecord]:
        """Composite keys starting with ``object_type`` and the given leading attributes."""
        start, end = keys.partial_composite_key_range(object_type, attributes)
        return self._range_iterator("", start, end)

    async def get_state_by_partial_composite_key_with_pagination(
        self, object_type: str, attributes: Sequence[str], page_size: int, bookmark: str = ""
    ) -> StatePage:
        """One page of a partial composite key query."""
        start, end = keys.partial_composite_key_range(object_type, attributes)
        return await self._page(self._range_iterator("", start, end, self._page_request(page_size, bookmark)))

    def get_query_result(self, query: str) -> QueryResultIterator[StateRecord]:
        """A rich (CouchDB selector) query. A goleveldb peer refuses it: iterating raises PeerError."""
        return self._query_iterator("", query)

    async def get_query_result_with_pagination(self, query: str, page_size: int, bookmark: str = "") -> StatePage:
        """One page of a rich query."""
        return await self._page(self._query_iterator("", query, self._page_request(page_size, bookmark)))

    def get_history_for_key(self, key: str) -> QueryResultIterator[KeyModification]:
        """Every committed write of a key, newest first (needs the peer's history database)."""
        request = chaincode_shim_pb2.GetHistoryForKey(key=key)
        return QueryResultIterator(
            self, lambda: self._query_call(_Msg.GET_HISTORY_FOR_KEY, request), _decode_key_modification
        )

    # ------------------------------------------------------------------ private data

    async def get_private_data(self, collection: str, key: str) -> bytes | None:
        """A private data value, or None when missing (only on peers of member organisations)."""
        _require_collection(collection)
        return await self._get(collection, key)

    async def get_multiple_private_data(self, collection: str, keys_: Sequence[str]) -> list[bytes | None]:
        """Several private data values, in order."""
        _require_collection(collection)
        return await self._get_multiple(collection, keys_)

    async def get_private_data_hash(self, collection: str, key: str) -> bytes | None:
        """The SHA-256 of a private value, readable by every peer of the channel; None when missing."""
        _require_collection(collection)
        value = await self._call(
            _Msg.GET_PRIVATE_DATA_HASH, chaincode_shim_pb2.GetState(key=key, collection=collection)
        )
        return value or None

    async def put_private_data(self, collection: str, key: str, value: bytes) -> None:
        """Write a private data value (its hash goes on the shared ledger)."""
        _require_collection(collection)
        _require_key(key)
        await self._write(_Msg.PUT_STATE, collection, key, bytes(value))

    async def del_private_data(self, collection: str, key: str) -> None:
        """Delete a private data key."""
        _require_collection(collection)
        _require_key(key)
        await self._write(_Msg.DEL_STATE, collection, key, None)

    async def purge_private_data(self, collection: str, key: str) -> None:
        """Delete a private key and purge its past versions from the private data store."""
        _require_collection(collection)
        _require_key(key)
        await self._write(_Msg.PURGE_PRIVATE_DATA, collection, key, None)

    def get_private_data_by_range(
        self, collection: str, start_key: str, end_key: str
    ) -> QueryResultIterator[StateRecord]:
        """Private keys in ``[start_key, end_key)``."""
        _require_collection(collection)
        start, end = self._simple_range(start_key, end_key)
        return self._range_iterator(collection, start, end)

    def get_private_data_by_partial_composite_key(
        self, collection: str, object_type: str, attributes: Sequence[str] = ()
    ) -> QueryResultIterator[StateRecord]:
        """Private composite keys starting with the given components."""
        _require_collection(collection)
        start, end = keys.partial_composite_key_range(object_type, attributes)
        return self._range_iterator(collection, start, end)

    def get_private_data_query_result(self, collection: str, query: str) -> QueryResultIterator[StateRecord]:
        """A rich query on a private collection (CouchDB peers only)."""
        _require_collection(collection)
        return self._query_iterator(collection, query)

    async def get_private_data_validation_parameter(self, collection: str, key: str) -> bytes | None:
        """The endorsement policy of a private key, or None."""
        _require_collection(collection)
        return (await self._get_metadata(collection, key)).get(_VALIDATION_PARAMETER)

    async def set_private_data_validation_parameter(self, collection: str, key: str, policy: bytes) -> None:
        """Set the endorsement policy of a private key."""
        _require_collection(collection)
        _require_key(key)
        await self._put_metadata(collection, key, _VALIDATION_PARAMETER, bytes(policy))

    # ------------------------------------------------------------------ chaincode to chaincode

    async def invoke_chaincode(
        self, chaincode_name: str, args: Sequence[bytes | str], channel: str = ""
    ) -> ChaincodeResponse:
        """Call another chaincode in this transaction; its response is returned, whatever its status.

        Raises:
            PeerError: the peer refused the call (unknown chaincode, ACL...).
            ChaincodeInvocationError: the called chaincode failed without a response.
        """
        target = f"{chaincode_name}/{channel}" if channel else chaincode_name
        spec = chaincode_pb2.ChaincodeSpec(
            chaincode_id=chaincode_pb2.ChaincodeID(name=target),
            input=chaincode_pb2.ChaincodeInput(args=[a.encode() if isinstance(a, str) else a for a in args]),
        )
        payload = await self._call(_Msg.INVOKE_CHAINCODE, spec)
        try:
            inner = _Msg.FromString(payload)
        except DecodeError as exc:
            raise ProtocolError("cannot decode the called chaincode's message") from exc
        if inner.type != _Msg.COMPLETED:
            raise ChaincodeInvocationError(
                f"chaincode {chaincode_name!r} failed: {inner.payload.decode('utf-8', 'replace')}"
            )
        try:
            response = proposal_response_pb2.Response.FromString(inner.payload)
        except DecodeError as exc:
            raise ProtocolError("cannot decode the called chaincode's response") from exc
        return ChaincodeResponse(response.status, response.message, response.payload)
