"""The seam between the compliance and payment rules and Fabric.

The rules are pure functions returning a :class:`Transition` (records to write, the audit event, the
answer). :class:`RecordLedger` is the state interface they need: the letters-of-credit one plus
private data hashes (to check a record other banks cannot read), scans of a composite-key prefix and
a key's history. The contract layer implements it over the shim's stub; unit tests over dicts.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar, runtime_checkable

from google.protobuf.message import Message

from tradefin.chaincode.contracts.letters_of_credit.ledger import PUBLIC, CreditLedger, Write, get, store
from tradefin.chaincode.contracts.letters_of_credit.records import RecordKey
from tradefin.protos import compliance_pb2

__all__ = ["PUBLIC", "HistoryEntry", "KeyHistory", "RecordLedger", "Transition", "Write", "commit", "get"]

ResponseT = TypeVar("ResponseT", bound=Message)


@dataclass(frozen=True)
class HistoryEntry:
    """One committed write of a public key."""

    tx_id: str
    timestamp: datetime.datetime
    value: bytes
    is_delete: bool


@dataclass(frozen=True)
class Transition(Generic[ResponseT]):
    """The outcome of an accepted request: what to write, the event to emit, what to answer."""

    response: ResponseT
    writes: tuple[Write, ...] = ()
    event: compliance_pb2.AuditEvent | None = None


@runtime_checkable
class KeyHistory(Protocol):
    """A ledger that can read the history of a public key (the audit trails)."""

    async def history(self, key: RecordKey) -> list[HistoryEntry]:
        """Every committed write of a public key, newest first."""


@runtime_checkable
class RecordLedger(CreditLedger, KeyHistory, Protocol):
    """State access of the compliance and payment rules."""

    async def read_hash(self, key: RecordKey, collection: str) -> bytes | None:
        """SHA-256 of a private value as Fabric publishes it (any peer of the channel), or None."""

    async def scan(
        self, object_type: str, attributes: tuple[str, ...], collection: str = PUBLIC
    ) -> list[tuple[RecordKey, bytes]]:
        """Every key under a composite-key prefix with its value, in key order."""


async def commit(ledger: CreditLedger, transition: Transition[ResponseT]) -> ResponseT:
    """Write the transition's records (and their endorsement policies), emit its event, answer."""
    await store(ledger, transition.writes)
    if transition.event is not None:
        await ledger.emit_event(transition.event.type, transition.event.SerializeToString(deterministic=True))
    return transition.response
