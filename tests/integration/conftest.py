"""The real Fabric network the integration tests run against, started once per test session.

The default three-bank, two-channel network comes up natively in a temporary working directory, on
this worker's port block, with the project's chaincode deployed on both channels; it is purged at the
end. Nothing here is a stand-in: the nodes are Fabric's own peer and orderer built from its Go module.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tradefin.network.network import FabricNetwork
from tradefin.network.ports import default_base
from tradefin.network.progress import SilentProgress

# Port blocks (200 ports each) inside this worker's range (ports.WORKER_RANGE): the session network
# takes the first block; every test that brings up a network of its own has a block of its own here.
THREE_BANK_BLOCK_OFFSET = 800
FAULT_BLOCK_OFFSET = 1000
BFT4_BLOCK_OFFSET = 1200
DOCKER_BLOCK_OFFSET = 1400
RAFT3_BLOCK_OFFSET = 1600
THREE_BANK_SPEC = Path(__file__).parent / "specs" / "three_banks.yaml"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.path):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def fabric_network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FabricNetwork]:
    """The default network (raft1, native), up with the chaincode on every channel."""
    workdir = Path(os.environ.get("TRADEFIN_TEST_WORKDIR") or tmp_path_factory.mktemp("network"))
    network = FabricNetwork.create(workdir, port_base=default_base(), progress=SilentProgress())
    network.up()
    try:
        yield network
    finally:
        network.down(purge=True)


@pytest.fixture(scope="session")
def three_bank_network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FabricNetwork]:
    """Three banks on each of two consortium channels (tri-consortium, tri-pay), started on first use."""
    workdir = tmp_path_factory.mktemp("three-banks")
    network = FabricNetwork.create(workdir, THREE_BANK_SPEC, port_base=default_base() + THREE_BANK_BLOCK_OFFSET,
                                   progress=SilentProgress())
    network.up()
    try:
        yield network
    finally:
        network.down(purge=True)


@pytest.fixture()
def port_block() -> int:
    """A port block of its own for a test that starts a throw-away network."""
    return default_base() + FAULT_BLOCK_OFFSET
