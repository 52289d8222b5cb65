"""Errors of the gateway client.

``GatewayError`` is a failed gRPC call: it has the gRPC code and the per-peer details that the
gateway attaches (``grpc-status-details-bin``: a ``google.rpc.Status`` holding ``gateway.ErrorDetail``
messages, one per endorser or orderer that failed). The transaction steps refine it and keep the
transaction id: :class:`EvaluateError`, :class:`EndorseError`, :class:`SubmitError`,
:class:`CommitStatusError`. :class:`CommitError` is different: every call succeeded but the
transaction committed with an invalid validation code (e.g. ``MVCC_READ_CONFLICT``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any, ClassVar, Self

from fabric_protos.gateway import gateway_pb2
from google.protobuf.message import DecodeError
from google.rpc import status_pb2

from tradefin.gateway.status import Status

if TYPE_CHECKING:
    from tradefin.gateway.resolution import Resolution

__all__ = [
    "BlockEventsError",
    "CommitError",
    "CommitStatusError",
    "EndorseError",
    "ErrorDetail",
    "EvaluateError",
    "GatewayError",
    "GrpcCode",
    "SigningError",
    "SubmitError",
    "TransactionError",
    "TransactionInDoubtError",
    "details_from_status_bytes",
]

_ERROR_DETAIL_TYPE = "type.googleapis.com/gateway.ErrorDetail"


class GrpcCode(IntEnum):
    """gRPC status codes (the numbers are the wire values)."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    """What one endorser or orderer answered when the gateway called it.

    Attributes:
        address: the node's address, e.g. ``peer0.bank2.example.com:9051``.
        msp_id: the node's organisation.
        message: the node's error message (for a chaincode error, the chaincode's message).
    """

    address: str
    msp_id: str
    message: str


def details_from_status_bytes(status_bytes: bytes) -> tuple[ErrorDetail, ...]:
    """Decode the ``grpc-status-details-bin`` trailer into the gateway's per-node error details.

    Details of other types are skipped; undecodable trailers give no details rather than an error.
    """
    try:
        status = status_pb2.Status.FromString(status_bytes)
    except DecodeError:
        return ()
    details = []
    for any_detail in status.details:
        if any_detail.type_url != _ERROR_DETAIL_TYPE:
            continue
        try:
            detail = gateway_pb2.ErrorDetail.FromString(any_detail.value)
        except DecodeError:  # skip an undecodable detail, keep the others
            continue
        details.append(ErrorDetail(address=detail.address, msp_id=detail.msp_id, message=detail.message))
    return tuple(details)


def _restore(cls: type[Exception], args: tuple[Any, ...], state: dict[str, Any]) -> Exception:
    """Rebuild a pickled error (their constructors take typed arguments, not the message), e.g. when a
    worker process of a pool raises one."""
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


def _describe(prefix: str, code: GrpcCode, message: str, details: Iterable[ErrorDetail]) -> str:
    lines = [f"{prefix}{code.name}: {message}"]
    for detail in details:
        lines.append(f"  - {detail.address} ({detail.msp_id}): {detail.message}")
    return "\n".join(lines)


class GatewayError(Exception):
    """A gRPC call to the gateway peer failed.

    Attributes:
        code: the gRPC status code.
        message: the gateway's error message.
        details: what each endorser or orderer involved answered, when the gateway said.
    """

    _prefix = ""

    def __init__(self, code: GrpcCode, message: str, details: Iterable[ErrorDetail] = ()) -> None:
        self.code = code
        self.message = message
        self.details = tuple(details)
        super().__init__(_describe(self._prefix, code, message, self.details))

    def __reduce__(self) -> tuple[Any, ...]:
        return _restore, (type(self), self.args, self.__dict__.copy())


class TransactionError(GatewayError):
    """A gRPC call about one transaction failed.

    Attributes:
        transaction_id: the transaction's id.
    """

    def __init__(
        self, code: GrpcCode, message: str, details: Iterable[ErrorDetail] = (), *, transaction_id: str
    ) -> None:
        self.transaction_id = transaction_id
        self._prefix = f"{self._step} of transaction {transaction_id} failed: "
        super().__init__(code, message, details)

    _step = "call"

    @classmethod
    def from_gateway_error(cls, error: GatewayError, transaction_id: str) -> Self:
        """The same failure, attributed to a transaction step."""
        refined = cls(error.code, error.message, error.details, transaction_id=transaction_id)
        refined.__cause__ = error.__cause__
        return refined


class EvaluateError(TransactionError):
    """Evaluating a transaction (a query on one peer) failed."""

    _step = "evaluate"


class EndorseError(TransactionError):
    """Collecting endorsements failed (e.g. the chaincode rejected the call, or no peers available)."""

    _step = "endorse"


class SubmitError(TransactionError):
    """Sending the endorsed transaction to the ordering service failed."""

    _step = "submit"


class CommitStatusError(TransactionError):
    """Asking for the commit status failed: the transaction's fate is not known (it may still commit)."""

    _step = "commit status"


