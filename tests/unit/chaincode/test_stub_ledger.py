"""StubLedger, the record ledger of the contracts over the chaincode stub: a transaction's reads are
remembered (Fabric answers them all from the state committed before the transaction), so a key is
asked of the peer at most once per transaction."""

from __future__ import annotations

import asyncio
from typing import cast

from tradefin.chaincode.contracts.letters_of_credit.records import RecordKey
from tradefin.chaincode.contracts.rule_contract import StubLedger
from tradefin.chaincode.shim import ChaincodeStub
from tradefin.chaincode.shim.keys import create_composite_key

A, B, C = RecordKey("t", ("a",)), RecordKey("t", ("b",)), RecordKey("t", ("c",))


class CountingStub:
    """The part of ChaincodeStub StubLedger reads through, counting the round trips."""

    create_composite_key = staticmethod(create_composite_key)

    def __init__(self, state: dict[tuple[str, RecordKey], bytes]) -> None:
        self._state = {(collection, create_composite_key(k.object_type, list(k.attributes))): v
                       for (collection, k), v in state.items()}
        self.asked: list[tuple[str, list[str]]] = []

    async def get_state(self, key: str) -> bytes | None:
        self.asked.append(("", [key]))
        return self._state.get(("", key))

    async def get_private_data(self, collection: str, key: str) -> bytes | None:
        self.asked.append((collection, [key]))
        return self._state.get((collection, key))

    async def get_multiple_states(self, keys: list[str]) -> list[bytes | None]:
        self.asked.append(("", list(keys)))
        return [self._state.get(("", key)) for key in keys]

    async def get_multiple_private_data(self, collection: str, keys: list[str]) -> list[bytes | None]:
        self.asked.append((collection, list(keys)))
        return [self._state.get((collection, key)) for key in keys]


def composite(key: RecordKey) -> str:
    return create_composite_key(key.object_type, list(key.attributes))


def test_a_key_is_asked_of_the_peer_once_per_transaction() -> None:
    stub = CountingStub({("", A): b"1", ("coll", A): b"private"})
    ledger = StubLedger(cast(ChaincodeStub, stub))

    async def transaction() -> None:
        assert await ledger.read_many([A, B, A]) == [b"1", None, b"1"]  # B does not exist
        assert await ledger.read(A) == b"1" and await ledger.read(B) is None  # both remembered
        assert await ledger.read_many([B, C, A]) == [None, None, b"1"]  # only C is asked
        assert await ledger.read(A, "coll") == b"private"  # a collection is another key space
        assert await ledger.read_many([A], "coll") == [b"private"]

    asyncio.run(transaction())
    assert stub.asked == [
        ("", [composite(A), composite(B)]),
        ("", [composite(C)]),
        ("coll", [composite(A)]),
    ]
    assert (ledger.found(A), ledger.found(B), ledger.found(A, "coll")) == (True, False, True)
    assert ledger.found(RecordKey("t", ("never read",))) is None


def test_reads_are_not_answered_from_the_transactions_own_writes() -> None:
    """As on Fabric: a write is visible to later transactions only."""
    stub = CountingStub({("", A): b"committed"})
    written: list[tuple[str, bytes]] = []

    async def put_state(key: str, value: bytes) -> None:
        written.append((key, value))

    stub.put_state = put_state  # type: ignore[attr-defined]
    ledger = StubLedger(cast(ChaincodeStub, stub))

    async def transaction() -> tuple[bytes | None, bytes | None]:
        before = await ledger.read(A)
        await ledger.write(A, b"new")
        return before, await ledger.read(A)

    assert asyncio.run(transaction()) == (b"committed", b"committed")
    assert written == [(composite(A), b"new")]
