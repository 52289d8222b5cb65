"""Port allocation: deterministic, disjoint, named, below the ephemeral range; busy ports are named."""

from __future__ import annotations

import itertools
import socket
from pathlib import Path

import pytest

from tradefin.network import ports
from tradefin.network.ports import BLOCK_SIZE, PortError, check_free, check_port_base, default_base, plan_ports
from tradefin.network.spec import load_spec


def test_same_spec_and_base_give_the_same_ports() -> None:
    spec = load_spec()
    assert plan_ports(spec, 20000) == plan_ports(spec, 20000)


@pytest.mark.parametrize("variant", ["raft1", "raft3", "bft4"])
def test_ports_are_unique_and_inside_the_block(variant: str) -> None:
    plan = plan_ports(load_spec().with_orderers(variant), 20400)
    ports = [port for _, _, port in plan.all_ports()]
    assert len(ports) == len(set(ports))
    assert min(ports) >= 20400 and max(ports) < 20400 + BLOCK_SIZE


def test_blocks_of_parallel_workers_do_not_overlap(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = load_spec().with_orderers("bft4")
    monkeypatch.delenv("TRADEFIN_PORT_BASE", raising=False)
    bases = []
    for worker in ("gw0", "gw1", "gw2", "gw5"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        bases.append(default_base())
    plans = [{p for _, _, p in plan_ports(spec, base).all_ports()} for base in bases]
    assert all(not (one & other) for one, other in itertools.combinations(plans, 2))


def test_every_node_has_its_named_ports() -> None:
    plan = plan_ports(load_spec(), 20000)
    assert set(plan.nodes["orderer0"]) == {"listen", "admin", "operations"}
    assert set(plan.nodes["bank2-peer0"]) == {"listen", "chaincode", "operations"}
    assert len(plan.chaincode_slots["bank3"]) == 8


def test_ephemeral_range_and_low_ports_are_refused() -> None:
    with pytest.raises(PortError, match="ephemeral"):
        plan_ports(load_spec(), 32700)
    with pytest.raises(PortError, match="below 1024"):
        plan_ports(load_spec(), 80)


def test_busy_port_is_reported_with_node_and_port() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        busy = sock.getsockname()[1]
        with pytest.raises(PortError) as info:
            check_free([("bank1-peer0", "operations", busy)])
    assert f"port {busy} (bank1-peer0 operations) is already in use" in str(info.value)


@pytest.mark.parametrize("value, message", [
    ("abc", "TRADEFIN_PORT_BASE='abc' is not a port number"),
    ("20000.5", "TRADEFIN_PORT_BASE='20000.5' is not a port number"),
    ("80", "TRADEFIN_PORT_BASE: port base 80 is below 1024"),
    ("32700", "TRADEFIN_PORT_BASE: the port block 32700-32899 reaches into the ephemeral range"),
])
def test_a_bad_port_base_in_the_environment_is_named(monkeypatch: pytest.MonkeyPatch, value: str, message: str) -> None:
    # 'abc' was int()'s ValueError, a traceback from `tradefin network up`; a number out of range was refused
    # without saying where it came from
    monkeypatch.setenv("TRADEFIN_PORT_BASE", value)
    with pytest.raises(PortError) as refused:
        default_base()
    assert str(refused.value).startswith(message)


def test_the_highest_port_base_ends_the_block_below_the_ephemeral_range(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEFIN_PORT_BASE", str(32768 - BLOCK_SIZE))
    assert default_base() == 32768 - BLOCK_SIZE
    check_port_base(1024)
    with pytest.raises(PortError):
        check_port_base(32768 - BLOCK_SIZE + 1)


def _server(listen: bool, family: socket.AddressFamily = socket.AF_INET) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # gRPC servers (our chaincode server) listen on an IPv6 socket at 127.0.0.1's IPv4-mapped address
        sock.bind(("127.0.0.1", 0) if family == socket.AF_INET else ("::ffff:127.0.0.1", 0))
    except OSError as exc:
        sock.close()
        pytest.skip(f"no {family.name} socket on 127.0.0.1 here: {exc}")
    if listen:
        sock.listen()
    return sock


@pytest.mark.parametrize("family", [socket.AF_INET, socket.AF_INET6], ids=["ipv4", "ipv4-mapped-ipv6"])
@pytest.mark.parametrize("proc_table", [True, False], ids=["kernel-socket-table", "connect-fallback"])
def test_listening_tells_a_listening_port_from_a_bound_or_closed_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, proc_table: bool, family: socket.AddressFamily
) -> None:
    if not proc_table:
        monkeypatch.setattr(ports, "PROC_NET", tmp_path / "absent")
    with _server(listen=True, family=family) as server, _server(listen=False, family=family) as bound:
        assert ports.listening(server.getsockname()[1])
        assert not ports.listening(bound.getsockname()[1])
        closed = server.getsockname()[1]
    assert not ports.listening(closed)


@pytest.mark.parametrize("family", [socket.AF_INET, socket.AF_INET6], ids=["ipv4", "ipv4-mapped-ipv6"])
def test_listening_makes_no_connection_where_the_kernel_lists_its_sockets(family: socket.AddressFamily) -> None:
    # A TLS server (peer, orderer) logs a connection closed before its handshake as an error; `up` asks
    # whether each node's ports listen once a node starts, so asking must not connect.
    if not (ports.PROC_NET / "tcp").exists():
        pytest.skip("no /proc/net/tcp here: listening() connects")
    with _server(listen=True, family=family) as server:
        assert ports.listening(server.getsockname()[1])
        server.setblocking(False)
        with pytest.raises(BlockingIOError):
            server.accept()
