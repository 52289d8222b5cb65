"""The signed proposal behind a transaction, decoded lazily and at most once per transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from types import MappingProxyType
from typing import Any

from fabric_protos.common import common_pb2
from fabric_protos.peer import proposal_pb2
from google.protobuf.message import DecodeError

from tradefin.chaincode.shim.errors import ProtocolError

__all__ = ["SignedProposal", "TransactionProposal"]

_ACCEPTED_HEADER_TYPES = frozenset({common_pb2.ENDORSER_TRANSACTION, common_pb2.CONFIG})


@dataclass(frozen=True, slots=True)
class SignedProposal:
    """The proposal bytes exactly as the client signed them, and the client's signature."""

    proposal_bytes: bytes
    signature: bytes


def _decode(message_type: Any, data: bytes, what: str) -> Any:
    try:
        return message_type.FromString(data)
    except DecodeError as exc:
        raise ProtocolError(f"cannot decode the proposal's {what}") from exc


class TransactionProposal:
    """Creator, timestamp, transient data and binding of one proposal; each part decoded on first use."""

    def __init__(self, signed_proposal: Any) -> None:
        self._signed = signed_proposal

    @cached_property
    def signed_proposal(self) -> SignedProposal:
        """The signed proposal as sent by the client."""
        return SignedProposal(self._signed.proposal_bytes, self._signed.signature)

    @cached_property
    def _proposal(self) -> Any:
        proposal = _decode(proposal_pb2.Proposal, self._signed.proposal_bytes, "proposal")
        if not proposal.header:
            raise ProtocolError("proposal has no header")
        return proposal

    @cached_property
    def _header(self) -> Any:
        return _decode(common_pb2.Header, self._proposal.header, "header")

    @cached_property
    def _channel_header(self) -> Any:
        channel_header = _decode(common_pb2.ChannelHeader, self._header.channel_header, "channel header")
        if channel_header.type not in _ACCEPTED_HEADER_TYPES:
            raise ProtocolError(f"unexpected channel header type {channel_header.type}")
        return channel_header

    @cached_property
    def _signature_header(self) -> Any:
        return _decode(common_pb2.SignatureHeader, self._header.signature_header, "signature header")

    @cached_property
    def creator(self) -> bytes:
        """The serialized ``msp.SerializedIdentity`` of the client that signed the proposal."""
        creator: bytes = self._signature_header.creator
        return creator

    @cached_property
    def timestamp(self) -> datetime:
        """The client's timestamp from the ChannelHeader (UTC, microsecond precision)."""
        stamp = self._channel_header.timestamp
        return datetime.fromtimestamp(stamp.seconds, UTC).replace(microsecond=stamp.nanos // 1000)

    @cached_property
    def timestamp_nanos(self) -> int:
        """The same timestamp as integer nanoseconds since the Unix epoch (no precision lost)."""
        stamp = self._channel_header.timestamp
        return int(stamp.seconds) * 1_000_000_000 + int(stamp.nanos)

    @cached_property
    def transient(self) -> Mapping[str, bytes]:
        """The proposal's transient map (never written to the ledger)."""
        payload = _decode(proposal_pb2.ChaincodeProposalPayload, self._proposal.payload, "payload")
        return MappingProxyType(dict(payload.TransientMap))

    @cached_property
    def binding(self) -> bytes:
        """SHA-256(nonce || creator || epoch as 8 little-endian bytes), as Fabric computes it."""
        epoch = int(self._channel_header.epoch).to_bytes(8, "little")
        return hashlib.sha256(self._signature_header.nonce + self.creator + epoch).digest()
