"""What the blocking and the asyncio event streams share: the events read from one gRPC stream, and its end.

A stream ends when the peer ends it, when a response says so (a Deliver status), when a response
cannot be read, when the listener closes it, or when a cancellation scope it was opened in is
cancelled (like ``close()``); in each case the call is cancelled once and iteration stops. Only reading
the next response, and how a cancellation from another thread reaches the stream, differ between the
front ends.
"""

from __future__ import annotations

import threading
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from time import monotonic
from typing import Any, Generic, TypeVar

from tradefin.gateway import _grpc
from tradefin.gateway._flow import closed_error
from tradefin.gateway.cancellation import Cancellation
from tradefin.gateway.errors import GatewayError

__all__ = ["EventStreamBase", "OpenStreams"]

E = TypeVar("E")
S = TypeVar("S", bound="EventStreamBase[Any]")


class EventStreamBase(Generic[E]):
    """Events buffered from a gRPC stream call; ``read`` turns one response into its events, or
    ``None`` at the normal end of the stream.

    ``_stopped`` (no more events are handed out) is set at once by ``close()``, by a cancellation from
    any thread and by the stream's own end; ``_closed`` once the call itself is over or cancelled.
    A scope holds the stream only weakly: a stream dropped unread is still collected and its call
    cancelled, as one opened outside any scope is.
    """

    __slots__ = (
        "__weakref__",
        "_buffer",
        "_call",
        "_closed",
        "_ended_at",
        "_gateway_closed",
        "_read",
        "_release",
        "_started",
        "_stopped",
        "_timeout",
    )

    def __init__(
        self,
        call: Any,
        read: Callable[[bytes], Sequence[E] | None],
        timeout: float | None = None,
        scopes: tuple[Cancellation, ...] = (),
        opened: float | None = None,
    ) -> None:
        """``opened``: ``time.monotonic()`` just before the call was made (default: now), from which its
        ``timeout`` runs."""
        self._call = call
        self._read = read
        self._buffer: deque[E] = deque()
        self._stopped = False
        self._closed = False
        self._gateway_closed = False
        self._timeout = timeout
        self._started = monotonic() if opened is None else opened
        # when the call ended, as gRPC reports it: a failure read later is judged against its own time
        self._ended_at: list[float] = []
        ended_at = self._ended_at  # the callback holds the list, not the stream (collected when dropped)
        self._when_ended(call, lambda: ended_at.append(monotonic()))
        self._release: weakref.finalize[Any, Any] | None = None
        if scopes:
            self._bind(scopes)

    @staticmethod
    def _when_ended(call: Any, callback: Callable[[], None]) -> None:
        """Have gRPC run ``callback`` when ``call`` ends (each front end's call type has its own way)."""
        raise NotImplementedError

    def _bind(self, scopes: tuple[Cancellation, ...]) -> None:
        """Close the stream when one of ``scopes`` is cancelled, for as long as the stream lives."""
        stream = weakref.ref(self)

        def on_cancel() -> None:
            alive = stream()
            if alive is not None:
                alive._on_cancel()

        bound: list[Cancellation] = []
        # forgets the callbacks once: when the stream closes or ends, or when it is collected unclosed
        self._release = weakref.finalize(self, _forget, bound, on_cancel)
        self._release.atexit = False
        for scope in scopes:
            if not scope.add_callback(on_cancel):  # cancelled since the stream was opened
                self.close()
                return
            bound.append(scope)
            if self._stopped:  # cancelled meanwhile, from another thread (its close() may have run already)
                scope.remove_callback(on_cancel)
                return

    def close(self) -> None:
        """Cancel the stream; iteration ends (events received but not yet read are dropped)."""
        self._stopped = True
        was_closed, self._closed = self._closed, True
        self._buffer.clear()
        if not was_closed:
            self._call.cancel()
        if self._release is not None:
            self._release()

    def _on_cancel(self) -> None:
        """A scope the stream was opened in was cancelled (from any thread): close the stream."""
        self.close()

    def _close_with_gateway(self) -> None:
        """Its gateway was closed (from any thread): close the stream; iteration raises, as when the
        gateway's own channel closes under it, rather than simply ending."""
        if not self._stopped:
            self._gateway_closed = True
            self._on_cancel()

    def _stop_error(self) -> GatewayError | None:
        """What ending iteration raises: the closed gateway's error, or nothing (a close, a cancellation)."""
        return closed_error(during_call=True) if self._gateway_closed else None

    def _ended(self) -> None:
        """The stream ended by itself (the server's end or a failure): nothing left to cancel."""
        self._stopped = self._closed = True
        if self._release is not None:
            self._release()

    def _take(self, response: bytes) -> None:
        """Buffer the events of one response (none once the stream is stopped: a close raced the read)."""
        try:
            events = self._read(response)
        except BaseException:  # an unreadable or refusing response ends the stream as well
            self.close()
            raise
        if events is None:
            self.close()
        elif not self._stopped:
            self._buffer.extend(events)

    def _failure(self, error: Exception) -> GatewayError | None:
        """The error to raise for a failed read; ``None`` when the stream was stopped on purpose."""
        if self._stopped:
            return self._stop_error()
        self._ended()
        # a stream whose deadline passed may be reported CANCELLED (the peer resets it): say DEADLINE_EXCEEDED;
        # its age is taken when it ended, not when the failure is read (an early reset read late is not one)
        elapsed = (self._ended_at[0] if self._ended_at else monotonic()) - self._started
        return _grpc.gateway_error(error, elapsed=elapsed, timeout=self._timeout, what="the event stream")


def _forget(scopes: list[Cancellation], callback: Callable[[], None]) -> None:
    for scope in scopes:
        scope.remove_callback(callback)


class OpenStreams:
    """The event streams a gateway opened on a channel it was given, to close them with the gateway
    (closing a channel of its own ends them already). Held weakly: a stream dropped unread goes. Once
    closed, a stream added -- one opened while another thread closed the gateway -- is closed at once."""

    __slots__ = ("_closed", "_lock", "_streams")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: weakref.WeakSet[EventStreamBase[Any]] = weakref.WeakSet()
        self._closed = False

    def add(self, stream: S) -> S:
        with self._lock:
            if not self._closed:
                self._streams.add(stream)
                return stream
        stream._close_with_gateway()
        return stream

    def close_all(self) -> None:
        with self._lock:
            self._closed = True
            streams = list(self._streams)
            self._streams.clear()
        for stream in streams:
            stream._close_with_gateway()
