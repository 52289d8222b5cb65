"""Deterministic port allocation: one block of ports per network, named ports per node.

Like Fabric's own integration framework, every node reserves a fixed list of named ports taken in
order from the network's block, so the same spec and base always give the same ports, and parallel
test workers (each with its own block) never collide. Blocks stay below Linux's ephemeral range.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import NetworkError

if TYPE_CHECKING:  # the spec checks its port need with ports_needed(): no import cycle at run time
    from .spec import NetworkSpec

HOST = "127.0.0.1"  # every node and chaincode server of a network listens on loopback only
BLOCK_SIZE = 200
DEFAULT_BASE = 20000
WORKER_RANGE = 2000  # ports per pytest-xdist worker: its session network plus the tests' own networks
EPHEMERAL_START = 32768
ORDERER_PORTS = ("listen", "admin", "operations")
PEER_PORTS = ("listen", "chaincode", "operations")
CHAINCODE_SLOTS = 8  # chaincode servers each bank can run (one per deployed chaincode and channel)
PORTS_PER_NODE = 4  # ports reserved per orderer or peer (one spare)


class PortError(NetworkError):
    """A port is unusable; the message names the node and the port."""


@dataclass(frozen=True)
class PortPlan:
    """Every port of one network, by node name and port name."""

    base: int
    nodes: dict[str, dict[str, int]]
    chaincode_slots: dict[str, list[int]]  # bank name -> ports of its chaincode server slots

    def port(self, node: str, name: str) -> int:
        return self.nodes[node][name]

    def all_ports(self) -> list[tuple[str, str, int]]:
        rows = [(node, name, port) for node, ports in self.nodes.items() for name, port in ports.items()]
        rows += [(f"{bank}-chaincode", f"slot{i}", port)
                 for bank, ports in self.chaincode_slots.items() for i, port in enumerate(ports)]
        return rows


def default_base() -> int:
    """TRADEFIN_PORT_BASE, else a range of WORKER_RANGE ports per pytest-xdist worker from 20000."""
    explicit = os.environ.get("TRADEFIN_PORT_BASE")
    if explicit:
        try:
            base = int(explicit)
        except ValueError:
            raise PortError(f"TRADEFIN_PORT_BASE={explicit!r} is not a port number") from None
        try:
            check_port_base(base)
        except PortError as exc:
            raise PortError(f"TRADEFIN_PORT_BASE: {exc}") from None
        return base
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    return DEFAULT_BASE + index * WORKER_RANGE


def ports_needed(orderer_nodes: int, bank_peers: Iterable[int]) -> int:
    """Ports :func:`plan_ports` takes from the block for these orderer nodes and banks (their peer counts)."""
    return orderer_nodes * PORTS_PER_NODE + sum(peers * PORTS_PER_NODE + CHAINCODE_SLOTS for peers in bank_peers)


def check_port_base(base: int) -> None:
    """Refuse a block that starts below 1024 (privileged ports) or reaches into the ephemeral range."""
    if base < 1024:
        raise PortError(f"port base {base} is below 1024")
    if base + BLOCK_SIZE > EPHEMERAL_START:
        raise PortError(f"the port block {base}-{base + BLOCK_SIZE - 1} reaches into the ephemeral range "
                        f"(from {EPHEMERAL_START})")


def plan_ports(spec: NetworkSpec, base: int) -> PortPlan:
    """Assign ports in a fixed order: orderers, then each bank's peers, then its chaincode slots."""
    check_port_base(base)
    nodes: dict[str, dict[str, int]] = {}
    slots: dict[str, list[int]] = {}
    cursor = base
    for name in spec.orderer.node_names():
        nodes[name] = {port: cursor + i for i, port in enumerate(ORDERER_PORTS)}
        cursor += PORTS_PER_NODE
    for bank in spec.banks:
        for name in bank.peer_names():
            nodes[name] = {port: cursor + i for i, port in enumerate(PEER_PORTS)}
            cursor += PORTS_PER_NODE
        slots[bank.name] = list(range(cursor, cursor + CHAINCODE_SLOTS))
        cursor += CHAINCODE_SLOTS
    if cursor - base > BLOCK_SIZE:  # a spec is checked against the block when it is read (spec.check_port_need)
        raise PortError(f"the network needs {cursor - base} ports, more than a block of {BLOCK_SIZE}")
    return PortPlan(base, nodes, slots)


def port_in_use(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise
    return False


PROC_NET = Path("/proc/net")  # Linux's tables of TCP sockets, "tcp" and "tcp6" (the caller's network namespace)
TCP_LISTEN = "0A"  # a socket's state in those tables: listening


def _table_address(address: bytes, port: int) -> str:
    """An address and port as the kernel's socket tables print them: each 32-bit word of the address (kept in
    network order) as a number of this machine's byte order, in hex, then the port in hex."""
    words = (int.from_bytes(address[i:i + 4], sys.byteorder) for i in range(0, len(address), 4))
    return "".join(f"{word:08X}" for word in words) + f":{port:04X}"


def listening(*ports: int, host: str = HOST) -> bool:
    """Whether a server listens on each of ``ports`` of ``host``, on an IPv4 socket or an IPv6 one at the
    IPv4-mapped address (gRPC servers listen so). Read from the kernel's socket tables (once for all the
    ports) where there are some, so that nothing connects: a TLS server (a peer, an orderer) logs a
    connection closed before its handshake as an error. Elsewhere, by connecting."""
    ipv4 = socket.inet_aton(host)
    try:
        tables = {"tcp": (PROC_NET / "tcp").read_text()}
    except OSError:
        return all(_accepts(host, port) for port in ports)
    with contextlib.suppress(OSError):  # no IPv6 here
        tables["tcp6"] = (PROC_NET / "tcp6").read_text()
    listeners = set()
    for name, table in tables.items():
        for row in table.splitlines()[1:]:  # "sl local_address rem_address st ..."
            fields = row.split()
            if len(fields) > 3 and fields[3] == TCP_LISTEN:
                listeners.add((name, fields[1]))
    mapped = bytes(10) + b"\xff\xff" + ipv4
    return all(("tcp", _table_address(ipv4, port)) in listeners or ("tcp6", _table_address(mapped, port)) in listeners
               for port in ports)


def _accepts(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def check_free(ports: list[tuple[str, str, int]]) -> None:
    """Raise :class:`PortError` naming the first node whose port is taken."""
    for node, name, port in ports:
        if port_in_use(port):
            raise PortError(f"port {port} ({node} {name}) is already in use on {HOST}")
