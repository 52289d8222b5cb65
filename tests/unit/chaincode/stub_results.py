"""What a faked stub answers for a range, composite-key or history query: an async iterator that is
also an async context manager, as the shim's query iterators are."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any


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
