"""An in-memory record ledger with Fabric's transaction semantics, for the compliance and payment
rules: a transaction reads committed state only, its writes become visible when it commits, and a
refused transaction writes nothing. Private values are kept per collection and their SHA-256 is what
other banks' peers would read; every public write is kept for the key's history.

Commits are validated like Fabric's MVCC check: a transaction whose read keys (point reads, and the
keys a scan returned or could return) changed since it read them is refused with
:class:`MvccConflict`, so transactions simulated on the same state can be committed in any order."""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tradefin.chaincode.contracts.compliance.ledger import PUBLIC, HistoryEntry
from tradefin.chaincode.contracts.letters_of_credit.records import RecordKey

T = TypeVar("T")


class MvccConflict(Exception):
    """A key the transaction read was written by a transaction committed in between."""


class WriteAfterPrivateQuery(Exception):
    """Fabric refuses writes in a transaction that ran a range query on private data."""


class MemoryLedger:
    """Committed state shared by the transactions of a test."""

    def __init__(self) -> None:
        self.state: dict[tuple[str, RecordKey], bytes] = {}
        self.policies: dict[tuple[str, RecordKey], tuple[str, ...]] = {}
        self.events: list[tuple[str, bytes]] = []
        self.history_of: dict[RecordKey, list[HistoryEntry]] = defaultdict(list)
        self.versions: dict[tuple[str, RecordKey], int] = defaultdict(int)

    def transaction(self, tx_id: str, timestamp: datetime.datetime) -> MemoryTransaction:
        """A transaction view over the committed state."""
        return MemoryTransaction(self, tx_id, timestamp)

    def value(self, key: RecordKey, collection: str = PUBLIC) -> bytes | None:
        """A committed value."""
        return self.state.get((collection, key))

    def matching(
        self, object_type: str, attributes: tuple[str, ...], collection: str = PUBLIC
    ) -> list[tuple[RecordKey, bytes]]:
        """The committed keys under a composite-key prefix with their values, in key order."""
        found = [
            (key, value)
            for (where, key), value in self.state.items()
            if where == collection
            and key.object_type == object_type
            and key.attributes[: len(attributes)] == attributes
        ]
        return sorted(found, key=lambda item: item[0].attributes)


class MemoryTransaction:
    """The :class:`RecordLedger` of one transaction."""

    def __init__(self, ledger: MemoryLedger, tx_id: str, timestamp: datetime.datetime) -> None:
        self.ledger = ledger
        self.tx_id = tx_id
        self.timestamp = timestamp
        self.writes: dict[tuple[str, RecordKey], bytes] = {}
        self.policies: dict[tuple[str, RecordKey], tuple[str, ...]] = {}
        self.event: tuple[str, bytes] | None = None
        self.reads: dict[tuple[str, RecordKey], int] = {}
        self.scans: dict[tuple[str, str, tuple[str, ...]], dict[RecordKey, int]] = {}
        self.private_query = False

    async def read(self, key: RecordKey, collection: str = PUBLIC) -> bytes | None:
        self.reads.setdefault((collection, key), self.ledger.versions[(collection, key)])
        return self.ledger.state.get((collection, key))

    async def write(self, key: RecordKey, value: bytes, collection: str = PUBLIC) -> None:
        self.writes[(collection, key)] = value

    async def require_endorsers(self, key: RecordKey, msp_ids: tuple[str, ...], collection: str = PUBLIC) -> None:
        self.policies[(collection, key)] = msp_ids

    async def emit_event(self, name: str, payload: bytes) -> None:
        self.event = (name, payload)

    async def read_hash(self, key: RecordKey, collection: str) -> bytes | None:
        value = self.ledger.state.get((collection, key))
        return hashlib.sha256(value).digest() if value is not None else None

    async def scan(
        self, object_type: str, attributes: tuple[str, ...], collection: str = PUBLIC
    ) -> list[tuple[RecordKey, bytes]]:
        # Fabric remembers what a range query found for the phantom-read check at commit, and
        # refuses writes after one on private data.
        if collection != PUBLIC:
            self.private_query = True
        found = self.ledger.matching(object_type, attributes, collection)
        self.scans.setdefault(
            (collection, object_type, attributes),
            {key: self.ledger.versions[(collection, key)] for key, _ in found},
        )
        return found

    async def history(self, key: RecordKey) -> list[HistoryEntry]:
        return list(reversed(self.ledger.history_of[key]))

    def validate(self) -> None:
        """Fabric's rules: no write after a private range query; the MVCC check against the state
        committed since the transaction read it."""
        if self.private_query and self.writes:
            raise WriteAfterPrivateQuery("transaction has already performed queries on private data")
        for read_key, version in self.reads.items():
            if self.ledger.versions[read_key] != version:
                raise MvccConflict(f"{read_key[1]} changed since it was read")
        for (collection, object_type, attributes), seen in self.scans.items():
            now = self.ledger.matching(object_type, attributes, collection)
            if {key: self.ledger.versions[(collection, key)] for key, _ in now} != seen:
                raise MvccConflict(f"a key under {object_type}{list(attributes)} was written since it was scanned")

    def commit(self) -> None:
        """Validate, then apply the writes."""
        self.validate()
        for (collection, key), value in self.writes.items():
            self.ledger.versions[(collection, key)] += 1
            self.ledger.state[(collection, key)] = value
            if collection == PUBLIC:
                self.ledger.history_of[key].append(HistoryEntry(self.tx_id, self.timestamp, value, False))
        self.ledger.policies.update(self.policies)
        if self.event is not None:
            self.ledger.events.append(self.event)


async def simulate(
    ledger: MemoryLedger,
    tx_id: str,
    timestamp: datetime.datetime,
    operation: Callable[[MemoryTransaction], Awaitable[T]],
) -> tuple[T, MemoryTransaction]:
    """Endorse: run an operation on the committed state, without committing it."""
    transaction = ledger.transaction(tx_id, timestamp)
    return await operation(transaction), transaction


async def run(
    ledger: MemoryLedger,
    tx_id: str,
    timestamp: datetime.datetime,
    operation: Callable[[MemoryTransaction], Awaitable[T]],
) -> T:
    """Run an operation as one transaction: commit its writes if it returns, drop them if it raises."""
    result, transaction = await simulate(ledger, tx_id, timestamp, operation)
    transaction.commit()
    return result
