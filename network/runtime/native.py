"""Native runtime: every unit is a local process in its own session, logging to a file."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections import deque
from pathlib import Path

from ..fabric import FabricInstallation
from ..processes import process_alive, resident_bytes, start_ticks, wait_exited
from . import Unit, UnitError


def tail(path: Path, lines: int) -> str:
    """The last ``lines`` lines of ``path`` (all of them when it has fewer: any count is taken)."""
    try:
        with path.open("r", errors="replace") as handle:
            return "".join(deque(handle, maxlen=min(lines, sys.maxsize)))  # deque's bound is a C ssize_t
    except OSError:
        return ""


class NativeRuntime:
    """Runs Fabric binaries and the chaincode server as processes bound to 127.0.0.1."""

    name = "native"

    def __init__(self, fabric: FabricInstallation, log_dir: Path) -> None:
        self.fabric = fabric
        self.log_dir = log_dir

    def prepare(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)

    def _argv(self, unit: Unit) -> list[str]:
        if unit.program == "chaincode":
            return [sys.executable, "-m", "tradefin.chaincode", *unit.args]
        return [str(self.fabric.program(unit.program)), *unit.args]

    def start(self, unit: Unit) -> dict[str, object]:
        log_path = self.log_dir / f"{unit.name}.log"
        env = {key: value for key, value in os.environ.items() if not key.startswith(("CORE_", "ORDERER_"))}
        env.update(unit.env)
        with log_path.open("ab") as log:
            try:
                process = subprocess.Popen(
                    self._argv(unit), env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True, close_fds=True,
                )
            except OSError as exc:
                raise UnitError(f"{unit.name}: cannot start: {exc}") from exc
        return {"runtime": self.name, "unit": unit.name, "pid": process.pid,
                "ticks": start_ticks(process.pid), "log": str(log_path)}

    def _pid(self, handle: dict[str, object]) -> int | None:
        pid = handle.get("pid")
        if not isinstance(pid, int) or not process_alive(pid):
            return None
        if handle.get("ticks") is not None and start_ticks(pid) != handle.get("ticks"):
            return None  # the pid was recycled by another process
        return pid

    def is_running(self, handle: dict[str, object]) -> bool:
        return self._pid(handle) is not None

    def stop(self, handle: dict[str, object], timeout: float = 10.0) -> None:
        pid = self._pid(handle)
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        if wait_exited(pid, timeout):
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)

    def remove(self, handle: dict[str, object]) -> None:
        return None

    def logs(self, handle: dict[str, object], lines: int) -> str:
        log = handle.get("log")
        return tail(Path(str(log)), lines) if log else ""

    def memory_bytes(self, handle: dict[str, object]) -> int | None:
        pid = self._pid(handle)
        return resident_bytes(pid) if pid is not None else None
