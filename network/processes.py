"""Small process-level helpers shared by the launcher: cross-process locks, directories replaced whole,
and what /proc says about a process (alive, start time, resident memory)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``lock_path`` (created if missing) for the block's duration."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def replaced_directory(target: Path) -> Iterator[Path]:
    """A fresh directory beside ``target`` for the block to fill; it replaces ``target`` when the block
    succeeds and is removed when it fails, so a half-made directory never takes the target's name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{target.name}.", dir=target.parent))
    staging.chmod(0o755)
    try:
        yield staging
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat from the third (state) on, or None when there is no such process."""
    try:
        # The command name (field 2) may contain spaces and parentheses: split after its last ')'.
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields or None


def process_alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (not a zombie), from /proc."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def start_ticks(pid: int) -> int | None:
    """The process start time (clock ticks since boot, field 22 of stat), to tell a recycled pid from ours."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields is not None else None


def resident_bytes(pid: int) -> int | None:
    """Resident memory of ``pid`` (VmRSS), or None when /proc does not tell."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def wait_exited(pid: int, timeout: float, interval: float = 0.05) -> bool:
    """Whether ``pid`` is gone within ``timeout`` seconds; our own child is reaped on the way."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        if not process_alive(pid):
            return True
        time.sleep(interval)
    return False
