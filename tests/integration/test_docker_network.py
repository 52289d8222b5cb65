"""The same smoke test under the docker runtime: one container per orderer, peer and chaincode server."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tradefin.network.network import FabricNetwork
from tradefin.network.progress import SilentProgress
from tradefin.network.runtime.docker import DockerRuntime, workdir_hash

from .conftest import DOCKER_BLOCK_OFFSET

pytestmark = pytest.mark.docker


def test_default_network_under_docker(tmp_path: Path) -> None:
    from tradefin.network.ports import default_base

    workdir = tmp_path / "docker-net"
    network = FabricNetwork.create(workdir, runtime="docker", port_base=default_base() + DOCKER_BLOCK_OFFSET,
                                   progress=SilentProgress())
    try:
        network.up()
        status = network.status()
        assert status.state == "running"
        assert all(u.running for u in status.units)
        assert all(u.healthy for u in status.units if u.kind in ("orderer", "peer"))
        runtime = network.runtime
        assert isinstance(runtime, DockerRuntime)
        containers = runtime.containers()
        assert len(containers) == len(status.units) == 1 + 3 + 4
        assert all(workdir_hash(workdir) in name for name in containers)

        for channel in network.spec.channels:  # peer CLI, MAJORITY: both banks endorse
            banks = network.spec.channel_banks(channel.name)
            key = f"docker-{time.time_ns()}"
            network.peer_admin(banks[0]).invoke(channel.name, "tradefin", ["kv:Put", key, "in a container"],
                                                network.orderer_port(), network.endorsers(channel.name))
            for bank in banks:
                assert network.peer_admin(bank).query(channel.name, "tradefin", ["kv:Get", key]) == "in a container"

        network.down()
        assert network.status().state == "stopped"
        assert runtime.containers() == []
        network.up()
        bank2 = network.spec.bank("bank2")
        assert network.peer_admin(bank2).query("asia-europe", "tradefin", ["kv:Get", "tradefin.ready"])
    finally:
        network.down(purge=True)
    assert not workdir.exists()
