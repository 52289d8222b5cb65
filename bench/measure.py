"""What the load benchmarks share: their network, and what they measure over one window (latencies of
committed operations, failures, and the CPU time of the network's chaincode servers and peers (native
runtime, from /proc) and of the client)."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Awaitable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tradefin.network.network import FabricNetwork

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def default_network(workdir: Path | None, port_base: int, benchmark: str) -> Iterator[FabricNetwork]:
    """The default network, up: the one in ``workdir`` (left running), else a new one purged afterwards."""
    from tradefin.network.network import FabricNetwork
    from tradefin.network.progress import SilentProgress

    root = workdir or Path(tempfile.mkdtemp(prefix=f"tradefin-bench-{benchmark}-"))
    network = FabricNetwork.create(root, port_base=port_base, progress=SilentProgress())
    try:
        network.up()
        yield network
    finally:
        if workdir is None:
            network.down(purge=True)


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank ``fraction`` percentile of ``values``; NaN when there are none."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def cpu_seconds(network: FabricNetwork, kind: str) -> float:
    """User + system CPU seconds used so far by the network's processes of one kind (chaincode, peer)."""
    total = 0
    for handle in network.units.values():
        if handle.get("kind") != kind:
            continue
        fields = Path(f"/proc/{handle['pid']}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / CLOCK_TICKS


@dataclass
class Measurement:
    """One workload at one level of operations in flight."""

    workload: str
    in_flight: int
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    chaincode_cpu: float = 0.0
    peer_cpu: float = 0.0
    client_cpu: float = 0.0

    @property
    def committed(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.committed / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        return percentile(self.latencies, fraction)

    def failed(self, error: Exception) -> None:
        """Count an operation that failed, by its error's type and first line."""
        first_line = (str(error).splitlines() or [""])[0]
        self.failures.append(f"{type(error).__name__}: {first_line[:160]}")

    def figures(self) -> list[object]:
        """Throughput, latency p50 / p95 (ms), and CPU ms per committed operation: chaincode, peers, client."""
        per_op = 1000 / self.committed if self.committed else float("nan")
        return [
            f"{self.throughput:.1f}",
            f"{self.percentile(0.5) * 1000:.0f}",
            f"{self.percentile(0.95) * 1000:.0f}",
            f"{self.chaincode_cpu * per_op:.2f}",
            f"{self.peer_cpu * per_op:.2f}",
            f"{self.client_cpu * per_op:.2f}",
        ]

    async def window(self, network: FabricNetwork, work: Awaitable[object]) -> None:
        """Await ``work``, recording its wall time and the CPU time spent meanwhile."""
        chaincode_before, peer_before = cpu_seconds(network, "chaincode"), cpu_seconds(network, "peer")
        client_before = time.process_time()
        started = time.monotonic()
        await work
        self.seconds = time.monotonic() - started
        self.chaincode_cpu = cpu_seconds(network, "chaincode") - chaincode_before
        self.peer_cpu = cpu_seconds(network, "peer") - peer_before
        self.client_cpu = time.process_time() - client_before


def print_failures(measurements: Sequence[Measurement]) -> None:
    """Up to five distinct failures of each measurement, with how often each happened."""
    for result in measurements:
        for failure in sorted(set(result.failures))[:5]:
            print(f"{result.workload} @ {result.in_flight}: {result.failures.count(failure)} x {failure}")
