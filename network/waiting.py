"""Waiting on evidence: poll a check until it holds, with a deadline and a reason when it does not."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from .errors import NetworkError

T = TypeVar("T")


class NotReadyError(NetworkError, TimeoutError):
    """The evidence did not show up in time."""


def wait_for(check: Callable[[], T | None], *, timeout: float, what: str, interval: float = 0.1,
             fail_fast: Callable[[], str | None] | None = None) -> T:
    """Call ``check`` until it returns something other than None/False; return it.

    ``fail_fast`` is consulted between attempts; when it returns a reason (e.g. "process exited"),
    waiting stops at once with that reason.
    """
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            result = check()
            if result is not None and result is not False:
                return result
        except Exception as exc:
            last_error = exc
        if fail_fast is not None:
            reason = fail_fast()
            if reason:
                raise NotReadyError(f"{what}: {reason}")
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error})" if last_error else ""
            raise NotReadyError(f"{what}: not ready after {timeout:.0f}s{detail}")
        time.sleep(interval)
