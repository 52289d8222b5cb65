"""The network orchestrator: up, down, status, logs, info and chaincode deployment.

State lives in a working directory (``.tradefin/`` by default): crypto, genesis blocks, one config
directory per node, ledgers, logs, connection profiles and ``state.json`` (what runs where). ``down``
stops every unit and keeps the ledgers; ``up`` brings the same network back with its data;
``down(purge=True)`` removes everything.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from ..gateway import EndorseError, Endpoint, Gateway, GatewayError, connect, load_msp_identity, load_msp_signer
from . import channel_config, crypto, identities, node_config
from .chaincode_package import Connection, package_label, write_package
from .collections import write_collections_config
from .discovery import DiscoveryClient
from .errors import NetworkError
from .fabric import FabricInstallation, ensure_fabric
from .layout import Layout, default_workdir
from .orderer_admin import ParticipationClient, healthy, metric_value
from .peer_admin import PeerAdmin
from .ports import CHAINCODE_SLOTS, HOST, PortPlan, check_free, default_base, listening, plan_ports
from .profiles import write_profiles
from .progress import Progress, SilentProgress
from .runtime import Runtime, Unit, UnitError
from .runtime.native import NativeRuntime
from .spec import (
    MAX_FILE_NAME_LENGTH,
    BankSpec,
    NetworkSpec,
    SpecError,
    check_chaincode_name,
    check_chaincode_servers,
    check_chaincode_version,
    check_contracts,
    load_spec,
    node_names,
    parse_spec,
)
from .waiting import NotReadyError, wait_for

STATE_VERSION = 1
_SETTLING = ("no combination of peers", "no peers available", "failed to connect", "UNAVAILABLE")
T = TypeVar("T")
X = TypeVar("X")


class NetworkBusyError(NetworkError):
    """Another tradefin command is operating on the same working directory."""


@dataclass(frozen=True)
class UnitStatus:
    name: str
    kind: str
    running: bool
    healthy: bool | None
    ports: dict[str, int]
    memory_bytes: int | None


@dataclass(frozen=True)
class NetworkStatus:
    workdir: Path
    state: str  # "running", "stopped", "degraded", "absent"
    runtime: str | None
    units: list[UnitStatus] = field(default_factory=list)
    chaincodes: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "workdir": str(self.workdir),
            "state": self.state,
            "runtime": self.runtime,
            "units": [u.__dict__ for u in self.units],
            "chaincodes": self.chaincodes,
        }


@dataclass(frozen=True)
class DeployedChaincode:
    channel: str
    name: str
    version: str
    sequence: int
    package_id: str
    slot: int
    contracts: str
    collections: str = ""  # digest of the collections config in the definition


def _with_tables(state: dict[str, Any]) -> dict[str, Any]:
    """``state`` with its tables present: threads that read them must not add keys while another saves."""
    for table in ("units", "chaincodes", "slots"):
        state.setdefault(table, {})
    return state


def _each(function: Callable[[X], T], items: Iterable[X]) -> list[T]:
    """``function`` applied to every item in parallel threads; the first failure is raised."""
    work = list(items)
    if len(work) <= 1:
        return [function(item) for item in work]
    with ThreadPoolExecutor(max_workers=min(8, len(work))) as pool:
        futures = [pool.submit(function, item) for item in work]
        return [f.result() for f in futures]


def _names_a_file(node: str) -> bool:
    """Whether ``node`` can be the name of a node's log file, ``<node>.log`` in the logs directory (not a path
    out of it, nor a name too long for a file)."""
    return (bool(node) and "/" not in node and not node.startswith(".")
            and len(os.fsencode(f"{node}.log")) <= MAX_FILE_NAME_LENGTH)


class FabricNetwork:
    """One Fabric network in one working directory."""

    def __init__(
        self,
        workdir: Path,
        spec: NetworkSpec,
        spec_source: str,
        *,
        runtime: str = "native",
        port_base: int | None = None,
        images: str = "local",
        fabric: FabricInstallation | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.workdir = workdir
        self.spec = spec
        self.spec_source = spec_source
        self.runtime_name = runtime
        self.images = images
        self.port_base = port_base if port_base is not None else default_base()
        self.layout = Layout(workdir, spec)
        self.ports: PortPlan = plan_ports(spec, self.port_base)
        self._fabric = fabric
        self.progress: Progress = progress or SilentProgress()
        self._runtime: Runtime | None = None
        self._state_lock = threading.RLock()  # units start in parallel threads
        self._state: dict[str, Any] = _with_tables(self._read_state() or {})
        # what the spec of an existing network fails of the checks a new spec passes (parse_spec's ``recorded``)
        self.spec_refused: SpecError | None = None

    # --- construction ------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        workdir: Path | None = None,
        spec_path: str | Path | None = None,
        *,
        orderers: str | None = None,
        runtime: str | None = None,
        port_base: int | None = None,
        images: str | None = None,
        progress: Progress | None = None,
    ) -> FabricNetwork:
        """Open the network of ``workdir``, or define a new one from ``spec_path``.

        An existing network keeps its spec, runtime and ports; asking for a different spec, runtime or
        orderer variant than the one it was created with is refused (``down --purge`` first).
        """
        root = (workdir or default_workdir()).resolve()
        state_path = root / "state.json"
        if state_path.exists():
            state = json.loads(state_path.read_text())
            data = yaml.safe_load(state["spec_source"])
            refused: SpecError | None = None
            try:
                spec = parse_spec(data)
            except SpecError as exc:  # made before a check it fails: it can still be shown and brought down
                refused = exc
                spec = parse_spec(data, recorded=True)
            spec = spec.with_orderers(state["orderers"])
            existing = cls(root, spec, state["spec_source"], runtime=state["runtime"], port_base=state["port_base"],
                           images=state.get("images", "local"), progress=progress)
            existing.spec_refused = refused
            existing._refuse_changes(spec_path, orderers, runtime, port_base, images)
            return existing
        source_path = Path(spec_path) if spec_path is not None else None
        spec = load_spec(source_path)
        source = source_path.read_text() if source_path is not None else _default_spec_text()
        if orderers is not None:
            spec = spec.with_orderers(orderers, "orderers")  # a refusal names the argument
        return cls(root, spec, source, runtime=runtime or "native", port_base=port_base, images=images or "local",
                   progress=progress)

    def _refuse_changes(self, spec_path: str | Path | None, orderers: str | None, runtime: str | None,
                        port_base: int | None, images: str | None) -> None:
        differences = []
        if spec_path is not None and Path(spec_path).read_text() != self.spec_source:
            differences.append("a different spec")
        if orderers is not None and orderers != self.spec.orderer.variant:
            differences.append(f"orderers {orderers} (it has {self.spec.orderer.variant})")
        if runtime is not None and runtime != self.runtime_name:
            differences.append(f"runtime {runtime} (it runs {self.runtime_name})")
        if port_base is not None and port_base != self.port_base:
            differences.append(f"port base {port_base} (it uses {self.port_base})")
        if images is not None and images != self.images:
            differences.append(f"images {images} (it uses {self.images})")
        if differences:
            raise NetworkError(
                f"the network in {self.workdir} was created with other settings; asked for "
                + ", ".join(differences) + ". Run `tradefin network down --purge` first to start afresh."
            )

    # --- state ---------------------------------------------------------------------------------------

    def _read_state(self) -> dict[str, Any] | None:
        try:
            state: dict[str, Any] = json.loads(self.layout.state_file.read_text())
        except (OSError, ValueError):
            return None
        return state

    def _save_state(self) -> None:
        with self._state_lock:
            self._write_state()

    def _write_state(self) -> None:
        self._state.update({
            "version": STATE_VERSION,
            "spec_source": self.spec_source,
            "orderers": self.spec.orderer.variant,
            "runtime": self.runtime_name,
            "images": self.images,
            "port_base": self.port_base,
        })
        self.workdir.mkdir(parents=True, exist_ok=True)
        tmp = self.layout.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._state, indent=2, sort_keys=True) + "\n")
        tmp.replace(self.layout.state_file)

    @property
    def units(self) -> dict[str, dict[str, Any]]:
        units: dict[str, dict[str, Any]] = self._state["units"]
        return units

    @property
    def chaincodes(self) -> dict[str, dict[str, Any]]:
        chaincodes: dict[str, dict[str, Any]] = self._state["chaincodes"]
        return chaincodes

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            self.workdir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a parent that is a file or cannot be written, a name too long
            raise NetworkError(f"cannot make the working directory {self.workdir}: {exc.strerror}") from exc
        with self.layout.lock_file.open("w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise NetworkBusyError(f"another tradefin command is operating on {self.workdir}") from exc
            try:
                self._state = _with_tables(self._read_state() or self._state)
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # --- collaborators ---------------------------------------------------------------------------------

    @property
    def fabric(self) -> FabricInstallation:
        if self._fabric is None:
            self._fabric = ensure_fabric(progress=self.progress.note)
        return self._fabric

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            if self.runtime_name == "native":
                self._runtime = NativeRuntime(self.fabric, self.layout.logs)
            elif self.runtime_name == "docker":
                from .runtime.docker import DockerRuntime  # imported lazily: needs the docker SDK

                self._runtime = DockerRuntime(self.fabric, self.layout, images=self.images, progress=self.progress)
            else:
                raise NetworkError(f"unknown runtime {self.runtime_name!r}; use native or docker")
        return self._runtime

    def _builder_path(self) -> str:
        if self.runtime_name == "docker":
            return node_config.IMAGE_BUILDER_PATH
        return str(self.fabric.builder_dir)

    def peer_admin(self, bank: BankSpec, peer_index: int = 0, user: str = "Admin") -> PeerAdmin:
        return PeerAdmin(self.fabric, self.layout, self.ports, bank, peer_index, user)

    def endorsers(self, channel: str) -> list[tuple[str, Path]]:
        """(address, TLS CA) of the first peer of every bank of ``channel``: endorsers for the peer CLI."""
        return [(self.peer_admin(bank).address, self.layout.peer_crypto(bank, 0) / "tls" / "ca.crt")
                for bank in self.spec.channel_banks(channel)]

    def participation(self, orderer: str) -> ParticipationClient:
        admin = self.layout.orderer_admin / "tls"
        return ParticipationClient(self.ports.port(orderer, "admin"), self.layout.orderer_tls_ca,
                                   admin / "client.crt", admin / "client.key")

    def orderer_port(self, channel: str | None = None) -> int:
        """The listen port of the orderer the peer CLI sends ``channel``'s transactions to (any channel's when
        None): its consensus leader when known (a BFT follower forwards only after a timeout), else the first."""
        for name in [channel] if channel is not None else [c.name for c in self.spec.channels]:
            leader = self.leader(name)
            if leader is not None:
                return self.ports.port(leader, "listen")
        return self.ports.port(self.spec.orderer.node_names()[0], "listen")

    def leader(self, channel: str) -> str | None:
        """The orderer leading ``channel``'s consensus now, if exactly one claims it (Raft or SmartBFT)."""
        leaders = [name for name in self.spec.orderer.node_names() if self._is_leader(name, channel)]
        return leaders[0] if len(leaders) == 1 else None

    def stop_node(self, name: str, *, kill: bool = False) -> None:
        """Stop one running node or chaincode server (SIGKILL with ``kill``, for fault tests)."""
        handle = self.units.get(name)
        if handle is None:
            raise NetworkError(f"unknown node {name!r} (nodes: {', '.join(sorted(self.units))})")
        self.runtime.stop(handle, timeout=0.0 if kill else 10.0)

    def start_node(self, name: str) -> None:
        """Start one stopped orderer or peer again (with its data) and wait until it is healthy."""
        for unit, _ in self._orderer_units() + self._peer_units():
            if unit.name == name:
                self._start(unit)
                return
        raise NetworkError(f"unknown orderer or peer {name!r}")

    def _is_leader(self, orderer: str, channel: str) -> bool:
        subsystem = "etcdraft" if self.spec.orderer.consensus == "etcdraft" else "BFT"
        value = metric_value(self.ports.port(orderer, "operations"), f"consensus_{subsystem}_is_leader",
                             {"channel": channel})
        return value == 1.0

    # --- units ---------------------------------------------------------------------------------------

    def _orderer_units(self) -> list[tuple[Unit, node_config.NodeConfig]]:
        return [self._node_unit(node_config.orderer_config(self.layout, self.ports, name))
                for name in self.spec.orderer.node_names()]

    def _peer_units(self) -> list[tuple[Unit, node_config.NodeConfig]]:
        return [self._node_unit(node_config.peer_config(self.layout, self.ports, bank, index, self._builder_path()))
                for bank in self.spec.banks for index in range(bank.peers)]

    def _node_unit(self, config: node_config.NodeConfig) -> tuple[Unit, node_config.NodeConfig]:
        """The unit that runs a node with its config (health from its operations port)."""
        unit = Unit(config.name, config.kind, config.kind, config.args, config.env, config.ports,
                    config.ports["operations"], (self.workdir,))
        return unit, config

    def _chaincode_unit(self, bank: BankSpec, deployed: DeployedChaincode) -> Unit:
        tls = crypto.chaincode_tls(self.layout)
        port = self.ports.chaincode_slots[bank.name][deployed.slot]
        args = ["serve", "--address", f"{HOST}:{port}", "--package-id", deployed.package_id,
                "--tls-cert", str(tls.server_cert(bank.name)), "--tls-key", str(tls.server_key(bank.name)),
                "--contracts", deployed.contracts]
        if self.spec.chaincode.mutual_tls:
            args += ["--client-ca", str(tls.ca_cert)]
        name = bank.chaincode_server_name(deployed.name, deployed.channel)
        return Unit(name, "chaincode", "chaincode", tuple(args), {"PYTHONUNBUFFERED": "1"},
                    {"server": port}, None, (self.workdir,))

    def _running(self, name: str) -> bool:
        handle = self.units.get(name)
        return handle is not None and self.runtime.is_running(handle)

    def _start(self, unit: Unit) -> None:
        """Start ``unit`` unless it already runs; a chaincode server started with other arguments (another
        package id or other contracts: an upgrade) is stopped and started again with the new ones."""
        running = self.units.get(unit.name)
        if running is not None and self.runtime.is_running(running):
            if unit.kind != "chaincode" or running.get("args") == list(unit.args):
                return
            old = running.get("package_id") or "an older package"
            self.progress.note(f"{unit.name}: replacing the server of {old}")
            self.runtime.stop(running)
            with contextlib.suppress(UnitError):
                self.runtime.remove(running)
        handle = self.runtime.start(unit)
        handle.update({"kind": unit.kind, "ports": unit.ports, "args": list(unit.args)})
        if unit.kind == "chaincode":
            handle["package_id"] = unit.args[unit.args.index("--package-id") + 1]
        with self._state_lock:
            self.units[unit.name] = handle
            self._save_state()
        self._wait_started(unit, handle)

    def _wait_started(self, unit: Unit, handle: dict[str, Any]) -> None:
        def ready() -> bool:
            if unit.health_port is not None and not healthy(unit.health_port):
                return False
            return listening(*unit.ports.values())

        def exited() -> str | None:
            return None if self.runtime.is_running(handle) else f"{unit.name} exited"

        try:
            wait_for(ready, timeout=60, what=f"{unit.name} to start", fail_fast=exited)
        except NotReadyError as exc:
            raise NetworkError(f"{exc}; its last log lines:\n{self.runtime.logs(handle, 25)}") from exc

    # --- up --------------------------------------------------------------------------------------------

    def check_recorded_spec(self) -> None:
        """Start nothing of a network whose spec fails the checks a new spec passes (it was made before them)."""
        if self.spec_refused is not None:
            raise SpecError(self.spec_refused.field,
                            f"{self.spec_refused.message} -- the spec the network in {self.workdir} was made from; "
                            "`tradefin network down --purge` removes it, then bring it up from a corrected spec")

    def up(self) -> NetworkStatus:
        """Bring the network up (or back up, with its data); deploy the chaincode; prove readiness."""
        self.check_recorded_spec()
        with self._locked():
            status = self._status()
            # Only a bring-up that completed counts: one cut short (killed) may have every node running
            # and still no channel joined or chaincode deployed.
            if status.state == "running" and self._state.get("status") == "running":
                self.progress.note(f"the network in {self.workdir} is already running")
                return status
            existed = self.layout.state_file.exists()
            started_before = {name for name in self.units if self._running(name)}
            self._state["status"] = "starting"  # stays in state.json if this call is killed half-way
            if existed:
                self._save_state()
            try:
                self._up()
            except BaseException:
                # Leave nothing running that this call started (Ctrl-C included).
                self._stop_units(exclude=started_before)
                self._state["status"] = "stopped"
                # A network that failed before writing anything that depends on its settings (a busy
                # port, say) is not kept: a retry may choose another port base.
                if existed or self.layout.state_file.exists():
                    self._save_state()
                raise
            status = self._status()
            self._state["status"] = status.state
            self._save_state()
            return status

    def _up(self) -> None:
        with self.progress.step("Fabric binaries"):
            fabric = self.fabric
            self.progress.note(f"Fabric {fabric.version} ({fabric.commit[:7]}) from {fabric.source}: {fabric.bin_dir}")
        with self.progress.step("Runtime"):
            self.runtime.prepare()
        with self.progress.step("Ports"):
            taken_by_us = {port for name in self.units if self._running(name)
                           for port in self.units[name].get("ports", {}).values()}
            check_free([row for row in self.ports.all_ports() if row[2] not in taken_by_us])
        with self.progress.step("Crypto material (cryptogen, TLS everywhere)"):
            crypto.generate_org_crypto(self.layout, fabric)
            crypto.chaincode_tls(self.layout)
            identities.issue_default_identities(self.layout)
        self._save_state()  # from here on the files depend on the ports: keep the settings they were made with
        with self.progress.step("Channel genesis blocks (configtxgen)"):
            blocks = channel_config.generate_blocks(self.layout, self.ports, fabric)
        orderers = self._orderer_units()
        peers = self._peer_units()
        for _, config in orderers + peers:
            config.write()
        self._save_state()
        with self.progress.step(f"Orderers ({self.spec.orderer.variant})"):
            _each(self._start, [unit for unit, _ in orderers])
        with self.progress.step("Orderers join the channels"):
            self._join_orderers(blocks)
        with self.progress.step("Peers"):
            _each(self._start, [unit for unit, _ in peers])
        with self.progress.step("Peers join the channels"):
            self._join_peers(blocks)
        with self.progress.step(f"Chaincode {self.spec.chaincode.name} on every channel"):
            self._deploy_chaincodes()
        with self.progress.step("First transaction on every channel (gateway, endorsed by its banks)"):
            _each(self._first_transaction, [channel.name for channel in self.spec.channels])
        with self.progress.step("Connection profiles"):
            write_profiles(self.layout, self.ports)

    def _chaincode_plan(self) -> dict[str, list[tuple[str, str, str]]]:
        """(name, version, contracts) of every chaincode ``up`` runs, by channel: the spec's chaincode first,
        then those added with ``chaincode deploy``; a chaincode already deployed keeps its recorded definition."""
        cc = self.spec.chaincode
        plan: dict[str, list[tuple[str, str, str]]] = {}
        for channel in self.spec.channels:
            recorded = self.chaincodes.get(f"{channel.name}/{cc.name}")
            plan[channel.name] = [(cc.name, recorded["version"], recorded["contracts"]) if recorded
                                  else (cc.name, cc.version, cc.contracts)]
        for deployed in self.chaincodes.values():
            if deployed["name"] != cc.name and deployed["channel"] in plan:
                plan[deployed["channel"]].append((deployed["name"], deployed["version"], deployed["contracts"]))
        return plan

    def _deploy_chaincodes(self) -> None:
        """Deploy (or, when committed already, start the servers of) every chaincode of the plan; channels in
        parallel, the chaincodes of one channel one after the other."""
        plan = self._chaincode_plan()

        def deploy_all(channel: str) -> None:
            for name, version, contracts in plan[channel]:
                self._deploy(channel, name, version, contracts)

        _each(deploy_all, list(plan))

    def _join_orderers(self, blocks: dict[str, Path]) -> None:
        def join(orderer: str) -> None:
            client = self.participation(orderer)
            for channel, block in blocks.items():
                if client.channel(channel) is None:
                    client.join(channel, block.read_bytes())

        _each(join, self.spec.orderer.node_names())
        for channel in blocks:
            def consenters_active(ch: str = channel) -> bool:
                for orderer in self.spec.orderer.node_names():
                    membership = self.participation(orderer).channel(ch)
                    if membership is None or membership.status != "active":
                        return False
                return True

            wait_for(consenters_active, timeout=60, what=f"orderers active on {channel}")
            def has_leader(ch: str = channel) -> bool:
                return any(self._is_leader(o, ch) for o in self.spec.orderer.node_names())

            wait_for(has_leader, timeout=60, what=f"a consensus leader on {channel}")

    def _join_peers(self, blocks: dict[str, Path]) -> None:
        def join(peer: tuple[BankSpec, int]) -> None:
            bank, index = peer
            admin = self.peer_admin(bank, index)
            joined = set(admin.joined_channels())
            for channel, block in blocks.items():
                if bank.name in self.spec.channel(channel).banks and channel not in joined:
                    admin.join(block)

        _each(join, [(bank, index) for bank in self.spec.banks for index in range(bank.peers)])

    # --- chaincode -------------------------------------------------------------------------------------

    def _reserve_slot(self, key: str) -> int:
        """The chaincode server slot of ``key`` (channel/name): its own, or the lowest free one."""
        with self._state_lock:
            existing = self._state["slots"].get(key)
            if existing is not None:
                return int(existing)
            used = set(self._state["slots"].values())
            for slot in range(CHAINCODE_SLOTS):
                if slot not in used:
                    self._state["slots"][key] = slot
                    self._save_state()
                    return slot
        raise NetworkError(f"all {CHAINCODE_SLOTS} chaincode server slots of this network are taken")

    def deploy_chaincode(self, channel: str, name: str, version: str = "1.0",
                         contracts: str = "default") -> DeployedChaincode:
        """Package, start the servers of, install, approve and commit a chaincode on one channel. A name,
        version or contracts the network spec would refuse for its own chaincode is a SpecError naming the
        argument, before anything is looked at or started."""
        check_chaincode_name(name, "name")
        check_chaincode_version(name, version, "version")
        check_contracts(contracts, "contracts")
        self.check_recorded_spec()
        with self._locked():
            if self._status().state != "running":
                raise NetworkError("the network is not running; run `tradefin network up` first")
            if channel not in [c.name for c in self.spec.channels]:
                names = ", ".join(c.name for c in self.spec.channels)
                raise NetworkError(f"unknown channel {channel!r} (channels: {names})")
            try:
                self.check_chaincode_servers(channel, name, "name")
            except SpecError as exc:
                raise NetworkError(f"chaincode {name}: {exc.message}") from None
            deployed = self._deploy(channel, name, version, contracts)
            self._save_state()
            self.prove_invocation(channel, name)
            return deployed

    def check_chaincode_servers(self, channel: str, name: str, where: str) -> None:
        """Refuse (SpecError naming ``where``) to deploy chaincode ``name`` on ``channel`` when a bank's server of it
        would get a name too long for its log file, or the name of another node: a peer, or the server of another
        chaincode (the spec's on any channel, or one deployed), which the deployment would stop and replace."""
        pairs = {(self.spec.chaincode.name, c.name) for c in self.spec.channels}
        pairs |= {(deployed["name"], deployed["channel"]) for deployed in self.chaincodes.values()}
        taken = node_names(self.spec.banks)
        for other, on in sorted(pairs - {(name, channel)}):
            taken = check_chaincode_servers(self.spec.banks, [self.spec.channel(on)], other, lambda _: where, taken)
        check_chaincode_servers(self.spec.banks, [self.spec.channel(channel)], name, lambda _: where, taken)

    def _deploy(self, channel: str, name: str, version: str, contracts: str) -> DeployedChaincode:
        key = f"{channel}/{name}"
        slot = self._reserve_slot(key)
        tls = crypto.chaincode_tls(self.layout)
        connection = Connection(
            address=f"{{{{.chaincode.slot{slot}}}}}",
            root_cert_pem=tls.ca_cert.read_text(),
            client_cert_pem=tls.client_cert.read_text() if self.spec.chaincode.mutual_tls else None,
            client_key_pem=tls.client_key.read_text() if self.spec.chaincode.mutual_tls else None,
        )
        label = package_label(name, version)
        package_path = self.layout.chaincode_dir(channel, name) / f"{label}.tar.gz"
        package_id = write_package(package_path, label, connection)
        banks = self.spec.channel_banks(channel)
        admins = [self.peer_admin(bank) for bank in banks]
        collections = write_collections_config(self.layout.chaincode_dir(channel, name) / "collections.json",
                                               contracts, {bank.msp_id: bank.peers for bank in banks})
        definition = ["--collections-config", str(collections)] if collections else []
        previous = self.chaincodes.get(key)
        committed_seq = self._committed_sequence(admins[0], channel, name) or 0  # sequences start at 1
        collections_digest = hashlib.sha256(collections.read_bytes()).hexdigest() if collections else ""
        unchanged = (previous is not None and committed_seq > 0 and previous["package_id"] == package_id
                     and previous["version"] == version and previous["contracts"] == contracts
                     and previous.get("collections") == collections_digest)
        sequence = committed_seq if unchanged else committed_seq + 1
        deployed = DeployedChaincode(channel, name, version, sequence, package_id, slot, contracts,
                                     collections_digest)
        with self._state_lock:  # `up` deploys on every channel in parallel threads, each saving the state
            self.chaincodes[key] = deployed.__dict__
            self._save_state()
        # Servers first: the peer dials the chaincode as soon as the definition is committed (§10).
        _each(self._start, [self._chaincode_unit(bank, deployed) for bank in banks])
        if unchanged:
            self._wait_discovered(channel, name)
            return deployed
        try:
            self._define(deployed, package_path, definition, banks, admins)
        except BaseException:
            # Not committed (refused, failed, interrupted): the state keeps what the channel runs, so that
            # the next `up` or `deploy` does not take the refused definition for the committed one.
            with contextlib.suppress(Exception):
                if (self._committed_sequence(admins[0], channel, name) or 0) < sequence:
                    with self._state_lock:
                        if previous is None:
                            self.chaincodes.pop(key, None)
                        else:
                            self.chaincodes[key] = previous
                        self._save_state()
            raise
        return deployed

    def _define(self, deployed: DeployedChaincode, package_path: Path, definition: list[str],
                banks: list[BankSpec], admins: list[PeerAdmin]) -> None:
        """Install, approve and commit the chaincode definition of ``deployed`` on its channel."""
        channel, name, version, sequence = deployed.channel, deployed.name, deployed.version, deployed.sequence
        package_id = deployed.package_id
        orderer_port = self.orderer_port(channel)

        def install_and_approve(bank: BankSpec) -> None:
            for index in range(bank.peers):
                admin = self.peer_admin(bank, index)
                if package_id not in admin.installed_package_ids():
                    admin.install(package_path)
            admin = self.peer_admin(bank)
            approvals = admin.commit_readiness(channel, name, version, sequence, definition)
            if not approvals.get(bank.msp_id):
                admin.approve(channel, name, version, sequence, package_id, orderer_port, definition)

        _each(install_and_approve, banks)
        wait_for(lambda: all(admins[0].commit_readiness(channel, name, version, sequence, definition).values()),
                 timeout=60, what=f"approvals of {name} on {channel}", interval=0.3)
        admins[0].commit(channel, name, version, sequence, orderer_port, self.endorsers(channel), definition)
        wait_for(lambda: all(self._committed_sequence(a, channel, name) == sequence for a in admins),
                 timeout=60, what=f"{name} committed on every peer of {channel}", interval=0.2)
        self._wait_discovered(channel, name)

    @staticmethod
    def _committed_sequence(admin: PeerAdmin, channel: str, name: str) -> int | None:
        committed = admin.committed(channel, name)
        return int(committed["sequence"]) if committed else None  # type: ignore[call-overload]

    def discovery(self, bank: BankSpec, peer_index: int = 0) -> DiscoveryClient:
        """A discovery client on one of the bank's peers, as the bank's User1."""
        node = bank.peer_names()[peer_index]
        return DiscoveryClient(f"{HOST}:{self.ports.port(node, 'listen')}",
                               self.layout.peer_crypto(bank, peer_index) / "tls" / "ca.crt", bank.peer_host(peer_index),
                               self.layout.bank_user(bank, "User1") / "msp", bank.msp_id)

    def _wait_discovered(self, channel: str, chaincode: str) -> None:
        """Evidence: every bank's peer discovers every peer of the channel, each with the chaincode."""
        banks = self.spec.channel_banks(channel)
        expected = {(bank.msp_id, f"{HOST}:{self.ports.port(node, 'listen')}")
                    for bank in banks for node in bank.peer_names()}

        def everyone_sees_everyone() -> bool:
            for bank in banks:
                for index in range(bank.peers):
                    seen = {(p.msp_id, p.endpoint) for p in self.discovery(bank, index).peers(channel)
                            if chaincode in p.chaincodes}
                    if seen != expected:
                        return False
            return True

        wait_for(everyone_sees_everyone, timeout=60, what=f"discovery of every peer of {channel} with {chaincode}",
                 interval=0.2)

    def endpoint(self, bank: BankSpec, peer_index: int = 0) -> Endpoint:
        """The gateway endpoint of one of the bank's peers (TLS, pinned to the peer's TLS CA)."""
        tls_ca = (self.layout.peer_crypto(bank, peer_index) / "tls" / "ca.crt").read_bytes()
        return Endpoint.tls(f"{HOST}:{self.ports.port(bank.peer_names()[peer_index], 'listen')}", tls_ca,
                            server_name_override=bank.peer_host(peer_index))

    def has_user(self, bank: BankSpec, user: str) -> bool:
        """Whether ``user`` of ``bank`` was issued (by `network up` or `tradefin identity issue`); the name
        must be one :func:`identities.check_user_name` accepts."""
        return (self.layout.bank_user(bank, user) / "msp" / "signcerts").is_dir()

    def gateway(self, bank: BankSpec, user: str = "User1", peer_index: int = 0) -> Gateway:
        """A gateway connection to one of the bank's peers as one of its users (the caller closes it).
        A network `down` stopped is a NetworkError saying so (its peer would only answer UNAVAILABLE)."""
        identities.check_user_name(user, bank)
        if self._state.get("status") == "stopped":
            raise NetworkError(f"the network in {self.workdir} is stopped: run `tradefin network up` to start it")
        msp = self.layout.bank_user(bank, user) / "msp"
        if not self.has_user(bank, user):
            raise identities.IdentityError(
                f"{bank.name} has no user {user!r} ({user}@{bank.domain}): issue it with `tradefin identity issue "
                f"--bank {bank.name} --user {user} --role <role>`")
        try:
            identity, signer = load_msp_identity(msp, bank.msp_id), load_msp_signer(msp)
        except (OSError, ValueError) as exc:  # a folder not as issue_identity or cryptogen write it
            raise identities.IdentityError(f"cannot load {user}@{bank.domain} from {msp}: {exc}") from exc
        return connect(self.endpoint(bank, peer_index), identity, signer)

    def prove_invocation(self, channel: str, name: str) -> dict[str, list[str]]:
        """Evidence: every bank's peer runs the chaincode (its metadata, evaluated on each bank's peer).

        Returns the contract names each bank's chaincode server reports, by MSP id.
        """
        answers: dict[str, list[str]] = {}
        for bank in self.spec.channel_banks(channel):
            try:
                with self.gateway(bank) as gateway:
                    contract = gateway.get_network(channel).get_contract(name)
                    metadata = json.loads(contract.evaluate("org.hyperledger.fabric:GetMetadata",
                                                            target_orgs=[bank.msp_id]))
            except GatewayError as exc:
                server = bank.chaincode_server_name(name, channel)
                raise NetworkError(
                    f"chaincode {name} on {channel} did not answer on {bank.name}'s peer: {exc} "
                    f"(see `tradefin network logs {server}` and `tradefin network logs {bank.peer_names()[0]}`)"
                ) from exc
            answers[bank.msp_id] = sorted(metadata.get("contracts", {}))
        return answers

    def _first_transaction(self, channel: str) -> None:
        """Evidence: a transaction submitted through a bank's gateway, endorsed across banks, commits VALID."""
        bank = self.spec.channel_banks(channel)[0]
        with self.gateway(bank) as gateway:
            contract = gateway.get_network(channel).get_contract(self.spec.chaincode.name)

            def submitted() -> bool:
                try:
                    contract.submit("kv:Put", ["tradefin.ready", str(time.time_ns())])
                except EndorseError as exc:
                    # Gossip may still be settling right after a (re)start (NETWORK-RECIPE §10).
                    if any(hint in str(exc) for hint in _SETTLING):
                        return False
                    raise
                return True

            wait_for(submitted, timeout=60, what=f"a first VALID transaction on {channel}", interval=0.2)

    # --- down / status / logs / info -------------------------------------------------------------------

    def _stop_units(self, exclude: set[str] | None = None) -> None:
        """Stop chaincode servers, then peers, then orderers (each group in parallel)."""
        for kind in ("chaincode", "peer", "orderer"):
            batch = [name for name, handle in self.units.items()
                     if handle.get("kind") == kind and name not in (exclude or set())]
            _each(lambda name: self.runtime.stop(self.units[name]), batch)

    def down(self, purge: bool = False) -> None:
        """Stop every unit (ledgers kept); with ``purge`` also remove the working directory."""
        if not self.layout.state_file.exists() and not purge:
            return
        with self._locked():
            self._stop_units()
            for handle in self.units.values():
                with contextlib.suppress(UnitError):
                    self.runtime.remove(handle)
            if purge and self.runtime_name == "docker":
                from .runtime.docker import DockerRuntime

                runtime = self.runtime
                if isinstance(runtime, DockerRuntime):
                    runtime.remove_all()  # also containers state.json lost track of
            self._state["units"] = {}
            self._state["status"] = "stopped"
            if not purge:
                self._save_state()
        if purge:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def _status(self) -> NetworkStatus:
        if not self.layout.state_file.exists():
            return NetworkStatus(self.workdir, "absent", None)
        nodes = [unit for unit, _ in self._orderer_units() + self._peer_units()]
        servers = [self._chaincode_unit(bank, deployed)
                   for deployed in (DeployedChaincode(**cc) for cc in self.chaincodes.values())
                   for bank in self.spec.channel_banks(deployed.channel)]
        units = [self._unit_status(unit) for unit in nodes + servers]
        flags = [u.running for u in units]
        state = "running" if flags and all(flags) else "stopped" if not any(flags) else "degraded"
        return NetworkStatus(self.workdir, state, self.runtime_name, units, dict(self.chaincodes))

    def _unit_status(self, unit: Unit) -> UnitStatus:
        handle = self.units.get(unit.name)
        if handle is None or not self.runtime.is_running(handle):
            return UnitStatus(unit.name, unit.kind, False, None, unit.ports, None)
        return UnitStatus(unit.name, unit.kind, True, healthy(unit.health_port) if unit.health_port else None,
                          unit.ports, self.runtime.memory_bytes(handle))

    def status(self) -> NetworkStatus:
        return self._status()

    def logs(self, node: str, lines: int = 200) -> str:
        handle = self.units.get(node)
        if handle is None:
            log = self.layout.log(node)
            if _names_a_file(node) and log.is_file():
                from .runtime.native import tail

                return tail(log, lines)
            known = ", ".join(sorted(self.units)) or "none running"
            raise NetworkError(f"unknown node {node!r} (nodes: {known})")
        return self.runtime.logs(handle, lines)

    def info(self) -> dict[str, Any]:
        """Every endpoint, MSP id, TLS CA, identity path and channel; JSON-serialisable."""
        layout, ports = self.layout, self.ports
        orderers = [
            {
                "name": name,
                "host": layout.orderer_host(name),
                "address": f"{HOST}:{ports.port(name, 'listen')}",
                "admin_address": f"{HOST}:{ports.port(name, 'admin')}",
                "operations_address": f"{HOST}:{ports.port(name, 'operations')}",
                "tls_ca": str(layout.orderer_tls_ca),
            }
            for name in self.spec.orderer.node_names()
        ]
        banks = []
        for bank in self.spec.banks:
            banks.append({
                "name": bank.name,
                "display_name": bank.display_name,
                "msp_id": bank.msp_id,
                "bic": bank.bic,
                "country": bank.country,
                "tls_ca": str(layout.bank_tls_ca(bank)),
                "ca": str(layout.bank_ca(bank)),
                "peers": [
                    {
                        "name": node,
                        "host": bank.peer_host(i),
                        "address": f"{HOST}:{ports.port(node, 'listen')}",
                        "operations_address": f"{HOST}:{ports.port(node, 'operations')}",
                        "tls_ca": str(layout.peer_crypto(bank, i) / "tls" / "ca.crt"),
                    }
                    for i, node in enumerate(bank.peer_names())
                ],
                "admin": {"msp": str(layout.bank_user(bank, "Admin") / "msp")},
                "client": {"msp": str(layout.bank_user(bank, "User1") / "msp")},
                "users": {user: {"msp": str(layout.bank_user(bank, user) / "msp"), "role": role}
                          for user, role in identities.DEFAULT_USERS},
                "connection_profile": {"json": str(layout.profile(bank, "json")),
                                       "yaml": str(layout.profile(bank, "yaml"))},
                "channels": [c.name for c in self.spec.channels if bank.name in c.banks],
            })
        return {
            "name": self.spec.name,
            "workdir": str(self.workdir),
            "runtime": self.runtime_name,
            "fabric": self.fabric.to_json(),
            "orderer": {"msp_id": self.spec.orderer.msp_id, "consensus": self.spec.orderer.consensus,
                        "variant": self.spec.orderer.variant, "nodes": orderers,
                        "admin": {"msp": str(layout.orderer_admin / "msp")}},
            "banks": banks,
            "channels": [{"name": c.name, "banks": list(c.banks)} for c in self.spec.channels],
            "chaincodes": list(self.chaincodes.values()),
        }


def _default_spec_text() -> str:
    from .spec import default_spec_path

    return default_spec_path().read_text()