class TransactionInDoubtError(CommitStatusError):
    """The resubmit path ran out of attempts: the transaction may or may not have committed.

    Attributes:
        resolution: what was tried (submit attempts, the last error).
    """

    _step = "resolution"

    def __init__(
        self,
        code: GrpcCode,
        message: str,
        details: Iterable[ErrorDetail] = (),
        *,
        transaction_id: str,
        resolution: Resolution,
    ) -> None:
        self.resolution = resolution
        super().__init__(code, message, details, transaction_id=transaction_id)


class BlockEventsError(GatewayError):
    """The peer's Deliver service ended a block event stream with a non-success status.

    Attributes:
        deliver_status: the ``common.Status`` name the peer sent, e.g. ``FORBIDDEN`` or ``NOT_FOUND``.
    """

    _STATUS_CODES: ClassVar[dict[str, GrpcCode]] = {
        "BAD_REQUEST": GrpcCode.INVALID_ARGUMENT,
        "FORBIDDEN": GrpcCode.PERMISSION_DENIED,
        "NOT_FOUND": GrpcCode.NOT_FOUND,
        "SERVICE_UNAVAILABLE": GrpcCode.UNAVAILABLE,
        "REQUEST_ENTITY_TOO_LARGE": GrpcCode.RESOURCE_EXHAUSTED,
        "NOT_IMPLEMENTED": GrpcCode.UNIMPLEMENTED,
        "INTERNAL_SERVER_ERROR": GrpcCode.INTERNAL,
    }

    def __init__(self, deliver_status: str, channel: str) -> None:
        self.deliver_status = deliver_status
        code = self._STATUS_CODES.get(deliver_status, GrpcCode.UNKNOWN)
        super().__init__(code, f"block events on channel {channel!r} ended with status {deliver_status}")


class CommitError(Exception):
    """The transaction was ordered and committed, but the peers marked it invalid: its writes were discarded.

    Attributes:
        status: the commit status (validation code and block number).
        transaction_id: the transaction id.
        code: the validation code number, e.g. 11.
        code_name: the validation code name, e.g. ``MVCC_READ_CONFLICT``.
    """

    def __init__(self, status: Status) -> None:
        self.status = status
        self.transaction_id = status.transaction_id
        self.code = status.code
        self.code_name = status.code_name
        super().__init__(
            f"transaction {status.transaction_id} failed to commit with status code "
            f"{status.code} ({status.code_name}) in block {status.block_number}"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return _restore, (type(self), self.args, self.__dict__.copy())


class SigningError(Exception):
    """A signature was needed but the gateway has no signer (offline signing: sign ``object.digest``
    elsewhere and rebuild the object with ``gateway.new_signed_...()``). A signer's own failure is
    raised as the signer raised it."""

    def __init__(
        self, message: str = "this gateway has no signer: sign offline (object.digest) and use gateway.new_signed_...()"
    ) -> None:
        super().__init__(message)
