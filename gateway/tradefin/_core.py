"""The sans-IO core of the typed clients: an operation is a generator that yields gateway steps.

An operation (``LettersOfCreditFlows.issue``, ...) checks its arguments, builds the request message
and yields :class:`Query` (an evaluate: transaction name, serialized request, target organisations)
or :class:`Transact` (a submit: transaction name, transient map, endorsing organisations). The front
end performs the step with the gateway and sends back the result bytes (for a query) or a
:class:`Receipt` (for a committed transaction); a chaincode refusal is thrown into the operation as
the typed :class:`~.errors.TradeFinanceError`. The operation parses the answer into typed records.
With a :class:`Session`, an operation first yields :class:`AwaitCommit` so that its bank's peer has
committed what the session's other clients wrote (read your writes across banks).

So each operation is written once; the blocking and the asyncio clients are thin drivers
(``_drivers``), and a new domain (payments, compliance) adds a flows class and two one-line twins
per operation.
"""

from __future__ import annotations

import datetime
import secrets
import threading
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Generic, ParamSpec, TypeVar

from google.protobuf.message import DecodeError, Message
from google.protobuf.timestamp_pb2 import Timestamp

from tradefin.chaincode.contracts.letters_of_credit.errors import LcRuleError
from tradefin.chaincode.contracts.letters_of_credit.records import SALT_BYTES
from tradefin.gateway.errors import GrpcCode
from tradefin.protos import compliance_pb2

from .errors import InvalidInputError, TradeFinanceError, error_class

if TYPE_CHECKING:
    from google.protobuf.internal.enum_type_wrapper import _EnumTypeWrapper

__all__ = [
    "LAGGING_PEER_PAUSES",
    "REQUEST_FIELD",
    "SALT_BYTES",
    "AwaitCommit",
    "ClientSettings",
    "Committed",
    "Flow",
    "FlowsBase",
    "Query",
    "Receipt",
    "Session",
    "Step",
    "Transact",
    "endorsers_disagree",
    "enum_value",
    "gateway_lost_peers",
    "salt_or_new",
    "timestamp",
]

T = TypeVar("T")
EnumT = TypeVar("EnumT", bound=int)
P = ParamSpec("P")
MessageT = TypeVar("MessageT", bound=Message)

#: Transient-map field that carries a submit's request (the contracts' calling convention).
REQUEST_FIELD: Final = "request"


