"""Block events from the peer's Deliver services: full blocks, filtered blocks, blocks with private data.

The request is one signed ``common.Envelope``: its payload has a ``ChannelHeader{type =
DELIVER_SEEK_INFO, channel_id, timestamp, tls_cert_hash}``, a ``SignatureHeader{creator}`` (no nonce)
and ``SeekInfo{start, stop = specified(2**64 - 1)}``, and it is signed over ``Hash(payload)``. With
mutual TLS the peer requires ``tls_cert_hash`` = SHA-256 of the client's TLS certificate. The peer checks
the envelope's timestamp against its clock (15 minutes by default), so a request signed offline must
be used soon. Blocks come as typed, immutable values.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from fabric_protos.common import common_pb2
from fabric_protos.ledger.rwset import rwset_pb2
from fabric_protos.ledger.rwset.kvrwset import kv_rwset_pb2
from fabric_protos.orderer import ab_pb2
from fabric_protos.peer import chaincode_event_pb2, events_pb2, proposal_pb2, proposal_response_pb2, transaction_pb2
from google.protobuf.message import DecodeError

from tradefin.gateway._flow import Context, Flow, Method, Signable, header_creator, serialize
from tradefin.gateway.chaincode_events import MAX_BLOCK_NUMBER, ChaincodeEvent, EventsRequestData, start_position
from tradefin.gateway.errors import BlockEventsError
from tradefin.gateway.status import ValidationCode, validation_code_name

if TYPE_CHECKING:
    from tradefin.gateway.checkpointers import Checkpoint

__all__ = [
    "BLOCKS",
    "BLOCKS_WITH_PRIVATE_DATA",
    "FILTERED_BLOCKS",
    "Block",
    "BlockAndPrivateData",
    "BlockEventsKind",
    "BlockEventsRequestBase",
    "BlockTransaction",
    "FilteredBlock",
    "FilteredTransaction",
    "PrivateMetadataWrite",
    "PrivateWrite",
    "block_events_request_data_from_bytes",
    "new_block_events_request_data",
]

E = TypeVar("E")

_TRANSACTIONS_FILTER = common_pb2.TRANSACTIONS_FILTER


@dataclass(frozen=True, slots=True)
class BlockTransaction:
    """One transaction envelope of a full block, with its validation code.

    Attributes:
        index: position in the block.
        transaction_id: the tx id (empty for config blocks).
        header_type: the channel header type (3 = endorser transaction, 1 = config).
        validation_code: the validation code the peer recorded.
        timestamp_ns: the creator's timestamp (nanoseconds since the epoch).
        envelope: the serialised ``common.Envelope``.
    """

    index: int
    transaction_id: str
    header_type: int
    validation_code: int
    timestamp_ns: int
    envelope: bytes

    @property
    def validation_code_name(self) -> str:
        """The validation code's name, e.g. ``VALID``."""
        return validation_code_name(self.validation_code)


@dataclass(frozen=True, slots=True)
class Block:
    """A full block.

    Attributes:
        number: the block number.
        previous_hash: hash of the previous block header.
        data_hash: hash of the block data.
        envelopes: the serialised transaction envelopes (``common.Envelope``), in block order.
        metadata: the block metadata entries (indexed by ``common.BlockMetadataIndex``).
    """

    number: int
    previous_hash: bytes
    data_hash: bytes
    envelopes: tuple[bytes, ...]
    metadata: tuple[bytes, ...]

    @property
    def validation_codes(self) -> bytes:
        """One validation code per envelope (the TRANSACTIONS_FILTER metadata)."""
        return self.metadata[_TRANSACTIONS_FILTER] if len(self.metadata) > _TRANSACTIONS_FILTER else b""

    def transactions(self) -> tuple[BlockTransaction, ...]:
        """Decode the envelopes' headers (computed on each call)."""
        codes = self.validation_codes
        decoded = []
        for index, envelope_bytes in enumerate(self.envelopes):
            envelope = common_pb2.Envelope.FromString(envelope_bytes)
            payload = common_pb2.Payload.FromString(envelope.payload)
            channel_header = common_pb2.ChannelHeader.FromString(payload.header.channel_header)
            decoded.append(
                BlockTransaction(
                    index=index,
                    transaction_id=channel_header.tx_id,
                    header_type=channel_header.type,
                    validation_code=codes[index] if index < len(codes) else ValidationCode.NOT_VALIDATED,
                    timestamp_ns=channel_header.timestamp.seconds * 1_000_000_000 + channel_header.timestamp.nanos,
                    envelope=envelope_bytes,
                )
            )
        return tuple(decoded)

    def chaincode_events(self, *, valid_only: bool = True) -> tuple[ChaincodeEvent, ...]:
        """The chaincode events of the block's transactions, in block order (a transaction emits at most
        one). By default only those of VALID transactions, as the gateway's chaincode event service
        gives them; ``valid_only=False`` includes the events of transactions committed invalid."""
        codes = self.validation_codes
        events = []
        for index, envelope_bytes in enumerate(self.envelopes):
            if valid_only and (index >= len(codes) or codes[index] != ValidationCode.VALID):
                continue
            event = _chaincode_event(self.number, envelope_bytes)
            if event is not None:
                events.append(event)
        return tuple(events)


