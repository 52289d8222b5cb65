"""SmartBFT with four orderers (Fabric v3): up, transactions through the gateway, one orderer down."""

from __future__ import annotations

import time
from pathlib import Path

from tradefin.network.network import FabricNetwork
from tradefin.network.ports import default_base
from tradefin.network.progress import SilentProgress

from .conftest import BFT4_BLOCK_OFFSET


def test_bft4_network_commits_and_tolerates_one_dead_orderer(tmp_path: Path) -> None:
    network = FabricNetwork.create(tmp_path / "bft4", orderers="bft4", port_base=default_base() + BFT4_BLOCK_OFFSET,
                                   progress=SilentProgress())
    try:
        network.up()
        assert network.spec.orderer.consensus == "BFT"
        orderers = network.spec.orderer.node_names()
        assert len(orderers) == 4
        for orderer in orderers:  # every orderer is an active consenter of both channels
            for channel in network.spec.channels:
                membership = network.participation(orderer).channel(channel.name)
                assert membership is not None
                assert (membership.status, membership.consensus_relation) == ("active", "consenter")

        bank1 = network.spec.bank("bank1")
        with network.gateway(bank1) as gateway:
            contract = gateway.get_network("asia-europe").get_contract("tradefin")
            contract.submit("kv:Put", ["bft", "four"])
            # f = 1: with one orderer (not the leader) stopped, the gateway still gets its quorum of 3
            follower = next(o for o in orderers if o != network.leader("asia-europe"))
            network.stop_node(follower)
            started = time.monotonic()
            for i in range(5):
                contract.submit("kv:Put", [f"bft-{i}", "still ordered"])
            assert time.monotonic() - started < 30
            assert contract.evaluate("kv:Get", ["bft-4"]) == b"still ordered"
    finally:
        network.down(purge=True)
