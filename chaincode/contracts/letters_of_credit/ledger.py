"""The seam between the rules and Fabric: what a transition writes, and the ledger it needs.

The rules are pure functions from the current records, the request and the transaction to a
:class:`Transition` (new records, the event, the response). :class:`CreditLedger` is the small state
interface the contract layer implements over the shim's stub (or a unit test over a dict).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from google.protobuf.message import Message

from tradefin.protos import letters_of_credit_pb2 as lc

from .records import RecordKey

ResponseT = TypeVar("ResponseT", bound=Message)
MessageT = TypeVar("MessageT", bound=Message)

#: Collection value of a write to the public world state.
PUBLIC = ""


@dataclass(frozen=True)
class Write:
    """One record to store."""

    key: RecordKey
    record: Message
    #: Private data collection, or :data:`PUBLIC`.
    collection: str = PUBLIC
    #: When not empty: set the key's endorsement policy to require every one of these organisations
    #: (state-based endorsement), so no single bank can change the record alone.
    endorsers: tuple[str, ...] = ()
    #: The endorsers are the policy the key gets when it is created and never changes: set it only
    #: when the transaction is not known to update an existing key. Fabric keeps a key's policy when
    #: its value is updated, and it checks a policy write against the key's current policy as well,
    #: so setting the same policy again costs the validators one more policy evaluation.
    endorsers_at_creation: bool = False


@dataclass(frozen=True)
class Transition(Generic[ResponseT]):
    """The outcome of an accepted request: what to write, the event to emit, what to answer."""

    response: ResponseT
    writes: tuple[Write, ...] = ()
    event: lc.LetterOfCreditEvent | None = field(default=None)


class CreditLedger(Protocol):
    """State access the rules need; implemented by the contract over the chaincode stub."""

    async def read(self, key: RecordKey, collection: str = PUBLIC) -> bytes | None:
        """The stored value, or None when the key does not exist."""

    async def write(self, key: RecordKey, value: bytes, collection: str = PUBLIC) -> None:
        """Store a value (visible to reads of later transactions only)."""

    async def require_endorsers(self, key: RecordKey, msp_ids: tuple[str, ...], collection: str = PUBLIC) -> None:
        """Set the key-level endorsement policy: a peer of every listed organisation must endorse."""

    async def emit_event(self, name: str, payload: bytes) -> None:
        """Set the transaction's chaincode event (one per transaction)."""


#: Reads several keys of one collection (PUBLIC for the world state) in the order given.
ReadMany = Callable[[Sequence[RecordKey], str], Awaitable[list[bytes | None]]]


def batch_reader(ledger: CreditLedger) -> ReadMany:
    """How to read several keys from ``ledger``: with its ``read_many`` when it has one (one round
    trip to the peer, the shim's GET_STATE_MULTIPLE), else one by one."""
    # getattr, not isinstance() against a runtime-checkable Protocol: that check is slow, and this
    # runs for every transaction.
    read_many: ReadMany | None = getattr(ledger, "read_many", None)
    if read_many is not None:
        return read_many

    async def one_by_one(keys: Sequence[RecordKey], collection: str = PUBLIC) -> list[bytes | None]:
        return [await ledger.read(key, collection) for key in keys]

    return one_by_one


def parsed(value: bytes | None, message_type: type[MessageT]) -> MessageT | None:
    """A stored value parsed as ``message_type``, or None when the key does not exist."""
    if value is None:
        return None
    return message_type.FromString(value)


async def get(
    ledger: CreditLedger, key: RecordKey, message_type: type[MessageT], collection: str = PUBLIC
) -> MessageT | None:
    """A stored record parsed as ``message_type``, or None when the key does not exist."""
    return parsed(await ledger.read(key, collection), message_type)


async def store(ledger: CreditLedger, writes: Iterable[Write]) -> None:
    """Write each record (serialized deterministically, so every endorser writes the same bytes), then
    its key-level endorsement policy when it names endorsers -- unless the policy is set at creation
    and the ledger read the key as existing in this transaction (``found``, when it tells)."""
    found: Callable[[RecordKey, str], bool | None] | None = getattr(ledger, "found", None)
    for write in writes:
        await ledger.write(write.key, write.record.SerializeToString(deterministic=True), write.collection)
        if not write.endorsers:
            continue
        if write.endorsers_at_creation and found is not None and found(write.key, write.collection):
            continue
        await ledger.require_endorsers(write.key, write.endorsers, write.collection)