@dataclass(frozen=True, slots=True)
class Query:
    """Step: evaluate ``transaction`` with the serialized request as its single argument."""

    transaction: str
    argument: bytes
    target_orgs: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class Transact:
    """Step: endorse (by ``endorsing_orgs``, or by the gateway's choice when ``None``), submit, and wait
    for the commit; the request travels in the transient map only."""

    transaction: str
    transient: Mapping[str, bytes]
    endorsing_orgs: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class AwaitCommit:
    """Step: wait until the client's own peer has committed ``transaction_id`` (valid or not)."""

    transaction_id: str


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the front end sends back for a :class:`Transact`: committed VALID, where, and the answer."""

    transaction_id: str
    block_number: int
    result: bytes


Step = Query | Transact | AwaitCommit
Flow = Generator[Step, bytes | Receipt, T]

#: Pauses (seconds) before endorsing again when the credit's banks' peers answered differently: one of
#: them has not committed the latest block yet. A refusal every peer agrees on is never retried.
LAGGING_PEER_PAUSES: Final = (0.05, 0.1, 0.2, 0.4, 0.8)


def endorsers_disagree(
    details: Iterable[tuple[str, str]], endorsing_orgs: tuple[str, ...] | None, local_msp_id: str
) -> bool:
    """Whether the endorsers of a failed endorsement answered differently (``details``: the failing
    peers' MSP ids and messages): some endorsed while others refused, or their results differ. That is
    a peer behind the others' ledger height, not a refusal by the rules. Without pinned organisations
    the gateway endorses on its own organisation first and goes on only if that succeeded."""
    failures = list(details)
    if any("ProposalResponsePayloads do not match" in message for _, message in failures):
        return True
    refused_by = {msp_id for msp_id, _ in failures}
    if not refused_by:
        return False
    if endorsing_orgs:
        return refused_by < set(endorsing_orgs)
    return local_msp_id not in refused_by


#: What Fabric's gateway answers when its registry holds no peer of a requested organisation.
_NO_ENDORSING_PEERS: Final = "failed to find any endorsing peers for org(s)"


def gateway_lost_peers(code: int, message: str, details: Sequence[object]) -> bool:
    """Whether an endorsement failed before any peer was asked because the gateway had no peer of a
    pinned organisation at hand (UNAVAILABLE, no per-peer details). Fabric's gateway drops a peer from
    its registry when a call to it fails and connects again on a later request, and learns of peers
    through gossip: a moment later the same request finds it. Nothing was endorsed, so endorsing
    again is safe."""
    return code == GrpcCode.UNAVAILABLE and not details and _NO_ENDORSING_PEERS in message


class Session:
    """What the clients of one application share (say, the desks of both banks in a test, a demo or a
    batch job).

    * Read your writes across banks: before an operation, a client waits until its own bank's peer has
      committed the latest transaction any client of the session committed. Peers of different banks
      commit a block a few milliseconds apart, so without it the next bank may act on the state before
      that block. Costs one commit-status call when the last writer was another bank.
    * What the clients learned about records' endorsing organisations (a credit's banks), so that only
      the first client to meet a record looks them up.

    Thread-safe.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # per channel: the latest transaction a client of the session committed there, and the banks
        # whose peers have it (a transaction of one channel is never asked after on another)
        self._latest: dict[str, tuple[str, set[str]]] = {}
        self.endorsers: dict[str, tuple[str, ...]] = {}
        """Record id (e.g. a credit's) -> the MSP ids that must endorse its transitions."""
        self.parents: dict[str, str] = {}
        """Record id (e.g. a presentation's) -> the record whose endorsers apply (its credit)."""

    def committed(self, transaction_id: str, msp_id: str, channel: str = "") -> None:
        """A client of ``msp_id`` saw ``transaction_id`` committed on its peer, on ``channel``."""
        with self._lock:
            latest = self._latest.get(channel)
            if latest is None or latest[0] != transaction_id:
                latest = self._latest[channel] = (transaction_id, set())
            latest[1].add(msp_id)

    def pending(self, msp_id: str, channel: str = "") -> str | None:
        """The transaction of ``channel`` the peer of ``msp_id`` must have committed first, if it may not have."""
        with self._lock:
            latest = self._latest.get(channel)
            return None if latest is None or msp_id in latest[1] else latest[0]

    def seen(self, transaction_id: str, msp_id: str, channel: str = "") -> None:
        """The peer of ``msp_id`` has committed ``transaction_id`` (no-op if a newer one came since)."""
        with self._lock:
            latest = self._latest.get(channel)
            if latest is not None and latest[0] == transaction_id:
                latest[1].add(msp_id)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Per channel, the latest transaction committed and the MSP ids whose peers have it: what
        :meth:`restore` takes, e.g. to carry read-your-writes from one process to the next."""
        with self._lock:
            return {
                channel: {"transaction_id": transaction_id, "msp_ids": sorted(msp_ids)}
                for channel, (transaction_id, msp_ids) in self._latest.items()
            }

    def restore(self, snapshot: Mapping[str, Any]) -> None:
        """Take up a :meth:`snapshot` for the channels this session has seen nothing of yet (entries that
        are not a snapshot's are ignored)."""
        with self._lock:
            for channel, entry in snapshot.items():
                if channel in self._latest or not isinstance(entry, Mapping):
                    continue
                transaction_id, msp_ids = entry.get("transaction_id"), entry.get("msp_ids")
                if (
                    isinstance(channel, str)
                    and isinstance(transaction_id, str)
                    and isinstance(msp_ids, list)
                    and all(isinstance(msp_id, str) for msp_id in msp_ids)
                ):
                    self._latest[channel] = (transaction_id, set(msp_ids))


@dataclass(frozen=True, slots=True)
class Committed(Generic[T]):
    """A transaction committed VALID: the public record it wrote (as the chaincode answered), its
    transaction id and the block that holds it.

    Attributes:
        record: the public record the transaction wrote, e.g. the credit's stub after ``issue``.
        transaction_id: the transaction id.
        block_number: the block the transaction was committed in.
    """

    record: T
    transaction_id: str
    block_number: int


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """What every operation needs to know about the client (no I/O).

    Attributes:
        msp_id: the caller's organisation; queries are answered by its own peers (read your writes).
        validate: run the early checks before sending (the chaincode checks everything anyway).
        pin_endorsers: endorse submits by exactly the organisations the ledger requires (the record's
            banks), instead of the gateway's discovery from the channel's policy.
        session: shared with other clients for read-your-writes across banks (see :class:`Session`).
        channel: the channel the client works on (the session keeps each channel's latest transaction).
    """

    msp_id: str
    validate: bool = True
    pin_endorsers: bool = True
    session: Session | None = None
    channel: str = ""


def parse(message_type: type[MessageT], payload: bytes, transaction: str) -> MessageT:
    """Decode a chaincode answer; an undecodable answer means the chaincode is not the expected one."""
    try:
        return message_type.FromString(payload)
    except DecodeError:
        raise ValueError(
            f"{transaction} answered something that is not a {message_type.DESCRIPTOR.full_name}"
        ) from None


@dataclass(frozen=True, slots=True)
class StubVersion(Generic[MessageT]):
    """One committed version of a public record (a credit's, a presentation's or a payment's stub): the
    transaction that wrote it, that transaction's timestamp (set by the client that proposed it, within
    the endorsers' allowed clock skew; UTC), and the record as it wrote it."""

    tx_id: str
    timestamp: datetime.datetime
    stub: MessageT


def stub_versions(
    entries: Iterable[compliance_pb2.AuditEntry], stub_type: type[MessageT]
) -> list[StubVersion[MessageT]]:
    """The versions of a public record from its audit trail, in the trail's order (newest first).

    Raises:
        ValueError: an entry is a deletion (the contracts delete no stub) or not a ``stub_type``.
    """
    versions = []
    for entry in entries:
        if entry.is_delete:
            raise ValueError(f"GetAuditTrail answered a deletion by {entry.tx_id}: the contracts delete no stub")
        stub = parse(stub_type, entry.record, "GetAuditTrail")
        versions.append(StubVersion(entry.tx_id, entry.timestamp.ToDatetime(datetime.UTC), stub))
    return versions


class FlowsBase:
    """Base of a domain's operations: querying, transacting and the early checks.

    Subclasses define one generator method per operation of their contract.
    """

    def __init__(self, settings: ClientSettings) -> None:
        self.settings = settings

    def _catch_up(self) -> Flow[None]:
        """With a session: wait until this bank's peer has what the session's clients committed."""
        session, msp_id, channel = self.settings.session, self.settings.msp_id, self.settings.channel
        pending = session.pending(msp_id, channel) if session is not None else None
        if session is not None and pending is not None:
            yield AwaitCommit(pending)
            session.seen(pending, msp_id, channel)

    def _query(self, transaction: str, request: Message, answer: type[MessageT]) -> Flow[MessageT]:
        """Evaluate on the caller's own organisation and decode the answer."""
        yield from self._catch_up()
        reply = yield Query(transaction, request.SerializeToString(deterministic=True), (self.settings.msp_id,))
        if not isinstance(reply, bytes):
            raise TypeError(f"a query step expects bytes back, got {type(reply).__name__}")
        return parse(answer, reply, transaction)

    def _transact(
        self, transaction: str, request: Message, answer: type[MessageT], endorsing_orgs: tuple[str, ...] | None
    ) -> Flow[tuple[Receipt, MessageT]]:
        """Submit with the request in the transient map; the receipt and the decoded answer."""
        transient = {REQUEST_FIELD: request.SerializeToString(deterministic=True)}
        orgs = endorsing_orgs if self.settings.pin_endorsers else None
        yield from self._catch_up()
        receipt = yield Transact(transaction, transient, orgs)
        if not isinstance(receipt, Receipt):
            raise TypeError(f"a transact step expects a Receipt back, got {type(receipt).__name__}")
        if self.settings.session is not None:
            self.settings.session.committed(receipt.transaction_id, self.settings.msp_id, self.settings.channel)
        return receipt, parse(answer, receipt.result, transaction)

    def _check(self, check: Callable[P, object], /, *args: P.args, **kwargs: P.kwargs) -> None:
        """Run one of the rules' own input checks early; its refusal becomes the typed error."""
        if not self.settings.validate:
            return
        try:
            check(*args, **kwargs)
        except LcRuleError as refusal:
            raise refused(refusal) from None


def refused(refusal: LcRuleError) -> TradeFinanceError:
    """A rule's refusal as the client's typed error (raised before anything was sent)."""
    return error_class(refusal.code_name)(refusal.message, field=refusal.field)


def enum_value(enum: _EnumTypeWrapper[EnumT], value: EnumT | str, field: str) -> EnumT:
    """An enum argument as the request carries it: a number as given, a label as its number
    (``"PAYMENT_STATUS_ACCC"``, as protobuf reads a label). Any other text (lower case, padded, without
    the prefix, a number written out) has no encoding: it is refused as ERR_INVALID_INPUT naming
    ``field``, as the chaincode refuses a number the enum does not define -- whether or not the
    client validates, since there is nothing to send."""
    if not isinstance(value, str):
        return value
    try:
        return enum.Value(value)
    except ValueError:
        raise InvalidInputError(f"{value!r} is not a label of {enum.DESCRIPTOR.name}", field=field) from None


def salt_or_new(salt: bytes | None) -> bytes:
    """The caller's salt of a private record, or ``SALT_BYTES`` fresh random bytes."""
    return secrets.token_bytes(SALT_BYTES) if salt is None else salt


def timestamp(moment: datetime.datetime) -> Timestamp:
    """A moment as a protobuf timestamp."""
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp
