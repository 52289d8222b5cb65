"""The default network on real Fabric: membership, MAJORITY endorsement, restart with data, status."""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner

from tradefin.cli import main
from tradefin.network.network import FabricNetwork
from tradefin.network.peer_admin import PeerAdmin, PeerCommandError
from tradefin.network.processes import process_alive


def test_every_bank_peer_joined_its_channels(fabric_network: FabricNetwork) -> None:
    for bank in fabric_network.spec.banks:
        expected = {c.name for c in fabric_network.spec.channels if bank.name in c.banks}
        assert set(fabric_network.peer_admin(bank).joined_channels()) == expected
    # bank1 is on both consortium channels, the others on one each
    assert len(fabric_network.peer_admin(fabric_network.spec.bank("bank1")).joined_channels()) == 2


def test_status_reports_every_node_running_and_healthy(fabric_network: FabricNetwork) -> None:
    status = fabric_network.status()
    assert status.state == "running"
    kinds = {u.kind for u in status.units}
    assert kinds == {"orderer", "peer", "chaincode"}
    assert all(u.running for u in status.units)
    assert all(u.healthy for u in status.units if u.kind in ("orderer", "peer"))
    # one chaincode server per bank of each channel
    assert len([u for u in status.units if u.kind == "chaincode"]) == 4


@pytest.mark.parametrize("channel", ["asia-europe", "asia-americas"])
def test_kv_invoke_and_query_with_the_peer_cli_under_majority(fabric_network: FabricNetwork, channel: str) -> None:
    net = fabric_network
    banks = net.spec.channel_banks(channel)
    key, value = f"greeting-{time.time_ns()}", f"hello {channel}"
    net.peer_admin(banks[0]).invoke(channel, "tradefin", ["kv:Put", key, value], net.orderer_port(),
                                    net.endorsers(channel))
    for bank in banks:  # every bank's peer has committed the same value
        assert net.peer_admin(bank).query(channel, "tradefin", ["kv:Get", key]) == value


def test_one_bank_alone_cannot_satisfy_majority(fabric_network: FabricNetwork) -> None:
    net = fabric_network
    channel = "asia-europe"
    bank1 = net.spec.bank("bank1")
    only_bank1 = [(net.peer_admin(bank1).address, net.layout.peer_crypto(bank1, 0) / "tls" / "ca.crt")]
    key = f"lonely-{time.time_ns()}"
    with pytest.raises(PeerCommandError) as info:
        net.peer_admin(bank1).invoke(channel, "tradefin", ["kv:Put", key, "x"], net.orderer_port(),
                                     only_bank1)
    assert "ENDORSEMENT_POLICY_FAILURE" in info.value.output
    with pytest.raises(PeerCommandError):
        net.peer_admin(bank1).query(channel, "tradefin", ["kv:Get", key])


def test_a_channel_is_private_to_its_banks(fabric_network: FabricNetwork) -> None:
    bank3: PeerAdmin = fabric_network.peer_admin(fabric_network.spec.bank("bank3"))
    with pytest.raises(PeerCommandError):
        bank3.query("asia-europe", "tradefin", ["kv:Get", "tradefin.ready"])


def test_up_twice_does_not_start_a_second_copy(fabric_network: FabricNetwork) -> None:
    before = {name: handle.get("pid") for name, handle in fabric_network.units.items()}
    fabric_network.up()
    after = {name: handle.get("pid") for name, handle in fabric_network.units.items()}
    assert before == after


def test_stop_and_restart_keeps_the_ledger(fabric_network: FabricNetwork) -> None:
    net = fabric_network
    channel = "asia-americas"
    banks = net.spec.channel_banks(channel)
    key = f"survivor-{time.time_ns()}"
    net.peer_admin(banks[0]).invoke(channel, "tradefin", ["kv:Put", key, "still here"], net.orderer_port(),
                                    net.endorsers(channel))
    pids = [handle["pid"] for handle in net.units.values()]
    net.down()
    assert net.status().state == "stopped"
    assert all(not process_alive(pid) for pid in pids)
    said = CliRunner().invoke(main, ["--workdir", str(net.workdir), "network", "status"])
    assert said.exit_code == 0 and "is stopped" in said.output
    as_json = CliRunner().invoke(main, ["--workdir", str(net.workdir), "network", "status", "--json"])
    assert json.loads(as_json.output)["state"] == "stopped"
    net.up()
    assert net.status().state == "running"
    for bank in banks:
        assert net.peer_admin(bank).query(channel, "tradefin", ["kv:Get", key]) == "still here"


def test_chaincode_deploy_of_a_second_chaincode(fabric_network: FabricNetwork) -> None:
    """`chaincode deploy`: packaged, installed and approved by both banks, committed, served, invoked."""
    net = fabric_network
    deployed = net.deploy_chaincode("asia-americas", "kvonly", "1.0", "tradefin.chaincode.contracts.kv:KvContract")
    assert deployed.package_id.startswith("kvonly_1.0:") and deployed.sequence == 1
    served = net.prove_invocation("asia-americas", "kvonly")
    assert set(served) == {"Bank1MSP", "Bank3MSP"}
    assert all("kv" in names and "lc" not in names for names in served.values())
    bank1, bank3 = net.spec.channel_banks("asia-americas")
    net.peer_admin(bank1).invoke("asia-americas", "kvonly", ["kv:Put", "only", "here"], net.orderer_port(),
                                 net.endorsers("asia-americas"))
    assert net.peer_admin(bank3).query("asia-americas", "kvonly", ["kv:Get", "only"]) == "here"
    # deploying the same thing again changes nothing (same package id, same sequence)
    again = net.deploy_chaincode("asia-americas", "kvonly", "1.0", "tradefin.chaincode.contracts.kv:KvContract")
    assert again == deployed
    assert net.status().state == "running"
