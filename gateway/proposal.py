"""Proposals: building, serialising and signing a transaction proposal; evaluate and endorse steps.

A proposal is ``peer.Proposal{header, payload}`` where the header carries the channel header
(ENDORSER_TRANSACTION, timestamp, channel, tx id, chaincode extension) and the signature header
(creator, 24-byte nonce), and the payload the chaincode invocation (``[txName, args...]``) plus the
transient data. The tx id is ``hex(SHA-256(nonce + creator))`` whatever signing hash is in use.
The signature covers ``Hash(proposal_bytes)``. For offline signing a proposal travels as
``gateway.ProposedTransaction`` bytes.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2
from fabric_protos.peer import chaincode_pb2, proposal_pb2

from tradefin.gateway._flow import Context, Flow, Method, Signable, header_creator, serialize, transaction_call
from tradefin.gateway.errors import EndorseError, EvaluateError
from tradefin.gateway.options import call_deadline
from tradefin.gateway.transaction import TransactionBase, TransactionData, result_from_payload

__all__ = [
    "Argument",
    "ProposalBase",
    "ProposalData",
    "new_proposal_data",
    "new_transaction_context",
    "proposal_data_from_bytes",
]

Argument = str | bytes
"""A chaincode argument: text (sent UTF-8 encoded) or bytes."""

NONCE_LENGTH = 24

TransactionT = TypeVar("TransactionT", bound=TransactionBase)


@dataclass(frozen=True, slots=True)
class ProposalData:
    """The serialised, not yet signed, content of a proposal."""

    transaction_id: str
    channel: str
    proposal_bytes: bytes
    endorsing_orgs: tuple[str, ...] = ()


def new_transaction_context(creator: bytes) -> tuple[bytes, str]:
    """A fresh nonce and the tx id it yields: ``hex(SHA-256(nonce + creator))``."""
    nonce = os.urandom(NONCE_LENGTH)
    return nonce, hashlib.sha256(nonce + creator).hexdigest()


def _encode(argument: Argument) -> bytes:
    if isinstance(argument, str):
        return argument.encode()
    if isinstance(argument, bytes | bytearray | memoryview):
        return bytes(argument)
    raise TypeError(f"a chaincode argument is str or bytes, not {type(argument).__name__}")


def new_proposal_data(
    context: Context,
    channel: str,
    chaincode: str,
    transaction_name: str,
    args: Sequence[Argument] = (),
    transient: Mapping[str, bytes] | None = None,
    endorsing_orgs: Sequence[str] = (),
) -> ProposalData:
    """Build a proposal for ``transaction_name`` (already qualified ``contract:fn`` if needed)."""
    if isinstance(args, str | bytes):
        raise TypeError("args is a sequence of arguments, not a single str or bytes")
    nonce, transaction_id = new_transaction_context(context.creator)
    now = time.time_ns()
    channel_header = common_pb2.ChannelHeader(
        type=common_pb2.ENDORSER_TRANSACTION,
        channel_id=channel,
        tx_id=transaction_id,
        epoch=0,
        extension=proposal_pb2.ChaincodeHeaderExtension(
            chaincode_id=chaincode_pb2.ChaincodeID(name=chaincode)
        ).SerializeToString(),
    )
    channel_header.timestamp.seconds = now // 1_000_000_000
    channel_header.timestamp.nanos = now % 1_000_000_000
    header = common_pb2.Header(
        channel_header=channel_header.SerializeToString(),
        signature_header=common_pb2.SignatureHeader(creator=context.creator, nonce=nonce).SerializeToString(),
    )
    invocation = chaincode_pb2.ChaincodeInvocationSpec(
        chaincode_spec=chaincode_pb2.ChaincodeSpec(
            chaincode_id=chaincode_pb2.ChaincodeID(name=chaincode),
            input=chaincode_pb2.ChaincodeInput(args=[transaction_name.encode(), *map(_encode, args)]),
        )
    )
    payload = proposal_pb2.ChaincodeProposalPayload(input=invocation.SerializeToString())
    if transient:
        for key, value in transient.items():
            payload.TransientMap[key] = _encode(value)
    proposal = proposal_pb2.Proposal(header=header.SerializeToString(), payload=payload.SerializeToString())
    return ProposalData(
        transaction_id=transaction_id,
        channel=channel,
        proposal_bytes=proposal.SerializeToString(),
        endorsing_orgs=tuple(endorsing_orgs),
    )


def proposal_data_from_bytes(proposed_transaction: bytes) -> tuple[ProposalData, bytes, bytes]:
    """Rebuild a proposal from ``gateway.ProposedTransaction`` bytes: its data, any signature in them,
    and the creator whose signature that is."""
    message = gateway_pb2.ProposedTransaction.FromString(proposed_transaction)
    proposal = proposal_pb2.Proposal.FromString(message.proposal.proposal_bytes)
    header = common_pb2.Header.FromString(proposal.header)
    channel_header = common_pb2.ChannelHeader.FromString(header.channel_header)
    data = ProposalData(
        transaction_id=message.transaction_id,
        channel=channel_header.channel_id,
        proposal_bytes=message.proposal.proposal_bytes,
        endorsing_orgs=tuple(message.endorsing_organizations),
    )
    return data, message.proposal.signature, header_creator(header)


class ProposalBase(Signable[ProposalData]):
    """A transaction proposal: evaluate it (query) or endorse it (first step of a submit)."""

    __slots__ = ()

    @property
    def transaction_id(self) -> str:
        """The transaction id (hex SHA-256 of nonce and creator)."""
        return self._data.transaction_id

    @property
    def endorsing_orgs(self) -> tuple[str, ...]:
        """The MSP ids asked to endorse (or to evaluate), empty to let the gateway choose."""
        return self._data.endorsing_orgs

    def _signed_message(self) -> bytes:
        return self._data.proposal_bytes

    def _signed_proposal(self, signature: bytes) -> proposal_pb2.SignedProposal:
        return proposal_pb2.SignedProposal(proposal_bytes=self._data.proposal_bytes, signature=signature)

    def _evaluate_flow(self, timeout: float | None) -> Flow[bytes]:
        signature = yield from self._sign()
        data = self._data
        request = gateway_pb2.EvaluateRequest(
            transaction_id=data.transaction_id,
            channel_id=data.channel,
            proposed_transaction=self._signed_proposal(signature),
            target_organizations=data.endorsing_orgs,
        ).SerializeToString()
        timeout = call_deadline(timeout, self._context.timeouts.evaluate)
        reply = yield from transaction_call(Method.EVALUATE, request, timeout, EvaluateError, data.transaction_id)
        return bytes(gateway_pb2.EvaluateResponse.FromString(reply).result.payload)

    def _endorse_flow(self, transaction_class: type[TransactionT], timeout: float | None) -> Flow[TransactionT]:
        signature = yield from self._sign()
        data = self._data
        request = gateway_pb2.EndorseRequest(
            transaction_id=data.transaction_id,
            channel_id=data.channel,
            proposed_transaction=self._signed_proposal(signature),
            endorsing_organizations=data.endorsing_orgs,
        ).SerializeToString()
        timeout = call_deadline(timeout, self._context.timeouts.endorse)
        reply = yield from transaction_call(Method.ENDORSE, request, timeout, EndorseError, data.transaction_id)
        payload = gateway_pb2.EndorseResponse.FromString(reply).prepared_transaction.payload
        prepared = TransactionData(
            transaction_id=data.transaction_id,
            channel=data.channel,
            payload=payload,
            result=result_from_payload(payload),
        )
        return transaction_class(self._client, self._context, prepared)

    @property
    def bytes(self) -> bytes:
        """The proposal as ``gateway.ProposedTransaction`` bytes (for offline signing or storage)."""
        return serialize(
            gateway_pb2.ProposedTransaction(
                transaction_id=self._data.transaction_id,
                proposal=proposal_pb2.SignedProposal(
                    proposal_bytes=self._data.proposal_bytes, signature=self._signature or b""
                ),
                endorsing_organizations=self._data.endorsing_orgs,
            )
        )
