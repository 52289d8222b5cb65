"""Progress reporting from the launcher to whoever drives it (the CLI, tests, a notebook)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Protocol


class Progress(Protocol):
    """Receives the launcher's steps. Implementations must be thread-safe for ``note``."""

    def step(self, title: str) -> contextlib.AbstractContextManager[None]:
        """A named step; the context ends when the step is done (or failed)."""

    def note(self, text: str) -> None:
        """A line of detail inside the current step."""


class SilentProgress:
    """Records steps with their durations and prints nothing."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, float]] = []
        self.notes: list[str] = []

    @contextlib.contextmanager
    def step(self, title: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.steps.append((title, time.monotonic() - started))

    def note(self, text: str) -> None:
        self.notes.append(text)
