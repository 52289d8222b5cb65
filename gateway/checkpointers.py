"""Checkpointers: where an event listener got to, so that it resumes with no event lost or repeated
(repeated only when the listener stops between handling an event and checkpointing it).

A checkpoint is ``(block number of the next expected event, id of the last processed transaction)``:

* after processing an event, ``checkpoint_chaincode_event(event)`` stores ``(event block, event tx id)``;
  resuming sends ``start = specified(block)`` with ``after_transaction_id = tx id`` and the peer skips
  events up to and including that transaction;
* after processing a whole block, ``checkpoint_block(n)`` stores ``(n + 1, "")``.

:class:`FileCheckpointer` makes every update durable and atomic (temporary file, fsync, rename, fsync
of the folder), so a crash leaves either the old or the new checkpoint, never a torn one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Protocol, runtime_checkable

from tradefin.gateway.chaincode_events import ChaincodeEvent

__all__ = ["AsyncFileCheckpointer", "Checkpoint", "Checkpointer", "FileCheckpointer", "InMemoryCheckpointer"]


@runtime_checkable
class Checkpoint(Protocol):
    """A position to resume event listening from."""

    @property
    def block_number(self) -> int | None:
        """The block of the next expected event, ``None`` when nothing was checkpointed yet."""
        ...

    @property
    def transaction_id(self) -> str | None:
        """The last processed transaction in that block, ``None`` when the whole block is still to come."""
        ...


class Checkpointer(Checkpoint, Protocol):
    """A checkpoint that the listener moves forward as it processes events."""

    def checkpoint_block(self, block_number: int) -> None:
        """Record that every event of block ``block_number`` was processed."""
        ...

    def checkpoint_transaction(self, block_number: int, transaction_id: str) -> None:
        """Record that events up to transaction ``transaction_id`` of block ``block_number`` were processed.

        For chaincode events the transaction must be one whose event was received (the peer skips
        events until it meets that transaction's): use :meth:`checkpoint_chaincode_event`. Block
        listeners checkpoint whole blocks with :meth:`checkpoint_block`.
        """
        ...

    def checkpoint_chaincode_event(self, event: ChaincodeEvent) -> None:
        """Record that ``event`` (and every event before it) was processed."""
        ...


class InMemoryCheckpointer:
    """A checkpointer in memory: resumes after a lost connection, not after a restart."""

    __slots__ = ("_position",)

    def __init__(self) -> None:
        # one tuple, replaced whole: a reader in another thread never sees a block and a tx id that do
        # not belong together
        self._position: tuple[int | None, str | None] = (None, None)

    @property
    def position(self) -> tuple[int | None, str | None]:
        """``(block_number, transaction_id)`` read together."""
        return self._position

    @property
    def block_number(self) -> int | None:
        """The block of the next expected event, ``None`` before the first checkpoint."""
        return self._position[0]

    @property
    def transaction_id(self) -> str | None:
        """The last processed transaction in that block, ``None`` if none."""
        return self._position[1]

    def checkpoint_block(self, block_number: int) -> None:
        """Record that block ``block_number`` was fully processed."""
        self.checkpoint_transaction(block_number + 1, "")

    def checkpoint_transaction(self, block_number: int, transaction_id: str) -> None:
        """Record progress up to ``transaction_id`` in ``block_number``."""
        self._position = _position(block_number, transaction_id)

    def checkpoint_chaincode_event(self, event: ChaincodeEvent) -> None:
        """Record that ``event`` was processed."""
        self.checkpoint_transaction(event.block_number, event.transaction_id)


class FileCheckpointer(InMemoryCheckpointer):
    """A checkpointer persisted in a JSON file (``{"blockNumber": n, "transactionId": "..."}``).

    The file is read when the checkpointer is created (a missing or empty file, or the official clients'
    zero state ``{"blockNumber": 0, "transactionId": ""}``, means "no checkpoint") and written back at
    once, so a path that cannot be written fails here rather than after the first event was processed;
    then it is rewritten atomically and durably at every checkpoint. Threads of one process may share a
    checkpointer (each update and its write happen under a lock); give each process its own file.
    """

    __slots__ = ("_lock", "_path")

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__()
        self._path = Path(path)
        self._lock = threading.Lock()
        self._load()
        self._save(self._position)

    @property
    def path(self) -> Path:
        """The checkpoint file."""
        return self._path

    def checkpoint_transaction(self, block_number: int, transaction_id: str) -> None:
        """Record progress up to ``transaction_id`` in ``block_number`` and persist it before returning;
        if the write fails, the checkpointer keeps the position the file holds (and the error is raised)."""
        position = _position(block_number, transaction_id)
        with self._lock:
            self._save(position)
            self._position = position  # only once the file holds it: readers never see a position it lost

    def _load(self) -> None:
        try:
            text = self._path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        if not text.strip():
            return
        try:
            state = json.loads(text)
            block_number = state.get("blockNumber")
            transaction_id = state.get("transactionId") or None
            if block_number is not None:
                block_number = int(block_number)
                if block_number < 0:
                    raise ValueError("negative block number")
            if transaction_id is not None and not isinstance(transaction_id, str):
                raise ValueError("transactionId is not a string")
        except (ValueError, AttributeError, TypeError) as error:
            raise ValueError(f"{self._path}: not a checkpoint file ({error})") from None
        if block_number == 0 and transaction_id is None:
            return  # the zero state the official clients write when they create the file: no checkpoint
        self._position = (block_number, transaction_id)

    def _save(self, position: tuple[int | None, str | None]) -> None:
        state: dict[str, int | str] = {}
        block_number, transaction_id = position
        if block_number is not None:
            state["blockNumber"] = block_number
        if transaction_id:
            state["transactionId"] = transaction_id
        content = json.dumps(state).encode()
        folder = self._path.parent
        descriptor, name = tempfile.mkstemp(prefix=f".{self._path.name}.", suffix=".tmp", dir=folder)  # mode 0600
        temporary = Path(name)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self._path)
        except BaseException:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise
        _fsync_folder(folder)


class AsyncFileCheckpointer:
    """A :class:`FileCheckpointer` for asyncio (as the official Node client's checkpointers are): its
    durable writes, and the first read, run in a worker thread, so the event loop never waits on the
    disk's fsync. Create it with ``await AsyncFileCheckpointer.open(path)``; it is a :class:`Checkpoint`
    (give it as ``checkpoint=``), and its ``checkpoint_*`` methods are coroutines. Checkpoints started
    without awaiting each (tasks, ``gather``) are written in the order they were started, so the file
    never moves back. The file is the same as :class:`FileCheckpointer`'s."""

    __slots__ = ("_file", "_order")

    def __init__(self, file: FileCheckpointer) -> None:
        self._file = file
        self._order = asyncio.Lock()  # FIFO: the worker threads write in the order the calls came

    @classmethod
    async def open(cls, path: str | os.PathLike[str]) -> AsyncFileCheckpointer:
        """Read ``path`` (or start with no checkpoint) and write it back, in a worker thread; fails here
        if the path cannot be written."""
        return cls(await asyncio.to_thread(FileCheckpointer, path))

    @property
    def path(self) -> Path:
        """The checkpoint file."""
        return self._file.path

    @property
    def position(self) -> tuple[int | None, str | None]:
        """``(block_number, transaction_id)`` read together."""
        return self._file.position

    @property
    def block_number(self) -> int | None:
        """The block of the next expected event, ``None`` before the first checkpoint."""
        return self._file.block_number

    @property
    def transaction_id(self) -> str | None:
        """The last processed transaction in that block, ``None`` if none."""
        return self._file.transaction_id

    async def checkpoint_block(self, block_number: int) -> None:
        """Record, durably, that block ``block_number`` was fully processed."""
        await self.checkpoint_transaction(block_number + 1, "")

    async def checkpoint_transaction(self, block_number: int, transaction_id: str) -> None:
        """Record, durably, progress up to ``transaction_id`` in ``block_number``."""
        async with self._order:
            await asyncio.to_thread(self._file.checkpoint_transaction, block_number, transaction_id)

    async def checkpoint_chaincode_event(self, event: ChaincodeEvent) -> None:
        """Record, durably, that ``event`` was processed."""
        await self.checkpoint_transaction(event.block_number, event.transaction_id)


def _position(block_number: int, transaction_id: str) -> tuple[int, str | None]:
    if block_number < 0:
        raise ValueError("a block number is not negative")
    return block_number, transaction_id or None


def _fsync_folder(folder: Path) -> None:
    # The rename is durable only once the folder entry is on disk.
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
