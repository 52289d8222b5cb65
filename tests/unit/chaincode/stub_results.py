"""What a faked stub answers for a range, composite-key or history query: an async iterator that is
also an async context manager, as the shim's query iterators are; and the key histories it answers
from."""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator
from typing import Any

from tradefin.chaincode.shim import KeyModification


class StubResults:
    """The given items, in order."""

    def __init__(self, items: list[Any]) -> None:
        self._items = items

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._gen()

    async def _gen(self) -> AsyncIterator[Any]:
        for item in self._items:
            yield item

    async def __aenter__(self) -> StubResults:
        return self

    async def __aexit__(self, *_: object) -> None:
        return None


class KeyHistories:
    """The committed writes of each public key, answered as GET_HISTORY_FOR_KEY answers them: newest
    first."""

    def __init__(self, writes: dict[str, list[KeyModification]] | None = None) -> None:
        self._writes = writes or {}

    def record(self, key: str, tx_id: str, value: bytes, timestamp: datetime.datetime) -> None:
        """A committed write of ``key``."""
        self._writes.setdefault(key, []).append(KeyModification(tx_id, value, timestamp, False))

    def results(self, key: str) -> StubResults:
        """The history of ``key``, newest first."""
        return StubResults(list(reversed(self._writes.get(key, []))))

    def copy(self) -> KeyHistories:
        """An independent copy."""
        return KeyHistories({key: list(writes) for key, writes in self._writes.items()})
