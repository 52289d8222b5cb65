"""The main job: a real network, the chaincode on every channel, and a real flow through the clients."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from .network.network import FabricNetwork
from .network.progress import Progress


@dataclass
class Timeline:
    """Who did what, on which channel, in which block."""

    rows: list[tuple[str, str, str, str, str]] = field(default_factory=list)

    def add(self, actor: str, action: str, channel: str, block: int | None, detail: str) -> None:
        self.rows.append((actor, action, channel, "-" if block is None else str(block), detail))

    def render(self, console: Console, title: str) -> None:
        table = Table(title=title)
        for column in ("who", "did", "channel", "block", "detail"):
            table.add_column(column, overflow="fold")
        for row in self.rows:
            table.add_row(*row)
        console.print(table)


def run_demo(workdir: Path | None, progress: Progress, console: Console, *, runtime: str | None = None) -> Timeline:
    """Bring the network up (or reuse it), then write and read a value on each channel through the gateway."""
    network = FabricNetwork.create(workdir, runtime=runtime, progress=progress)
    started = time.monotonic()
    network.up()
    console.print(f"network up in {time.monotonic() - started:.1f}s ({network.runtime_name}, "
                  f"{network.spec.orderer.variant}); workdir {network.workdir}")
    timeline = Timeline()
    for channel in network.spec.channels:
        writer, reader = network.spec.channel_banks(channel.name)[:2]
        key, value = f"demo-{time.time_ns()}", f"hello from {writer.display_name}"
        with network.gateway(writer) as gateway:
            contract = gateway.get_network(channel.name).get_contract(network.spec.chaincode.name)
            submitted = contract.submit_async("kv:Put", [key, value])
            status = submitted.status()
            timeline.add(writer.display_name, f"kv:Put {key}", channel.name, status.block_number,
                         f"{status.code_name}, tx {submitted.transaction_id[:12]}…")
        with network.gateway(reader) as gateway:
            contract = gateway.get_network(channel.name).get_contract(network.spec.chaincode.name)
            read = contract.evaluate("kv:Get", [key]).decode()
            if read != value:
                raise RuntimeError(f"{reader.display_name} read {read!r} on {channel.name}, expected {value!r}")
            timeline.add(reader.display_name, f"kv:Get {key}", channel.name, None, f"read back {read!r}")
    return timeline
