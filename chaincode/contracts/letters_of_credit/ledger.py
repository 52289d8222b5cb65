"""The seam between the rules and Fabric: what a transition writes, and the ledger it needs.

The rules are pure functions from the current records, the request and the transaction to a
:class:`Transition` (new records, the event, the response). :class:`CreditLedger` is the small state
interface the contract layer implements over the shim's stub (or a unit test over a dict).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from google.protobuf.message import Message

from tradefin.protos import letters_of_credit_pb2 as lc

from .records import RecordKey

ResponseT = TypeVar("ResponseT", bound=Message)

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
