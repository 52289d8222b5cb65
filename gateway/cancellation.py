"""Cancelling gateway calls from elsewhere: the blocking API's per-call cancellation (asyncio has it too).

A :class:`Cancellation` is a scope: the unary calls (evaluate, endorse, submit, commit status) made
inside ``with cancellation:`` -- in that thread, or that asyncio task -- are cancelled when any thread
calls ``cancellation.cancel()``; so are the pauses of the resubmit path, and every later call in the
scope fails before it is sent. A cancelled call ends with the step's error, gRPC code ``CANCELLED`` and
the transaction id; a submit whose envelope may already have reached an orderer ends
``TransactionInDoubtError`` (ask its status later), never "failed". Scopes nest: a call is cancelled by
any scope around it. An event stream opened in a scope is closed when the scope is cancelled:
iteration ends as after ``close()``; one opened in a scope already cancelled is refused (``CANCELLED``)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import TracebackType

__all__ = ["Cancellation", "active_cancellations", "any_cancelled", "watching"]

_ACTIVE: ContextVar[tuple[Cancellation, ...]] = ContextVar("tradefin_gateway_cancellations", default=())


def active_cancellations() -> tuple[Cancellation, ...]:
    """The scopes around the current thread's or task's calls, innermost first (usually none)."""
    return _ACTIVE.get()


def any_cancelled(scopes: tuple[Cancellation, ...]) -> bool:
    """Whether any of ``scopes`` was cancelled."""
    return any(scope.cancelled for scope in scopes)


@contextmanager
def watching(scopes: tuple[Cancellation, ...], callback: Callable[[], None]) -> Iterator[bool]:
    """Within the block, ``callback`` runs when any of ``scopes`` is cancelled; yields ``False`` when one
    already was (the callback then will not run for it: act at once)."""
    registered = [scope for scope in scopes if scope.add_callback(callback)]
    try:
        yield len(registered) == len(scopes)
    finally:
        for scope in registered:
            scope.remove_callback(callback)


class Cancellation:
    """A cancellation scope: ``with cancellation: contract.submit(...)``; ``cancellation.cancel()`` from
    any thread. Thread-safe; one object may be entered by several threads or tasks at once."""

    __slots__ = ("_callbacks", "_event", "_lock")

    def __init__(self) -> None:
        # re-entrant: a stream collected by the cyclic GC while this thread holds the lock (any allocation
        # can start a collection) forgets its callback through remove_callback, from inside cancel()
        self._lock = threading.RLock()
        self._event = threading.Event()
        self._callbacks: set[Callable[[], None]] = set()

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._event.is_set()

    def cancel(self) -> None:
        """Cancel the calls in flight in this scope and every later one (idempotent)."""
        with self._lock:
            if self._event.is_set():
                return
            self._event.set()
            callbacks, self._callbacks = self._callbacks, set()
        for callback in callbacks:  # one failing callback must not spare the other calls
            with contextlib.suppress(Exception):
                callback()

    def add_callback(self, callback: Callable[[], None]) -> bool:
        """Run ``callback`` on cancellation; ``False`` (and nothing registered) if already cancelled."""
        with self._lock:
            if self._event.is_set():
                return False
            self._callbacks.add(callback)
            return True

    def remove_callback(self, callback: Callable[[], None]) -> None:
        """Forget a callback (the call it would cancel has ended)."""
        with self._lock:
            self._callbacks.discard(callback)

    def __enter__(self) -> Cancellation:
        _ACTIVE.set((self, *_ACTIVE.get()))
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        active = _ACTIVE.get()
        # leave this scope (normally the innermost; tolerate scopes left out of order)
        index = next((i for i, scope in enumerate(active) if scope is self), None)
        if index is not None:
            _ACTIVE.set(active[:index] + active[index + 1 :])
