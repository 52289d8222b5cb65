"""Port allocation: deterministic, disjoint, named, below the ephemeral range; busy ports are named."""

from __future__ import annotations

import socket

import pytest

from tradefin.network.ports import BLOCK_SIZE, PortError, check_free, default_base, plan_ports
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
    for worker in ("gw0", "gw1", "gw2"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        bases.append(default_base())
    plans = [{p for _, _, p in plan_ports(spec, base).all_ports()} for base in bases]
    assert not (plans[0] & plans[1]) and not (plans[1] & plans[2])


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
