"""What the blocking and the asyncio event streams share: the events read from one gRPC stream, and its end.

A stream ends when the peer ends it, when a response says so (a Deliver status), when a response
cannot be read, when the listener closes it, or when a cancellation scope it was opened in is
cancelled (like ``close()``); in each case the call is cancelled once and iteration stops. Only reading
the next response, and how a cancellation from another thread reaches the stream, differ between the
front ends.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from time import monotonic
from typing import Any, Generic, TypeVar

from tradefin.gateway import _grpc
from tradefin.gateway.cancellation import Cancellation
from tradefin.gateway.errors import GatewayError

__all__ = ["EventStreamBase"]

E = TypeVar("E")


class EventStreamBase(Generic[E]):
    """Events buffered from a gRPC stream call; ``read`` turns one response into its events, or
    ``None`` at the normal end of the stream."""

    __slots__ = ("_buffer", "_call", "_closed", "_read", "_scopes", "_started", "_timeout")

    def __init__(
        self,
        call: Any,
        read: Callable[[bytes], Sequence[E] | None],
        timeout: float | None = None,
        scopes: tuple[Cancellation, ...] = (),
    ) -> None:
        self._call = call
        self._read = read
        self._buffer: deque[E] = deque()
        self._closed = False
        self._timeout = timeout
        self._started = monotonic()
        self._scopes = tuple(scope for scope in scopes if scope.add_callback(self._on_cancel))
        if len(self._scopes) != len(scopes):  # a scope was cancelled since the stream was opened
            self.close()

    def close(self) -> None:
        """Cancel the stream; iteration ends (events received but not yet read are dropped)."""
        was_closed, self._closed = self._closed, True
        self._buffer.clear()
        if not was_closed:
            self._call.cancel()
        self._release_scopes()

    def _on_cancel(self) -> None:
        """A scope the stream was opened in was cancelled (from any thread): close the stream."""
        self.close()

    def _release_scopes(self) -> None:
        scopes, self._scopes = self._scopes, ()
        for scope in scopes:
            scope.remove_callback(self._on_cancel)

    def _ended(self) -> None:
        """The stream ended by itself (the server's end or a failure): nothing left to cancel."""
        self._closed = True
        self._release_scopes()

    def _take(self, response: bytes) -> bool:
        """Buffer the events of one response; ``False`` when it ended the stream."""
        try:
            events = self._read(response)
        except BaseException:  # an unreadable or refusing response ends the stream as well
            self.close()
            raise
        if events is None:
            self.close()
            return False
        self._buffer.extend(events)
        return True

    def _failure(self, error: Exception) -> GatewayError | None:
        """The error to raise for a failed read; ``None`` when the stream was closed on purpose."""
        if self._closed:
            return None
        self._ended()
        # a stream whose deadline passed may be reported CANCELLED (the peer resets it): say DEADLINE_EXCEEDED
        return _grpc.gateway_error(error, elapsed=monotonic() - self._started, timeout=self._timeout)
