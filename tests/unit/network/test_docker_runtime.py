"""The docker runtime without an engine: container names, units mapped to containers, memory, no-engine paths."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tradefin.network.fabric import FabricInstallation
from tradefin.network.layout import Layout
from tradefin.network.runtime import Runtime, Unit, UnitError
from tradefin.network.runtime.docker import (
    LABEL_KIND,
    LABEL_NETWORK,
    LABEL_UNIT,
    LABEL_WORKDIR,
    DockerRuntime,
    container_name,
    container_options,
    tree_rss_bytes,
    workdir_hash,
)
from tradefin.network.spec import load_spec


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    return Layout(tmp_path / "net", load_spec())


def _peer_unit(root: Path) -> Unit:
    env = {"FABRIC_CFG_PATH": str(root / "nodes" / "bank1-peer0"), "FABRIC_LOGGING_SPEC": "info"}
    return Unit("bank1-peer0", "peer", "peer", ("node", "start"), env, {"listen": 21004, "operations": 21006},
                21006, (root,))


def test_names_differ_per_working_directory_and_unit() -> None:
    a = container_name("tradefin", Path("/tmp/a"), "bank1-peer0")
    assert a == f"tradefin-{workdir_hash(Path('/tmp/a'))}-bank1-peer0"
    assert a == container_name("tradefin", Path("/tmp/a"), "bank1-peer0")
    assert a != container_name("tradefin", Path("/tmp/b"), "bank1-peer0")
    assert a != container_name("tradefin", Path("/tmp/a"), "bank2-peer0")
    assert len(workdir_hash(Path("/tmp/a"))) == 8


def test_names_use_only_characters_docker_accepts() -> None:
    name = container_name("my net", Path("/w"), "peer/0:x")
    assert name.replace("-", "").replace("_", "").replace(".", "").isalnum()
    assert container_name("-net", Path("/w"), "p")[0].isalnum()


def test_peer_unit_maps_to_a_host_network_container(layout: Layout) -> None:
    unit = _peer_unit(layout.root)
    options = container_options(unit, "tradefin/fabric-peer:3.1.5-abc", layout, user="1000:1000")
    assert options["image"] == "tradefin/fabric-peer:3.1.5-abc"
    assert options["name"] == container_name("tradefin", layout.root, "bank1-peer0")
    assert options["entrypoint"] == ["/usr/local/bin/peer"]
    assert options["command"] == ["node", "start"]
    assert options["environment"] == unit.env
    assert options["network_mode"] == "host"
    assert "ports" not in options  # host networking: nothing is published
    assert options["volumes"] == {str(layout.root): {"bind": str(layout.root), "mode": "rw"}}
    assert options["restart_policy"] == {"Name": "no"}
    assert options["init"] is True
    assert options["user"] == "1000:1000"
    assert options["labels"] == {LABEL_WORKDIR: str(layout.root), LABEL_NETWORK: "tradefin",
                                 LABEL_UNIT: "bank1-peer0", LABEL_KIND: "peer"}


def test_orderer_and_chaincode_units_map_to_their_programs(layout: Layout) -> None:
    orderer = Unit("orderer0", "orderer", "orderer", (), {"FABRIC_CFG_PATH": "/x"}, {"listen": 1}, 3,
                   (layout.root,))
    options = container_options(orderer, "tradefin/fabric-orderer:x", layout)
    assert options["entrypoint"] == ["/usr/local/bin/orderer"]
    assert options["command"] is None
    assert options["user"] == f"{os.getuid()}:{os.getgid()}"
    args = ("serve", "--address", "127.0.0.1:21008", "--package-id", "tradefin_1.0:abc")
    chaincode = Unit("bank1-cc-tradefin-asia-europe", "chaincode", "chaincode", args, {"PYTHONUNBUFFERED": "1"},
                     {"server": 21008}, None, (layout.root,))
    options = container_options(chaincode, "tradefin/chaincode:x", layout)
    assert options["entrypoint"] == ["/opt/tradefin/bin/python3", "-m", "tradefin.chaincode"]
    assert options["command"] == list(args)
    assert options["labels"][LABEL_KIND] == "chaincode"


def test_unknown_program_is_refused(layout: Layout) -> None:
    unit = Unit("x", "peer", "couchdb", (), {}, {}, None, ())
    with pytest.raises(UnitError, match="couchdb"):
        container_options(unit, "img", layout)


def test_tree_rss_counts_the_process_and_its_children() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; b = bytearray(64 << 20); time.sleep(30)"],
                             stdout=subprocess.PIPE)
    try:
        own = tree_rss_bytes(child.pid)
        for _ in range(100):  # wait until the child touched its 64 MiB
            own = tree_rss_bytes(child.pid)
            if own > 64 << 20:
                break
            subprocess.run(["sleep", "0.05"], check=False)
        assert own > 64 << 20
        assert tree_rss_bytes(os.getpid()) > own  # the parent includes its child
    finally:
        child.kill()
        child.wait()


def _no_engine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/absent.sock")


def test_without_an_engine_nothing_runs_and_nothing_is_started(layout: Layout, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _no_engine(monkeypatch, tmp_path)
    fabric = FabricInstallation(tmp_path, tmp_path, "3.1.5", "0" * 40, "cache")
    runtime: Runtime = DockerRuntime(fabric, layout)
    handle: dict[str, object] = {"runtime": "docker", "unit": "orderer0", "container": "c", "id": "abc"}
    assert runtime.name == "docker"
    assert runtime.is_running(handle) is False
    assert runtime.memory_bytes(handle) is None
    runtime.stop(handle)
    runtime.remove(handle)
    assert runtime.logs(handle, 10) == ""
    layout.logs.mkdir(parents=True)
    layout.log("orderer0").write_text("line 1\nline 2\n")
    assert runtime.logs(handle, 1) == "line 2\n"  # saved output of a removed container


def test_start_without_an_engine_fails_clearly(layout: Layout, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _no_engine(monkeypatch, tmp_path)
    fabric = FabricInstallation(tmp_path, tmp_path, "3.1.5", "0" * 40, "cache")
    with pytest.raises(UnitError, match="bank1-peer0: no Docker engine answers at DOCKER_HOST"):
        DockerRuntime(fabric, layout).start(_peer_unit(layout.root))


def test_an_engine_that_went_away_counts_as_nothing_running(layout: Layout, tmp_path: Path) -> None:
    import docker

    fabric = FabricInstallation(tmp_path, tmp_path, "3.1.5", "0" * 40, "cache")
    runtime = DockerRuntime(fabric, layout)
    runtime._client = docker.DockerClient(base_url=f"unix://{tmp_path}/gone.sock", version="1.41", timeout=2)
    handle: dict[str, object] = {"runtime": "docker", "unit": "bank1-peer0", "container": "c", "id": "abc"}
    assert runtime.is_running(handle) is False
    assert runtime.memory_bytes(handle) is None
    runtime.stop(handle)
    runtime.remove(handle)
    assert runtime.logs(handle, 5) == ""


def test_stopping_with_no_grace_kills_at_once_as_the_native_runtime_does(layout: Layout, tmp_path: Path) -> None:
    from docker.errors import APIError

    class Api:
        def __init__(self) -> None:
            self.calls: list[tuple[str, object]] = []
            self.running = True

        def kill(self, container: str) -> None:
            self.calls.append(("kill", container))
            if not self.running:
                response = type("Response", (), {"status_code": 409, "reason": "Conflict", "url": ""})()
                raise APIError("is not running", response=response)
            self.running = False

        def stop(self, container: str, timeout: int) -> None:
            self.calls.append(("stop", timeout))

    class Client:
        api = Api()

    fabric = FabricInstallation(tmp_path, tmp_path, "3.1.5", "0" * 40, "cache")
    runtime = DockerRuntime(fabric, layout)
    runtime._client = Client()  # type: ignore[assignment]
    handle: dict[str, object] = {"runtime": "docker", "unit": "bank1-peer0", "container": "c", "id": "abc"}
    runtime.stop(handle, timeout=0)
    runtime.stop(handle, timeout=0)  # already dead: nothing to do, no error
    runtime.stop(handle, timeout=10)
    assert Client.api.calls == [("kill", "abc"), ("kill", "abc"), ("stop", 10)]
