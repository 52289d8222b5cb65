"""Runtimes start and stop the network's units: local processes (native) or containers (docker)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from ..errors import NetworkError

UnitKind = Literal["orderer", "peer", "chaincode"]


@dataclass(frozen=True)
class Unit:
    """One long-running program of the network: an orderer, a peer or a chaincode server.

    ``program`` is ``orderer``, ``peer`` or ``chaincode``; each runtime maps it to a binary or an image.
    ``mounts`` are host directories the unit reads or writes (containers bind-mount them at the same path).
    """

    name: str
    kind: UnitKind
    program: str
    args: tuple[str, ...]
    env: dict[str, str]
    ports: dict[str, int]
    health_port: int | None = None  # operations port serving /healthz
    mounts: tuple[Path, ...] = field(default_factory=tuple)


class UnitError(NetworkError):
    """A unit could not be started or stopped."""


class Runtime(Protocol):
    """What the orchestrator needs from a runtime. Handles are JSON-serialisable dicts (kept in state.json)."""

    name: str

    def prepare(self) -> None:
        """Make the runtime usable (start an engine, build images); idempotent."""

    def start(self, unit: Unit) -> dict[str, object]:
        """Start ``unit``; return a handle that identifies the running instance."""

    def is_running(self, handle: dict[str, object]) -> bool:
        """Whether the instance behind ``handle`` is still running."""

    def stop(self, handle: dict[str, object], timeout: float = 10.0) -> None:
        """Stop the instance (SIGTERM, then SIGKILL after ``timeout``); a stopped one is left alone."""

    def remove(self, handle: dict[str, object]) -> None:
        """Remove what is left of a stopped instance (containers); nothing for processes."""

    def logs(self, handle: dict[str, object], lines: int) -> str:
        """The last ``lines`` lines the instance wrote."""

    def memory_bytes(self, handle: dict[str, object]) -> int | None:
        """Resident memory of the running instance, if known."""