@dataclass(frozen=True, slots=True)
class FilteredTransaction:
    """A transaction of a filtered block: id, type, validation code and chaincode events (no payloads).

    Attributes:
        transaction_id: the tx id.
        header_type: the channel header type (3 = endorser transaction).
        validation_code: the validation code the peer recorded.
        chaincode_events: the chaincode events, without payloads.
    """

    transaction_id: str
    header_type: int
    validation_code: int
    chaincode_events: tuple[ChaincodeEvent, ...]

    @property
    def validation_code_name(self) -> str:
        """The validation code's name, e.g. ``MVCC_READ_CONFLICT``."""
        return validation_code_name(self.validation_code)


@dataclass(frozen=True, slots=True)
class FilteredBlock:
    """A filtered block: what was committed, without transaction contents.

    Attributes:
        channel: the channel.
        number: the block number.
        transactions: its transactions.
    """

    channel: str
    number: int
    transactions: tuple[FilteredTransaction, ...]


@dataclass(frozen=True, slots=True)
class PrivateWrite:
    """One private data write of a transaction, as this peer holds it.

    Attributes:
        namespace: the chaincode (or ``_lifecycle``).
        collection: the private data collection.
        key: the key written.
        value: the value written (empty for a delete).
        is_delete: whether the write deletes the key.
    """

    namespace: str
    collection: str
    key: str
    value: bytes
    is_delete: bool


@dataclass(frozen=True, slots=True)
class PrivateMetadataWrite:
    """One write of a private key's metadata by a transaction, as this peer holds it: e.g. the key-level
    endorsement policy a chaincode set with ``SetPrivateDataValidationParameter``.

    Attributes:
        namespace: the chaincode.
        collection: the private data collection.
        key: the key whose metadata was written.
        entries: the metadata by name (Fabric's key-level endorsement policy is ``VALIDATION_PARAMETER``,
            a serialised ``common.SignaturePolicyEnvelope``); empty when the metadata was deleted.
    """

    namespace: str
    collection: str
    key: str
    entries: Mapping[str, bytes]


