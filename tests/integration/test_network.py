"""The default network on real Fabric: membership, MAJORITY endorsement, restart with data, status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tradefin.cli import main
from tradefin.network.network import FabricNetwork
from tradefin.network.peer_admin import PeerAdmin, PeerCommandError
from tradefin.network.processes import process_alive
from tradefin.network.progress import SilentProgress


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
    with pytest.raises(PeerCommandError) as read:  # the invalid transaction's write was discarded
        net.peer_admin(bank1).query(channel, "tradefin", ["kv:Get", key])
    assert "does not exist" in read.value.output


def test_a_channel_is_private_to_its_banks(fabric_network: FabricNetwork) -> None:
    bank3: PeerAdmin = fabric_network.peer_admin(fabric_network.spec.bank("bank3"))
    with pytest.raises(PeerCommandError) as refused:
        bank3.query("asia-europe", "tradefin", ["kv:Get", "tradefin.ready"])
    assert "asia-europe" in refused.value.output  # the peer refuses the channel, not the command


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


# --- networks of their own: an interrupted bring-up, a restart, upgrades -----------------------------------


def test_up_after_a_killed_up_finishes_the_bring_up(tmp_path: Path, port_block: int) -> None:
    """`network up` killed once the peers run (no channel joined, no chaincode): the next `up` completes it."""
    workdir = tmp_path / "net"
    env = {**os.environ, "CI": "true", "TRADEFIN_PORT_BASE": str(port_block)}
    process = subprocess.Popen([sys.executable, "-m", "tradefin.cli", "--workdir", str(workdir), "network", "up"],
                               env=env, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    try:
        for line in process.stderr:
            if "Peers join the channels ..." in line:
                process.kill()  # SIGKILL: nothing is cleaned up, the nodes keep running
                break
        process.communicate(timeout=30)
        network = FabricNetwork.create(workdir, progress=SilentProgress())
        nodes = {name: handle["pid"] for name, handle in network.units.items()}
        assert network.status().state == "running"  # every node runs, yet the bring-up never completed
        said = CliRunner().invoke(main, ["--workdir", str(workdir), "network", "up"])
        assert said.exit_code == 0, said.output
        assert "already running" not in said.output
        network = FabricNetwork.create(workdir, progress=SilentProgress())
        assert {name: network.units[name]["pid"] for name in nodes} == nodes  # the nodes were kept
        assert set(network.chaincodes) == {f"{c.name}/tradefin" for c in network.spec.channels}
        for channel in network.spec.channels:
            for bank in network.spec.channel_banks(channel.name):
                assert channel.name in network.peer_admin(bank).joined_channels()
            assert network.prove_invocation(channel.name, "tradefin")
        again = CliRunner().invoke(main, ["--workdir", str(workdir), "network", "up"])
        assert again.exit_code == 0 and "already running" in again.output
    finally:
        if process.poll() is None:
            process.kill()
        FabricNetwork.create(workdir, progress=SilentProgress()).down(purge=True)


def test_restart_brings_back_a_chaincode_deployed_later(tmp_path: Path, port_block: int) -> None:
    net = FabricNetwork.create(tmp_path / "net", port_base=port_block, progress=SilentProgress())
    try:
        net.up()
        channel = "asia-americas"
        net.deploy_chaincode(channel, "kvextra", "1.0", "tradefin.chaincode.contracts.kv:KvContract")
        bank1, bank3 = net.spec.channel_banks(channel)
        net.peer_admin(bank1).invoke(channel, "kvextra", ["kv:Put", "kept", "across restarts"], net.orderer_port(),
                                     net.endorsers(channel))
        net.down()
        said = CliRunner().invoke(main, ["--workdir", str(net.workdir), "network", "up"])
        assert said.exit_code == 0, said.output
        net = FabricNetwork.create(net.workdir, progress=SilentProgress())
        assert net.status().state == "running"
        served = net.prove_invocation(channel, "kvextra")
        assert set(served) == {"Bank1MSP", "Bank3MSP"}
        assert all("kv" in names and "lc" not in names for names in served.values()), served
        assert net.peer_admin(bank3).query(channel, "kvextra", ["kv:Get", "kept"]) == "across restarts"
        # and further deployments are accepted
        net.deploy_chaincode(channel, "kvlater", "1.0", "tradefin.chaincode.contracts.kv:KvContract")
    finally:
        net.down(purge=True)


def test_chaincode_upgrades_replace_the_servers(tmp_path: Path, port_block: int) -> None:
    """Other contracts at the same version, then a new version: each time the new servers answer."""
    net = FabricNetwork.create(tmp_path / "net", port_base=port_block, progress=SilentProgress())
    kv_only = "tradefin.chaincode.contracts.kv:KvContract"
    channel = "asia-americas"

    def deploy(version: str, contracts: str) -> str:
        said = CliRunner().invoke(main, ["--workdir", str(net.workdir), "chaincode", "deploy", "--channel", channel,
                                         "--name", "kvup", "--version", version, "--contracts", contracts])
        assert said.exit_code == 0, said.output
        return said.output

    try:
        net.up()
        assert "sequence 1 committed" in deploy("1.0", kv_only)
        net = FabricNetwork.create(net.workdir, progress=SilentProgress())
        served = net.prove_invocation(channel, "kvup")
        assert all("kv" in names and "lc" not in names for names in served.values()), served
        # the same version (the same package) serving other contracts
        assert "sequence 2 committed" in deploy("1.0", "default")
        net = FabricNetwork.create(net.workdir, progress=SilentProgress())
        served = net.prove_invocation(channel, "kvup")
        assert all("kv" in names and "lc" in names for names in served.values()), served
        # a new version: another package id
        assert "sequence 3 committed" in deploy("2.0", "default")
        net = FabricNetwork.create(net.workdir, progress=SilentProgress())
        servers = [handle for name, handle in net.units.items() if name.endswith("-cc-kvup-asia-americas")]
        assert len(servers) == 2 and all(h["package_id"].startswith("kvup_2.0:") for h in servers)
        assert all("lc" in names for names in net.prove_invocation(channel, "kvup").values())
        assert net.status().state == "running"
    finally:
        net.down(purge=True)
