"""Commit status: the signed ``CommitStatusRequest`` and the wait for a transaction's validation code.

The request is ``gateway.CommitStatusRequest{transaction_id, channel_id, identity = creator}``,
serialised once and signed over ``Hash(request)``; the peer checks the ``Gateway_CommitStatus`` ACL
against it. The call blocks until the transaction is committed (or the deadline passes). For offline
signing a commit travels as ``gateway.SignedCommitStatusRequest`` bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fabric_protos.gateway import gateway_pb2

from tradefin.gateway._flow import Context, Flow, Method, Signable, serialize, transaction_call
from tradefin.gateway.errors import CommitStatusError
from tradefin.gateway.options import ResubmitPolicy, Timeouts, call_deadline
from tradefin.gateway.resolution import Resolution, resolve_flow
from tradefin.gateway.signers import check_offline_signature
from tradefin.gateway.status import Status

if TYPE_CHECKING:
    from tradefin.gateway.transaction import TransactionBase

__all__ = ["CommitBase", "CommitData", "SubmittedTransactionBase", "commit_data_from_bytes", "new_commit_data"]


@dataclass(frozen=True, slots=True)
class CommitData:
    """A serialised, not yet signed, commit status request."""

    transaction_id: str
    channel: str
    request: bytes


def new_commit_data(context: Context, channel: str, transaction_id: str) -> CommitData:
    """The commit status request for a transaction id, asked with the gateway's identity."""
    request = gateway_pb2.CommitStatusRequest(
        transaction_id=transaction_id, channel_id=channel, identity=context.creator
    ).SerializeToString()
    return CommitData(transaction_id=transaction_id, channel=channel, request=request)


def commit_data_from_bytes(signed_request: bytes) -> tuple[CommitData, bytes, bytes]:
    """Rebuild a commit from ``gateway.SignedCommitStatusRequest`` bytes: its data, any signature, and the
    identity whose signature that is."""
    message = gateway_pb2.SignedCommitStatusRequest.FromString(signed_request)
    request = gateway_pb2.CommitStatusRequest.FromString(message.request)
    data = CommitData(transaction_id=request.transaction_id, channel=request.channel_id, request=message.request)
    return data, message.signature, request.identity


class CommitBase(Signable[CommitData]):
    """The commit status of one transaction, to be asked of the gateway peer."""

    __slots__ = ()

    @property
    def transaction_id(self) -> str:
        """The transaction id."""
        return self._data.transaction_id

    def _signed_message(self) -> bytes:
        return self._data.request

    def _status_flow(self, timeout: float | None) -> Flow[Status]:
        signature = yield from self._sign()
        request = gateway_pb2.SignedCommitStatusRequest(
            request=self._data.request, signature=signature
        ).SerializeToString()
        timeout = call_deadline(timeout, self._context.timeouts.commit_status)
        transaction_id = self._data.transaction_id
        reply = yield from transaction_call(Method.COMMIT_STATUS, request, timeout, CommitStatusError, transaction_id)
        response = gateway_pb2.CommitStatusResponse.FromString(reply)
        return Status(
            transaction_id=self._data.transaction_id, code=response.result, block_number=response.block_number
        )

    @property
    def bytes(self) -> bytes:
        """The request as ``gateway.SignedCommitStatusRequest`` bytes (for offline signing or storage)."""
        return serialize(
            gateway_pb2.SignedCommitStatusRequest(request=self._data.request, signature=self._signature or b"")
        )


class SubmittedTransactionBase(CommitBase):
    """A transaction handed to the orderers: its result now, its commit status later.

    It keeps the signed transaction so that the resubmit path can send the very same envelope again.
    """

    __slots__ = ("_transaction",)

    def __init__(
        self,
        client: object,
        context: Context,
        data: CommitData,
        signature: bytes | None = None,
        *,
        transaction: TransactionBase,
    ) -> None:
        super().__init__(client, context, data, signature)
        self._transaction = transaction

    @property
    def result(self) -> bytes:
        """What the chaincode returned when the transaction was endorsed."""
        return self._transaction.result

    def _resolve_flow(
        self, policy: ResubmitPolicy | None, timeouts: Timeouts | None, commit_signature: bytes | None = None
    ) -> Flow[Resolution]:
        """Drive the submitted transaction to a final answer (see ``resolution``); ``commit_signature``
        is this commit status request's signature made offline (when the gateway has no signer)."""
        commit: CommitBase = self
        if commit_signature and self._signature is None:  # a signed copy: this object stays as it is
            check_offline_signature(self._context.identity, self.digest, commit_signature)
            commit = CommitBase(self._client, self._context, self._data, commit_signature)
        return (yield from resolve_flow(self._transaction, commit, policy, submitted=True, timeouts=timeouts))
