"""Endorsed transactions: the prepared envelope, its result, signing it and submitting it.

The gateway's Endorse answers with an *unsigned* envelope. The client signs ``Hash(envelope.payload)``
and submits ``Envelope{payload, signature}``. The chaincode's result is read from the envelope:
``Payload.data -> Transaction.actions[i].payload -> ChaincodeActionPayload.action.proposal_response_payload
-> ProposalResponsePayload.extension -> ChaincodeAction.response.payload``. For offline signing a
transaction travels as ``gateway.PreparedTransaction`` bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2
from fabric_protos.peer import proposal_pb2, proposal_response_pb2, transaction_pb2
from google.protobuf.message import DecodeError

from tradefin.gateway._flow import Flow, Method, Signable, header_creator, serialize, transaction_call
from tradefin.gateway.commit import CommitBase, CommitData, SubmittedTransactionBase, new_commit_data
from tradefin.gateway.errors import SigningError, SubmitError
from tradefin.gateway.options import ResubmitPolicy, Timeouts, call_deadline
from tradefin.gateway.resolution import Resolution, resolve_flow, submit_once
from tradefin.gateway.signers import check_offline_signature

__all__ = [
    "TransactionBase",
    "TransactionData",
    "result_from_payload",
    "transaction_data_from_bytes",
]

SubmittedT = TypeVar("SubmittedT", bound=SubmittedTransactionBase)
CommitT = TypeVar("CommitT", bound=CommitBase)


@dataclass(frozen=True, slots=True)
class TransactionData:
    """An endorsed transaction: the envelope payload to sign and submit, and the chaincode's result."""

    transaction_id: str
    channel: str
    payload: bytes
    result: bytes


def result_from_payload(payload: bytes) -> bytes:
    """The chaincode response payload inside a prepared envelope's payload (see the module doc)."""
    transaction = transaction_pb2.Transaction.FromString(common_pb2.Payload.FromString(payload).data)
    problems = []
    for action in transaction.actions:
        try:
            action_payload = transaction_pb2.ChaincodeActionPayload.FromString(action.payload)
            response_payload = proposal_response_pb2.ProposalResponsePayload.FromString(
                action_payload.action.proposal_response_payload
            )
            chaincode_action = proposal_pb2.ChaincodeAction.FromString(response_payload.extension)
        except DecodeError as error:  # a malformed action: try the next one
            problems.append(str(error))
            continue
        return bytes(chaincode_action.response.payload)
    raise ValueError(f"no chaincode response in the transaction envelope ({'; '.join(problems) or 'no actions'})")


def transaction_data_from_bytes(prepared_transaction: bytes) -> tuple[TransactionData, bytes, bytes]:
    """Rebuild a transaction from ``gateway.PreparedTransaction`` bytes: its data, any signature, and the
    creator whose signature that is."""
    message = gateway_pb2.PreparedTransaction.FromString(prepared_transaction)
    payload = message.envelope.payload
    header = common_pb2.Payload.FromString(payload).header
    channel_header = common_pb2.ChannelHeader.FromString(header.channel_header)
    data = TransactionData(
        transaction_id=message.transaction_id,
        channel=channel_header.channel_id,
        payload=payload,
        result=result_from_payload(payload),
    )
    return data, message.envelope.signature, header_creator(header)


class TransactionBase(Signable[TransactionData]):
    """An endorsed transaction, ready to be signed and submitted to the ordering service."""

    __slots__ = ()

    @property
    def transaction_id(self) -> str:
        """The transaction id."""
        return self._data.transaction_id

    @property
    def result(self) -> bytes:
        """What the chaincode returned when it was endorsed."""
        return self._data.result

    def _signed_message(self) -> bytes:
        return self._data.payload

    def _commit_data(self) -> CommitData:
        return new_commit_data(self._context, self._data.channel, self._data.transaction_id)

    def _submit_call(self, timeout: float | None) -> Flow[None]:
        """Sign (once) and send the envelope; the same bytes every time, so resubmits keep the tx id."""
        signature = yield from self._sign()
        data = self._data
        request = gateway_pb2.SubmitRequest(
            transaction_id=data.transaction_id,
            channel_id=data.channel,
            prepared_transaction=common_pb2.Envelope(payload=data.payload, signature=signature),
        ).SerializeToString()
        timeout = call_deadline(timeout, self._context.timeouts.submit)
        yield from transaction_call(Method.SUBMIT, request, timeout, SubmitError, data.transaction_id)

    def _signed_with(self, commit: CommitT) -> Flow[CommitT]:
        """Sign the envelope and, with a signer, its commit status request: done before any Submit,
        so that nothing is left to fail after the transaction has gone to the orderers."""
        yield from self._sign()
        if self._context.can_sign:
            yield from commit._sign()
        return commit

    def _submit_flow(self, submitted_class: type[SubmittedT], timeout: float | None) -> Flow[SubmittedT]:
        """Submit once; the submitted transaction's commit status request is ready beforehand."""
        submitted = submitted_class(self._client, self._context, self._commit_data(), transaction=self)
        yield from self._signed_with(submitted)
        yield from submit_once(self, timeout)
        return submitted

    def _resolve_flow(
        self, policy: ResubmitPolicy | None, timeouts: Timeouts | None, commit_signature: bytes | None = None
    ) -> Flow[Resolution]:
        """Submit and drive the transaction to a final answer (see ``resolution``); ``policy`` ``None``
        is one Submit and one CommitStatus call. Both signatures are made (or checked to be there)
        before the first Submit: the resolution must not fail for want of a signature once the envelope
        may be with the orderers."""
        commit = CommitBase(self._client, self._context, self._commit_data(), commit_signature)
        if commit_signature:
            check_offline_signature(self._context.identity, commit.digest, commit_signature)
        yield from self._sign()
        if commit.signature is None:
            if not self._context.can_sign:
                raise SigningError(
                    "resolve() needs the commit status request signed before the transaction is submitted and "
                    "this gateway has no signer: sign transaction.commit_digest offline and pass "
                    "commit_signature="
                )
            yield from commit._sign()
        return (yield from resolve_flow(self, commit, policy, submitted=False, timeouts=timeouts))

    @property
    def commit_digest(self) -> bytes:
        """The digest of this transaction's commit status request, known before it is submitted: sign it
        offline and give the signature to ``resolve(commit_signature=...)``."""
        return self._commit_request().digest

    @property
    def commit_bytes(self) -> bytes:
        """This transaction's unsigned commit status request (``gateway.SignedCommitStatusRequest`` bytes),
        for an offline signer that wants the message rather than the digest."""
        return self._commit_request().bytes

    def _commit_request(self) -> CommitBase:
        return CommitBase(self._client, self._context, self._commit_data())

    @property
    def bytes(self) -> bytes:
        """The transaction as ``gateway.PreparedTransaction`` bytes (for offline signing or storage)."""
        return serialize(
            gateway_pb2.PreparedTransaction(
                transaction_id=self._data.transaction_id,
                envelope=common_pb2.Envelope(payload=self._data.payload, signature=self._signature or b""),
            )
        )
