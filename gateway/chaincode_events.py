"""Chaincode events: the signed request, its start position, and the events the gateway streams.

``gateway.ChaincodeEventsRequest{channel_id, chaincode_id, identity, start_position,
after_transaction_id}`` is signed over ``Hash(request)``. The start position is ``next_commit``
(default) or ``specified{block}``; resuming from a checkpoint sends the checkpoint's block and its
last processed tx id, which the peer skips past. Only events of valid transactions arrive, in block
order. For offline signing a request travels as ``gateway.SignedChaincodeEventsRequest`` bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fabric_protos.gateway import gateway_pb2
from fabric_protos.orderer import ab_pb2

from tradefin.gateway._flow import Context, Flow, Signable, serialize

if TYPE_CHECKING:
    from tradefin.gateway.checkpointers import Checkpoint

__all__ = [
    "ChaincodeEvent",
    "ChaincodeEventsRequestBase",
    "EventsRequestData",
    "chaincode_events_from_response",
    "events_request_data_from_bytes",
    "new_chaincode_events_request_data",
    "start_position",
]

MAX_BLOCK_NUMBER = 2**64 - 1


@dataclass(frozen=True, slots=True)
class ChaincodeEvent:
    """An event a chaincode emitted in a transaction.

    From ``chaincode_events()`` the transaction committed valid (the gateway sends no other). In a
    filtered block the event sits in its ``FilteredTransaction``: check that transaction's
    ``validation_code`` before acting on it.

    Attributes:
        block_number: the block holding the transaction.
        transaction_id: the transaction that emitted the event.
        chaincode_name: the chaincode that emitted it.
        event_name: the event's name.
        payload: the event's payload (empty in filtered block events, which carry no payloads).
    """

    block_number: int
    transaction_id: str
    chaincode_name: str
    event_name: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class EventsRequestData:
    """A serialised, not yet signed, events request: what the signature covers, and its channel."""

    channel: str
    signed_part: bytes


def start_position(start_block: int | None, checkpoint: Checkpoint | None) -> tuple[ab_pb2.SeekPosition, str]:
    """The seek position and the tx id to skip past: checkpoint first, then start block, else next commit."""
    block, after = start_block, ""
    if checkpoint is not None:
        # our checkpointers give both parts in one read (another thread may be checkpointing)
        both = getattr(checkpoint, "position", None)
        saved, saved_tx = both if isinstance(both, tuple) else (checkpoint.block_number, checkpoint.transaction_id)
        # (0, no tx) is a zero state, not a position (as the official clients take it): block 0 holds
        # no events, and checkpointing it gives block 1
        if saved is not None and (saved or saved_tx):
            block, after = saved, saved_tx or ""
    position = ab_pb2.SeekPosition()
    if block is None:
        position.next_commit.SetInParent()
        return position, ""
    if not 0 <= block <= MAX_BLOCK_NUMBER:
        raise ValueError(f"a block number is between 0 and 2**64 - 1, got {block}")
    position.specified.number = block
    return position, after


def new_chaincode_events_request_data(
    context: Context,
    channel: str,
    chaincode: str,
    start_block: int | None = None,
    checkpoint: Checkpoint | None = None,
) -> EventsRequestData:
    """The chaincode events request for ``chaincode`` on ``channel``."""
    position, after = start_position(start_block, checkpoint)
    request = gateway_pb2.ChaincodeEventsRequest(
        channel_id=channel,
        chaincode_id=chaincode,
        identity=context.creator,
        start_position=position,
        after_transaction_id=after,
    )
    return EventsRequestData(channel=channel, signed_part=serialize(request))


def events_request_data_from_bytes(signed_request: bytes) -> tuple[EventsRequestData, bytes, bytes]:
    """Rebuild a request from ``gateway.SignedChaincodeEventsRequest`` bytes: its data, any signature, and
    the identity whose signature that is."""
    message = gateway_pb2.SignedChaincodeEventsRequest.FromString(signed_request)
    request = gateway_pb2.ChaincodeEventsRequest.FromString(message.request)
    data = EventsRequestData(channel=request.channel_id, signed_part=message.request)
    return data, message.signature, request.identity


def chaincode_events_from_response(response: bytes) -> list[ChaincodeEvent]:
    """The events of one ``gateway.ChaincodeEventsResponse`` (all from one block)."""
    message = gateway_pb2.ChaincodeEventsResponse.FromString(response)
    block_number = message.block_number
    return [
        ChaincodeEvent(
            block_number=block_number,
            transaction_id=event.tx_id,
            chaincode_name=event.chaincode_id,
            event_name=event.event_name,
            payload=event.payload,
        )
        for event in message.events
    ]


class ChaincodeEventsRequestBase(Signable[EventsRequestData]):
    """A signable request to stream a chaincode's events."""

    __slots__ = ()

    def _signed_message(self) -> bytes:
        return self._data.signed_part

    def _signed_request_flow(self) -> Flow[bytes]:
        signature = yield from self._sign()
        return serialize(gateway_pb2.SignedChaincodeEventsRequest(request=self._data.signed_part, signature=signature))

    @property
    def bytes(self) -> bytes:
        """The request as ``gateway.SignedChaincodeEventsRequest`` bytes (for offline signing)."""
        return serialize(
            gateway_pb2.SignedChaincodeEventsRequest(request=self._data.signed_part, signature=self._signature or b"")
        )
