"""The in-memory ledger refuses what Fabric refuses at commit: a write after a range query on private
data, and a range query whose result changed since it ran (a phantom read)."""

from __future__ import annotations

import asyncio
import datetime

import pytest

from tradefin.chaincode.contracts.letters_of_credit.records import RecordKey

from .memory_ledger import MemoryLedger, MemoryTransaction, MvccConflict, WriteAfterPrivateQuery, run, simulate

NOW = datetime.datetime(2025, 12, 3, 9, 0, tzinfo=datetime.UTC)
COLLECTION = "pay-Bank1MSP-Bank2MSP"


def write(ledger: MemoryLedger, key: RecordKey, value: bytes, collection: str = "") -> None:
    async def operation(view: MemoryTransaction) -> None:
        await view.write(key, value, collection)

    asyncio.run(run(ledger, "w", NOW, operation))


def scanning_then_writing(scan_collection: str) -> MemoryTransaction:
    """A transaction, simulated on a fresh ledger, that scans ``x`` keys under ``a`` then writes one."""
    ledger = MemoryLedger()
    write(ledger, RecordKey("x", ("a", "1")), b"1", scan_collection)

    async def operation(view: MemoryTransaction) -> None:
        assert len(await view.scan("x", ("a",), scan_collection)) == 1
        await view.write(RecordKey("y", ("k",)), b"v")

    return asyncio.run(simulate(ledger, "t", NOW, operation))[1]


def test_no_write_after_a_range_query_on_private_data() -> None:
    with pytest.raises(WriteAfterPrivateQuery):
        scanning_then_writing(COLLECTION).commit()
    scanning_then_writing("").commit()  # a public range query may be followed by writes


def test_a_private_range_query_alone_commits() -> None:
    ledger = MemoryLedger()
    write(ledger, RecordKey("x", ("a", "1")), b"1", COLLECTION)

    async def query(view: MemoryTransaction) -> int:
        return len(await view.scan("x", ("a",), COLLECTION))

    assert asyncio.run(run(ledger, "q", NOW, query)) == 1


@pytest.mark.parametrize(
    ("written", "conflicts"),
    [
        (RecordKey("x", ("a", "2")), True),  # a phantom: a new key in the range
        (RecordKey("x", ("a", "1")), True),  # a key the scan returned, changed
        (RecordKey("x", ("b", "1")), False),  # same type, outside the range
        (RecordKey("z", ("a", "1")), False),  # another type
    ],
)
def test_a_range_query_is_validated_at_commit(written: RecordKey, conflicts: bool) -> None:
    ledger = MemoryLedger()
    write(ledger, RecordKey("x", ("a", "1")), b"1")

    async def operation(view: MemoryTransaction) -> None:
        await view.scan("x", ("a",))
        await view.write(RecordKey("y", ("k",)), b"v")

    _, transaction = asyncio.run(simulate(ledger, "t", NOW, operation))
    write(ledger, written, b"2")
    if conflicts:
        with pytest.raises(MvccConflict):
            transaction.commit()
        assert ledger.value(RecordKey("y", ("k",))) is None
    else:
        transaction.commit()
        assert ledger.value(RecordKey("y", ("k",))) == b"v"
