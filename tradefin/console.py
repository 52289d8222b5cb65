"""Terminal output for the CLI: a live progress display on a terminal, plain lines elsewhere (CI, pipes)."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator

from rich.console import Console


def interactive() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


class ConsoleProgress:
    """Implements the launcher's Progress protocol on stderr."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True, highlight=False)
        self.live = interactive()
        self._lock = threading.Lock()
        self._started = time.monotonic()

    @contextlib.contextmanager
    def step(self, title: str) -> Iterator[None]:
        started = time.monotonic()
        if self.live:
            with self.console.status(f"[bold]{title}[/bold]…", spinner="dots"):
                try:
                    yield
                except BaseException:
                    self.console.print(f"[red]✗[/red] {title}")
                    raise
        else:
            self._plain(f"{title} ...")
            try:
                yield
            except BaseException:
                self._plain(f"{title}: FAILED")
                raise
        elapsed = time.monotonic() - started
        if self.live:
            self.console.print(f"[green]✓[/green] {title} [dim]{elapsed:.1f}s[/dim]")
        else:
            self._plain(f"{title}: done in {elapsed:.1f}s")

    def note(self, text: str) -> None:
        if self.live:
            with self._lock:
                self.console.print(f"  [dim]{text}[/dim]")
        else:
            self._plain(f"  {text}")

    def _plain(self, text: str) -> None:
        with self._lock:
            stamp = time.monotonic() - self._started
            print(f"[{stamp:6.1f}s] {text}", file=sys.stderr, flush=True)