@dataclass(frozen=True, slots=True)
class BlockAndPrivateData:
    """A full block with the private data this peer holds for it.

    Attributes:
        block: the block.
        private_data: serialised ``rwset.TxPvtReadWriteSet`` by transaction index in the block.
    """

    block: Block
    private_data: Mapping[int, bytes]

    def private_writes(self, index: int) -> tuple[PrivateWrite, ...]:
        """The private writes of the transaction at ``index`` in the block that this peer holds (none if
        it holds no private data of that transaction). A private read-write set holds writes only: the
        transaction's reads of private data are hashed in its public read-write set."""
        return tuple(
            PrivateWrite(
                namespace=namespace,
                collection=collection,
                key=write.key,
                value=write.value,
                is_delete=write.is_delete,
            )
            for namespace, collection, rwset in self._private_rwsets(index)
            for write in rwset.writes
        )

    def private_metadata_writes(self, index: int) -> tuple[PrivateMetadataWrite, ...]:
        """The writes of private keys' metadata (key-level endorsement policies) by the transaction at
        ``index`` that this peer holds, in the order the transaction made them."""
        return tuple(
            PrivateMetadataWrite(
                namespace=namespace,
                collection=collection,
                key=write.key,
                entries={entry.name: entry.value for entry in write.entries},
            )
            for namespace, collection, rwset in self._private_rwsets(index)
            for write in rwset.metadata_writes
        )

    def _private_rwsets(self, index: int) -> list[tuple[str, str, kv_rwset_pb2.KVRWSet]]:
        rwset_bytes = self.private_data.get(index)
        if rwset_bytes is None:
            return []
        return [
            (namespace.namespace, collection.collection_name, kv_rwset_pb2.KVRWSet.FromString(collection.rwset))
            for namespace in rwset_pb2.TxPvtReadWriteSet.FromString(rwset_bytes).ns_pvt_rwset
            for collection in namespace.collection_pvt_rwset
        ]


def _chaincode_event(block_number: int, envelope_bytes: bytes) -> ChaincodeEvent | None:
    """The chaincode event of an endorser transaction envelope, if it emitted one."""
    try:
        payload = common_pb2.Payload.FromString(common_pb2.Envelope.FromString(envelope_bytes).payload)
        channel_header = common_pb2.ChannelHeader.FromString(payload.header.channel_header)
        if channel_header.type != common_pb2.ENDORSER_TRANSACTION:
            return None
        for action in transaction_pb2.Transaction.FromString(payload.data).actions:
            action_payload = transaction_pb2.ChaincodeActionPayload.FromString(action.payload)
            response_payload = proposal_response_pb2.ProposalResponsePayload.FromString(
                action_payload.action.proposal_response_payload
            )
            events = proposal_pb2.ChaincodeAction.FromString(response_payload.extension).events
            if events:
                event = chaincode_event_pb2.ChaincodeEvent.FromString(events)
                return ChaincodeEvent(
                    block_number=block_number,
                    transaction_id=event.tx_id or channel_header.tx_id,
                    chaincode_name=event.chaincode_id,
                    event_name=event.event_name,
                    payload=event.payload,
                )
    except DecodeError:  # not an endorser transaction this client can read: no event
        return None
    return None


def _block(message: common_pb2.Block) -> Block:
    return Block(
        number=message.header.number,
        previous_hash=message.header.previous_hash,
        data_hash=message.header.data_hash,
        envelopes=tuple(message.data.data),
        metadata=tuple(message.metadata.metadata),
    )


def _filtered_block(message: events_pb2.FilteredBlock) -> FilteredBlock:
    number = message.number
    transactions = tuple(
        FilteredTransaction(
            transaction_id=transaction.txid,
            header_type=transaction.type,
            validation_code=transaction.tx_validation_code,
            chaincode_events=tuple(
                ChaincodeEvent(
                    block_number=number,
                    transaction_id=action.chaincode_event.tx_id or transaction.txid,
                    chaincode_name=action.chaincode_event.chaincode_id,
                    event_name=action.chaincode_event.event_name,
                    payload=action.chaincode_event.payload,
                )
                for action in transaction.transaction_actions.chaincode_actions
                if action.HasField("chaincode_event")
            ),
        )
        for transaction in message.filtered_transactions
    )
    return FilteredBlock(channel=message.channel_id, number=number, transactions=transactions)


def _block_and_private_data(message: events_pb2.BlockAndPrivateData) -> BlockAndPrivateData:
    return BlockAndPrivateData(
        block=_block(message.block),
        private_data={index: rwset.SerializeToString() for index, rwset in message.private_data_map.items()},
    )


def _status_name(status: int) -> str:
    """The Deliver status's name; a number this client's protos do not know is named by its value."""
    try:
        name: str = common_pb2.Status.Name(status)
    except ValueError:
        return f"STATUS_{status}"
    return name


