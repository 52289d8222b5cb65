"""Node configuration knobs read from the environment: logging and Go profiling."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradefin.network.layout import Layout
from tradefin.network.node_config import orderer_config, peer_config
from tradefin.network.ports import plan_ports
from tradefin.network.spec import load_spec


def configs(tmp_path: Path) -> tuple[dict[str, object], dict[str, object], int, int]:
    spec = load_spec()
    layout, ports = Layout(tmp_path, spec), plan_ports(spec, 20000)
    peer = peer_config(layout, ports, spec.bank("bank1"), 0, "/builders")
    orderer = orderer_config(layout, ports, "orderer0")
    operations = ports.port("bank1-peer0", "operations"), ports.port("orderer0", "operations")
    taken = {port for _, _, port in ports.all_ports()}
    assert not {port + 1 for port in operations} & taken  # the profile port is a node's spare port
    return peer.config, orderer.config, *operations


def test_nodes_serve_go_profiles_on_loopback_only_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRADEFIN_FABRIC_PROFILE", raising=False)
    peer, orderer, _, _ = configs(tmp_path)
    assert peer["peer"]["profile"]["enabled"] is False  # type: ignore[index]
    assert orderer["General"]["Profile"]["Enabled"] is False  # type: ignore[index]

    monkeypatch.setenv("TRADEFIN_FABRIC_PROFILE", "1")
    peer, orderer, peer_operations, orderer_operations = configs(tmp_path)
    assert peer["peer"]["profile"] == {  # type: ignore[index]
        "enabled": True,
        "listenAddress": f"127.0.0.1:{peer_operations + 1}",
    }
    assert orderer["General"]["Profile"] == {  # type: ignore[index]
        "Enabled": True,
        "Address": f"127.0.0.1:{orderer_operations + 1}",
    }
