"""The orchestrator's decisions without Fabric: when `up` brings the network up, what it restarts, what it keeps.

A fake runtime stands in for processes and containers (a handle runs until it is stopped); the steps that
need Fabric (crypto, joins, deployments) are replaced by recorders where a test does not reach them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tradefin.cli import main
from tradefin.network import channel_config, crypto, identities
from tradefin.network import network as network_module
from tradefin.network.errors import NetworkError
from tradefin.network.fabric import FabricInstallation
from tradefin.network.network import DeployedChaincode, FabricNetwork, NetworkStatus
from tradefin.network.ports import PortError
from tradefin.network.progress import SilentProgress
from tradefin.network.runtime import Unit
from tradefin.network.spec import SpecError, load_spec

PORT_BASE = 28000


class FakeRuntime:
    """Units "run" from start until stop; records what was started and stopped, in order."""

    name = "fake"

    def __init__(self) -> None:
        self.alive: set[int] = set()
        self.started: list[Unit] = []
        self.stopped: list[str] = []
        self._next = 0

    def prepare(self) -> None:
        return None

    def start(self, unit: Unit) -> dict[str, object]:
        self._next += 1
        self.alive.add(self._next)
        self.started.append(unit)
        return {"unit": unit.name, "id": self._next}

    def is_running(self, handle: dict[str, object]) -> bool:
        return handle.get("id") in self.alive

    def stop(self, handle: dict[str, object], timeout: float = 10.0) -> None:
        if handle.get("id") in self.alive:
            self.alive.discard(handle["id"])
            self.stopped.append(str(handle["unit"]))

    def remove(self, handle: dict[str, object]) -> None:
        return None

    def logs(self, handle: dict[str, object], lines: int) -> str:
        return ""

    def memory_bytes(self, handle: dict[str, object]) -> int | None:
        return None


def _network(workdir: Path, port_base: int = PORT_BASE) -> tuple[FabricNetwork, FakeRuntime]:
    fabric = FabricInstallation(workdir / "bin", workdir / "builders", "3.1.5", "0" * 40, "cache")
    spec = load_spec()
    net = FabricNetwork(workdir, spec, network_module._default_spec_text(), port_base=port_base, fabric=fabric,
                        progress=SilentProgress())
    runtime = FakeRuntime()
    net._runtime = runtime
    net._wait_started = lambda unit, handle: None  # type: ignore[method-assign]
    return net, runtime


def _start_nodes(net: FabricNetwork) -> None:
    for unit, _ in net._orderer_units() + net._peer_units():
        net._start(unit)


def _chaincode(net: FabricNetwork, channel: str, name: str, version: str = "1.0", contracts: str = "default",
               package_id: str | None = None, sequence: int = 1) -> DeployedChaincode:
    key = f"{channel}/{name}"
    slot = net._reserve_slot(key)
    deployed = DeployedChaincode(channel, name, version, sequence, package_id or f"{name}_{version}:abc", slot,
                                 contracts)
    net.chaincodes[key] = deployed.__dict__
    return deployed


# --- A: an interrupted `up` is finished by the next one --------------------------------------------------


def test_up_after_an_interrupted_up_finishes_the_bring_up(tmp_path: Path) -> None:
    net, _ = _network(tmp_path / "net")
    _start_nodes(net)  # what a `network up` killed before the joins leaves: nodes running, nothing else
    net._state["status"] = "starting"
    net._save_state()
    assert net.status().state == "running"  # every recorded unit runs...
    calls: list[str] = []
    net._up = lambda: calls.append("up")  # type: ignore[method-assign]
    net.up()
    assert calls == ["up"]  # ...but the bring-up never completed: it is done now
    assert json.loads(net.layout.state_file.read_text())["status"] == "running"


def test_up_of_a_network_that_completed_its_bring_up_does_nothing(tmp_path: Path) -> None:
    net, runtime = _network(tmp_path / "net")
    _start_nodes(net)
    net._state["status"] = "running"
    net._save_state()
    net._up = lambda: pytest.fail("a running network was brought up again")  # type: ignore[method-assign]
    assert net.up().state == "running"
    assert runtime.stopped == []


def test_a_killed_up_leaves_its_state_unfinished(tmp_path: Path) -> None:
    net, _ = _network(tmp_path / "net")
    _start_nodes(net)
    net._state["status"] = "running"
    net._save_state()
    units = dict(net.units)
    net.stop_node("bank2-peer0")  # degraded: the next `up` works

    def killed() -> None:
        saved = json.loads(net.layout.state_file.read_text())
        assert saved["status"] == "starting"  # what a SIGKILL here would leave behind
        raise KeyboardInterrupt

    net._up = killed  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        net.up()
    assert set(net.units) == set(units)


# --- B: chaincodes deployed with `chaincode deploy` come back with the network ----------------------------


def test_up_runs_every_recorded_chaincode_with_its_recorded_definition(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    net, _ = _network(tmp_path / "net")
    cc = net.spec.chaincode
    # recorded before the spec's chaincode (a state written in any order must still deploy the spec's first)
    _chaincode(net, "asia-europe", "kvextra", "1.0", "tradefin.chaincode.contracts.kv:KvContract")
    _chaincode(net, "asia-europe", cc.name, cc.version, cc.contracts)
    _chaincode(net, "asia-americas", cc.name, "2.0", cc.contracts, sequence=2)  # upgraded by `chaincode deploy`
    deployed: list[tuple[str, str, str, str]] = []
    monkeypatch.setattr(net, "_deploy", lambda channel, name, version, contracts:
                        deployed.append((channel, name, version, contracts)))
    net._deploy_chaincodes()
    assert sorted(deployed) == sorted([
        ("asia-europe", cc.name, cc.version, cc.contracts),
        ("asia-europe", "kvextra", "1.0", "tradefin.chaincode.contracts.kv:KvContract"),
        ("asia-americas", cc.name, "2.0", cc.contracts),
    ])
    # the spec's chaincode comes first on its channel (the first transaction uses it)
    assert next(d for d in deployed if d[0] == "asia-europe")[1] == cc.name


def test_up_of_a_fresh_network_deploys_the_spec_chaincode_on_every_channel(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    net, _ = _network(tmp_path / "net")
    cc = net.spec.chaincode
    deployed: list[tuple[str, str, str, str]] = []
    monkeypatch.setattr(net, "_deploy", lambda channel, name, version, contracts:
                        deployed.append((channel, name, version, contracts)))
    net._deploy_chaincodes()
    assert sorted(deployed) == sorted((c.name, cc.name, cc.version, cc.contracts) for c in net.spec.channels)


def test_up_saves_the_status_it_reached(tmp_path: Path) -> None:
    net, _ = _network(tmp_path / "net")
    _start_nodes(net)
    _chaincode(net, "asia-europe", "kvextra")  # recorded, its servers never started
    net._state["status"] = "stopped"
    net._save_state()
    net._up = lambda: None  # type: ignore[method-assign]
    assert net.up().state == "degraded"
    assert json.loads(net.layout.state_file.read_text())["status"] == "degraded"


@pytest.mark.parametrize(("state", "exit_code"), [("running", 0), ("degraded", 1)])
def test_network_up_exits_non_zero_unless_the_network_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           state: str, exit_code: int) -> None:
    net, _ = _network(tmp_path / "net")
    monkeypatch.setattr(net, "up", lambda: NetworkStatus(net.workdir, state, "native"))
    monkeypatch.setattr(FabricNetwork, "create", classmethod(lambda cls, *args, **kwargs: net))
    result = CliRunner().invoke(main, ["--workdir", str(net.workdir), "network", "up"])
    assert result.exit_code == exit_code, result.output
    if exit_code:
        assert "degraded" in result.output


# --- C: an upgrade replaces the chaincode server ---------------------------------------------------------


def _servers(net: FabricNetwork, deployed: DeployedChaincode) -> list[Unit]:
    return [net._chaincode_unit(bank, deployed) for bank in net.spec.channel_banks(deployed.channel)]


@pytest.mark.parametrize(("version", "contracts"), [
    ("2.0", "default"),  # a new version: another package id
    ("1.0", "tradefin.chaincode.contracts.kv:KvContract"),  # same package, other contracts
])
def test_a_server_of_another_package_or_other_contracts_is_replaced(tmp_path: Path, version: str,
                                                                    contracts: str) -> None:
    net, runtime = _network(tmp_path / "net")
    old = _chaincode(net, "asia-europe", "kvup", "1.0", "default")
    for unit in _servers(net, old):
        net._start(unit)
    old_handles = {unit.name: net.units[unit.name] for unit in _servers(net, old)}
    new = _chaincode(net, "asia-europe", "kvup", version, contracts, sequence=2)
    for unit in _servers(net, new):
        net._start(unit)
    assert sorted(runtime.stopped) == sorted(old_handles)
    for unit in _servers(net, new):
        handle = net.units[unit.name]
        assert handle is not old_handles[unit.name] and runtime.is_running(handle)
        assert handle["args"] == list(unit.args)
        assert handle["package_id"] == new.package_id
    assert not any(runtime.is_running(h) for h in old_handles.values())


def test_a_server_already_serving_the_same_chaincode_is_kept(tmp_path: Path) -> None:
    net, runtime = _network(tmp_path / "net")
    deployed = _chaincode(net, "asia-europe", "kvup")
    for unit in _servers(net, deployed):
        net._start(unit)
    started = len(runtime.started)
    for unit in _servers(net, deployed):
        net._start(unit)
    assert len(runtime.started) == started and runtime.stopped == []


def test_a_chaincode_that_does_not_answer_after_a_deploy_is_a_network_error(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from tradefin.gateway import EvaluateError, GrpcCode

    net, _ = _network(tmp_path / "net")
    monkeypatch.setattr(net, "_status", lambda: NetworkStatus(net.workdir, "running", "fake"))
    monkeypatch.setattr(net, "_deploy", lambda *args: _chaincode(net, "asia-europe", "kvup"))

    class SilentGateway:
        def __enter__(self) -> SilentGateway:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def get_network(self, channel: str) -> Any:
            return self

        def get_contract(self, name: str) -> Any:
            return self

        def evaluate(self, *args: object, **kwargs: object) -> bytes:
            raise EvaluateError(GrpcCode.DEADLINE_EXCEEDED, "Deadline Exceeded", transaction_id="abc")

    monkeypatch.setattr(net, "gateway", lambda bank, *args: SilentGateway())
    with pytest.raises(NetworkError, match=r"kvup on asia-europe did not answer on bank1's peer: .*DEADLINE"):
        net.deploy_chaincode("asia-europe", "kvup")


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("asia-europe", "trade__fin"), "name"),
        (("asia-europe", "kv", "1 0"), "version"),
        (("asia-europe", "kv", "1.0", "nonsense"), "contracts"),
    ],
)
def test_deploy_chaincode_refuses_what_the_spec_refuses_before_looking_at_the_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], field: str
) -> None:
    """The library call checks as the CLI and the spec do (a bad package label was a PackageError
    raised half-way, after the network was looked at)."""
    net, _ = _network(tmp_path / "net")

    def looked(*_: object) -> NetworkStatus:
        raise AssertionError("the network was looked at")

    monkeypatch.setattr(net, "_status", looked)
    with pytest.raises(SpecError) as refused:
        net.deploy_chaincode(*args)
    assert refused.value.field == field


# --- D: a bring-up that failed before creating anything keeps no settings ---------------------------------


def test_a_busy_port_keeps_no_settings_and_a_retry_may_choose_another_port_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workdir = tmp_path / "net"
    net, _ = _network(workdir)

    def busy(rows: list[tuple[str, str, int]]) -> None:
        raise PortError(f"port {PORT_BASE} (orderer0 listen) is already in use")

    monkeypatch.setattr(network_module, "check_free", busy)
    with pytest.raises(PortError):
        net.up()
    assert not net.layout.state_file.exists()
    retry = FabricNetwork.create(workdir, port_base=PORT_BASE + 200, progress=SilentProgress())
    assert retry.port_base == PORT_BASE + 200
    assert retry.status().state == "absent"


def test_a_failure_after_the_ports_are_baked_in_keeps_the_settings(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    workdir = tmp_path / "net"
    net, _ = _network(workdir)
    monkeypatch.setattr(network_module, "check_free", lambda rows: None)
    monkeypatch.setattr(crypto, "generate_org_crypto", lambda layout, fabric: None)
    monkeypatch.setattr(identities, "issue_default_identities", lambda layout: [])

    def configtxgen_fails(*args: object) -> dict[str, Path]:
        raise NetworkError("configtxgen failed")

    monkeypatch.setattr(channel_config, "generate_blocks", configtxgen_fails)
    with pytest.raises(NetworkError, match="configtxgen"):
        net.up()
    saved: dict[str, Any] = json.loads(net.layout.state_file.read_text())
    assert saved["port_base"] == PORT_BASE and saved["status"] == "stopped"
    with pytest.raises(NetworkError, match="created with other settings"):
        FabricNetwork.create(workdir, port_base=PORT_BASE + 200, progress=SilentProgress())


def test_a_definition_the_channel_refuses_is_not_recorded_as_deployed(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    net, _ = _network(tmp_path)
    before = _chaincode(net, "asia-europe", "kvup", "1.0", contracts="kv")

    class RefusingAdmin:
        """The channel runs sequence 1; the approval of the new definition is refused."""

        def committed(self, channel: str, name: str) -> dict[str, object]:
            return {"sequence": 1}

        def installed_package_ids(self) -> list[str]:
            return []

        def install(self, path: Path) -> None:
            return None

        def commit_readiness(self, *args: object) -> dict[str, bool]:
            return {}

        def approve(self, *args: object) -> None:
            raise NetworkError("approval refused: collections cannot be removed")

    monkeypatch.setattr(net, "peer_admin", lambda bank, index=0, user="Admin": RefusingAdmin())
    with pytest.raises(NetworkError, match="approval refused"):
        net._deploy("asia-europe", "kvup", "2.0", "kv")
    assert net.chaincodes["asia-europe/kvup"] == before.__dict__  # what the channel runs, not the refused 2.0
    saved = json.loads(net.layout.state_file.read_text())
    assert saved["chaincodes"]["asia-europe/kvup"]["version"] == "1.0"