def _parser(field: str, convert: Callable[[object], E]) -> Callable[[bytes, str], E | None]:
    def parse(response: bytes, channel: str) -> E | None:
        message = events_pb2.DeliverResponse.FromString(response)
        which = message.WhichOneof("Type")
        if which == field:
            return convert(getattr(message, field))
        if which == "status":
            if message.status == common_pb2.SUCCESS:
                return None
            raise BlockEventsError(_status_name(message.status), channel)
        raise BlockEventsError(f"UNEXPECTED_RESPONSE_{which}", channel)

    return parse


@dataclass(frozen=True, slots=True)
class BlockEventsKind(Generic[E]):
    """Which Deliver service to call, and how to read its answers."""

    name: str
    method: str
    parse: Callable[[bytes, str], E | None]
    """Read one ``DeliverResponse``: the event, ``None`` at the normal end, or raise BlockEventsError."""


BLOCKS: BlockEventsKind[Block] = BlockEventsKind("blocks", Method.DELIVER, _parser("block", _block))
FILTERED_BLOCKS: BlockEventsKind[FilteredBlock] = BlockEventsKind(
    "filtered blocks", Method.DELIVER_FILTERED, _parser("filtered_block", _filtered_block)
)
BLOCKS_WITH_PRIVATE_DATA: BlockEventsKind[BlockAndPrivateData] = BlockEventsKind(
    "blocks with private data",
    Method.DELIVER_WITH_PRIVATE_DATA,
    _parser("block_and_private_data", _block_and_private_data),
)


def new_block_events_request_data(
    context: Context,
    channel: str,
    start_block: int | None = None,
    checkpoint: Checkpoint | None = None,
) -> EventsRequestData:
    """The seek-info envelope payload for block events on ``channel`` (until the largest block number)."""
    position, _ = start_position(start_block, checkpoint)
    now = time.time_ns()
    channel_header = common_pb2.ChannelHeader(
        type=common_pb2.DELIVER_SEEK_INFO,
        channel_id=channel,
        epoch=0,
        tls_cert_hash=context.tls_certificate_hash or b"",
    )
    channel_header.timestamp.seconds = now // 1_000_000_000
    channel_header.timestamp.nanos = now % 1_000_000_000
    seek_info = ab_pb2.SeekInfo(start=position)
    seek_info.stop.specified.number = MAX_BLOCK_NUMBER
    payload = common_pb2.Payload(
        header=common_pb2.Header(
            channel_header=channel_header.SerializeToString(),
            signature_header=common_pb2.SignatureHeader(creator=context.creator).SerializeToString(),
        ),
        data=seek_info.SerializeToString(),
    )
    return EventsRequestData(channel=channel, signed_part=serialize(payload))


def block_events_request_data_from_bytes(envelope: bytes) -> tuple[EventsRequestData, bytes, bytes]:
    """Rebuild a block events request from its ``common.Envelope`` bytes: its data, any signature, and
    the creator whose signature that is."""
    message = common_pb2.Envelope.FromString(envelope)
    header = common_pb2.Payload.FromString(message.payload).header
    channel = common_pb2.ChannelHeader.FromString(header.channel_header).channel_id
    return EventsRequestData(channel=channel, signed_part=message.payload), message.signature, header_creator(header)


class BlockEventsRequestBase(Signable[EventsRequestData], Generic[E]):
    """A signable request to stream block events of one kind (full, filtered, with private data)."""

    __slots__ = ("_kind",)

    def __init__(
        self,
        client: object,
        context: Context,
        data: EventsRequestData,
        signature: bytes | None = None,
        *,
        kind: BlockEventsKind[E],
    ) -> None:
        super().__init__(client, context, data, signature)
        self._kind = kind

    def _signed_message(self) -> bytes:
        return self._data.signed_part

    def _signed_request_flow(self) -> Flow[bytes]:
        signature = yield from self._sign()
        return serialize(common_pb2.Envelope(payload=self._data.signed_part, signature=signature))

    @property
    def bytes(self) -> bytes:
        """The request as ``common.Envelope`` bytes (for offline signing)."""
        return serialize(common_pb2.Envelope(payload=self._data.signed_part, signature=self._signature or b""))
