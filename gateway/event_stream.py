"""What the blocking and the asyncio event streams share: the events read from one gRPC stream, and its end.

A stream ends when the peer ends it, when a response says so (a Deliver status), when a response
cannot be read, or when the listener closes it; in each case the call is cancelled once and iteration
stops. Only reading the next response differs between the front ends.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from time import monotonic
from typing import Any, Generic, TypeVar

from tradefin.gateway import _grpc
from tradefin.gateway.errors import GatewayError

__all__ = ["EventStreamBase"]

E = TypeVar("E")


class EventStreamBase(Generic[E]):
    """Events buffered from a gRPC stream call; ``read`` turns one response into its events, or
    ``None`` at the normal end of the stream."""

    __slots__ = ("_buffer", "_call", "_closed", "_read", "_started", "_timeout")

    def __init__(
        self, call: Any, read: Callable[[bytes], Sequence[E] | None], timeout: float | None = None
    ) -> None:
        self._call = call
        self._read = read
        self._buffer: deque[E] = deque()
        self._closed = False
        self._timeout = timeout
        self._started = monotonic()

    def close(self) -> None:
        """Cancel the stream; iteration ends (events received but not yet read are dropped)."""
        was_closed, self._closed = self._closed, True
        self._buffer.clear()
        if not was_closed:
            self._call.cancel()

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
        self._closed = True
        # a stream whose deadline passed may be reported CANCELLED (the peer resets it): say DEADLINE_EXCEEDED
        return _grpc.gateway_error(error, elapsed=monotonic() - self._started, timeout=self._timeout)
