"""The sans-IO core of the typed clients: an operation is a generator that yields gateway steps.

An operation (``LettersOfCreditFlows.issue``, ...) checks its arguments, builds the request message
and yields :class:`Query` (an evaluate: transaction name, serialized request, target organisations)
or :class:`Transact` (a submit: transaction name, transient map, endorsing organisations). The front
end performs the step with the gateway and sends back the result bytes (for a query) or a
:class:`Receipt` (for a committed transaction); a chaincode refusal is thrown into the operation as
the typed :class:`~.errors.TradeFinanceError`. The operation parses the answer into typed records.

So each operation is written once; the blocking and the asyncio clients are thin drivers
(``_drivers``), and a new domain (payments, compliance) adds a flows class and two one-line twins
per operation.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Final, Generic, ParamSpec, TypeVar

from google.protobuf.message import DecodeError, Message

from tradefin.chaincode.contracts.letters_of_credit.errors import LcRuleError

from .errors import TradeFinanceError, error_class

__all__ = [
    "REQUEST_FIELD",
    "ClientSettings",
    "Committed",
    "Flow",
    "FlowsBase",
    "Query",
    "Receipt",
    "Step",
    "Transact",
]

T = TypeVar("T")
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
class Receipt:
    """What the front end sends back for a :class:`Transact`: committed VALID, where, and the answer."""

    transaction_id: str
    block_number: int
    result: bytes


Step = Query | Transact
Flow = Generator[Step, bytes | Receipt, T]


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
    """

    msp_id: str
    validate: bool = True
    pin_endorsers: bool = True


def parse(message_type: type[MessageT], payload: bytes, transaction: str) -> MessageT:
    """Decode a chaincode answer; an undecodable answer means the chaincode is not the expected one."""
    try:
        return message_type.FromString(payload)
    except DecodeError:
        raise ValueError(
            f"{transaction} answered something that is not a {message_type.DESCRIPTOR.full_name}"
        ) from None


class FlowsBase:
    """Base of a domain's operations: querying, transacting and the early checks.

    Subclasses define one generator method per operation of their contract.
    """

    def __init__(self, settings: ClientSettings) -> None:
        self.settings = settings

    def _query(self, transaction: str, request: Message, answer: type[MessageT]) -> Flow[MessageT]:
        """Evaluate on the caller's own organisation and decode the answer."""
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
        receipt = yield Transact(transaction, transient, orgs)
        if not isinstance(receipt, Receipt):
            raise TypeError(f"a transact step expects a Receipt back, got {type(receipt).__name__}")
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
