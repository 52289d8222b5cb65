"""Faults during `network up`: busy ports, a node that cannot start, Ctrl-C. Nothing is left running."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tradefin.network import node_config
from tradefin.network.errors import NetworkError
from tradefin.network.network import FabricNetwork
from tradefin.network.ports import PortError
from tradefin.network.processes import process_alive
from tradefin.network.progress import SilentProgress


def _processes_under(workdir: Path) -> list[str]:
    """Command lines of running processes that mention the working directory (our nodes do)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if (str(workdir).encode() in environ or str(workdir) in cmdline) and process_alive(int(entry.name)):
            found.append(cmdline)
    return found


def test_a_busy_port_is_named_before_anything_starts(tmp_path: Path, port_block: int) -> None:
    network = FabricNetwork.create(tmp_path / "net", port_base=port_block, progress=SilentProgress())
    busy = network.ports.port("bank2-peer0", "operations")
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", busy))
        sock.listen()
        with pytest.raises(PortError) as info:
            network.up()
    assert f"port {busy} (bank2-peer0 operations) is already in use" in str(info.value)
    assert network.units == {}
    assert _processes_under(tmp_path / "net") == []


def test_a_node_that_fails_to_start_is_reported_with_its_log_and_everything_stops(
    tmp_path: Path, port_block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_peer_config = node_config.peer_config

    def broken_peer_config(*args: object, **kwargs: object) -> node_config.NodeConfig:
        config = real_peer_config(*args, **kwargs)  # type: ignore[arg-type]
        if config.name == "bank2-peer0":
            peer = config.config["peer"]
            assert isinstance(peer, dict)
            peer["mspConfigPath"] = str(tmp_path / "no-such-msp")
        return config

    monkeypatch.setattr(node_config, "peer_config", broken_peer_config)
    network = FabricNetwork.create(tmp_path / "net", port_base=port_block, progress=SilentProgress())
    with pytest.raises(NetworkError) as info:
        network.up()
    message = str(info.value)
    assert "bank2-peer0 exited; its last log lines" in message
    assert "no-such-msp" in message  # the peer's own complaint
    assert all(not network.runtime.is_running(handle) for handle in network.units.values())
    assert _processes_under(tmp_path / "net") == []
    assert network.status().state == "stopped"


def test_ctrl_c_during_up_stops_what_was_started(tmp_path: Path, port_block: int) -> None:
    workdir = tmp_path / "net"
    env = {**os.environ, "CI": "true", "TRADEFIN_PORT_BASE": str(port_block)}
    process = subprocess.Popen(
        [sys.executable, "-m", "tradefin.cli", "--workdir", str(workdir), "network", "up"],
        env=env, stderr=subprocess.PIPE, text=True,
    )
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if "Peers join the channels ..." in line:  # orderers and peers are running now
            process.send_signal(signal.SIGINT)
            break
    rest = process.communicate(timeout=60)[1]
    assert process.returncode == 130, "".join(seen) + rest
    assert "interrupted" in rest
    time.sleep(0.2)
    assert _processes_under(workdir) == []
    network = FabricNetwork.create(workdir, progress=SilentProgress())
    assert network.status().state == "stopped"
    network.down(purge=True)
