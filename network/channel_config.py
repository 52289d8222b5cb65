"""Channel genesis blocks: configtx.yaml rendered from the spec, one block per consortium channel.

Fabric v3 shape: no system channel, channel capability V3_0, application capability V2_5, orderer
endpoints per orderer org, anchor peers inside the genesis block, etcdraft or SmartBFT consenters.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from .errors import NetworkError
from .fabric import FabricInstallation
from .layout import Layout
from .ports import HOST, PortPlan
from .spec import BankSpec


class ChannelConfigError(NetworkError):
    """configtxgen refused the rendered configuration."""


def _signature(rule: str) -> dict[str, str]:
    return {"Type": "Signature", "Rule": rule}


def _implicit(rule: str) -> dict[str, str]:
    return {"Type": "ImplicitMeta", "Rule": rule}


def _orderer_org(layout: Layout, ports: PortPlan) -> dict[str, object]:
    msp = layout.spec.orderer.msp_id
    return {
        "Name": msp,
        "ID": msp,
        "MSPDir": str(layout.orderer_org / "msp"),
        "Policies": {
            "Readers": _signature(f"OR('{msp}.member')"),
            "Writers": _signature(f"OR('{msp}.member')"),
            "Admins": _signature(f"OR('{msp}.admin')"),
        },
        "OrdererEndpoints": [f"{HOST}:{ports.port(n, 'listen')}" for n in layout.spec.orderer.node_names()],
    }


def _bank_org(layout: Layout, bank: BankSpec, ports: PortPlan) -> dict[str, object]:
    msp = bank.msp_id
    return {
        "Name": msp,
        "ID": msp,
        "MSPDir": str(layout.bank_org(bank) / "msp"),
        "Policies": {
            "Readers": _signature(f"OR('{msp}.admin', '{msp}.peer', '{msp}.client')"),
            "Writers": _signature(f"OR('{msp}.admin', '{msp}.client')"),
            "Admins": _signature(f"OR('{msp}.admin')"),
            "Endorsement": _signature(f"OR('{msp}.peer')"),
        },
        "AnchorPeers": [{"Host": HOST, "Port": ports.port(bank.peer_names()[0], "listen")}],
    }


def _consensus(layout: Layout, ports: PortPlan) -> dict[str, object]:
    orderer = layout.spec.orderer
    nodes = orderer.node_names()
    if orderer.consensus == "etcdraft":
        return {
            "EtcdRaft": {
                "Consenters": [
                    {
                        "Host": HOST,
                        "Port": ports.port(n, "listen"),
                        "ClientTLSCert": str(layout.orderer_crypto(n) / "tls" / "server.crt"),
                        "ServerTLSCert": str(layout.orderer_crypto(n) / "tls" / "server.crt"),
                    }
                    for n in nodes
                ],
                # Faster elections than the 500 ms default tick (NETWORK-RECIPE §10b).
                "Options": {
                    "TickInterval": "100ms",
                    "ElectionTick": 10,
                    "HeartbeatTick": 1,
                    "MaxInflightBlocks": 5,
                    "SnapshotIntervalSize": "16 MB",
                },
            }
        }
    return {
        "ConsenterMapping": [
            {
                "ID": i + 1,
                "Host": HOST,
                "Port": ports.port(n, "listen"),
                "MSPID": orderer.msp_id,
                "Identity": str(layout.orderer_crypto(n) / "msp" / "signcerts" / f"{layout.orderer_host(n)}-cert.pem"),
                "ClientTLSCert": str(layout.orderer_crypto(n) / "tls" / "server.crt"),
                "ServerTLSCert": str(layout.orderer_crypto(n) / "tls" / "server.crt"),
            }
            for i, n in enumerate(nodes)
        ],
        # Tuned for loaded 2-core machines (NETWORK-RECIPE §10b): view change in a few seconds.
        "SmartBFT": {
            "RequestBatchMaxCount": 100,
            "RequestBatchMaxBytes": 10485760,
            "RequestBatchMaxInterval": f"{orderer.batch_timeout_ms}ms",
            "IncomingMessageBufferSize": 200,
            "RequestPoolSize": 100000,
            "RequestForwardTimeout": "1s",
            "RequestComplainTimeout": "2s",
            "RequestAutoRemoveTimeout": "3m",
            "ViewChangeResendInterval": "1s",
            "ViewChangeTimeout": "5s",
            "LeaderHeartbeatTimeout": "3s",
            "LeaderHeartbeatCount": 10,
            "CollectTimeout": "1s",
            "SyncOnStart": False,
            "SpeedUpViewChange": False,
        },
    }


def configtx(layout: Layout, ports: PortPlan) -> dict[str, object]:
    """configtx.yaml as data: one profile per channel, named after the channel."""
    spec = layout.spec
    orderer_org = _orderer_org(layout, ports)
    bank_orgs = {bank.name: _bank_org(layout, bank, ports) for bank in spec.banks}
    profiles: dict[str, object] = {}
    for channel in spec.channels:
        profiles[channel.name] = {
            "Policies": {
                "Readers": _implicit("ANY Readers"),
                "Writers": _implicit("ANY Writers"),
                "Admins": _implicit("MAJORITY Admins"),
            },
            "Capabilities": {"V3_0": True},
            "Orderer": {
                "OrdererType": spec.orderer.consensus,
                "BatchTimeout": f"{spec.orderer.batch_timeout_ms}ms",
                "BatchSize": {
                    "MaxMessageCount": 500,
                    "AbsoluteMaxBytes": "10 MB",
                    "PreferredMaxBytes": "2 MB",
                },
                "Organizations": [orderer_org],
                "Policies": {
                    "Readers": _implicit("ANY Readers"),
                    "Writers": _implicit("ANY Writers"),
                    "Admins": _implicit("MAJORITY Admins"),
                    "BlockValidation": _implicit("ANY Writers"),
                },
                "Capabilities": {"V2_0": True},
                **_consensus(layout, ports),
            },
            "Application": {
                "Organizations": [bank_orgs[name] for name in channel.banks],
                "Policies": {
                    "Readers": _implicit("ANY Readers"),
                    "Writers": _implicit("ANY Writers"),
                    "Admins": _implicit("MAJORITY Admins"),
                    "LifecycleEndorsement": _implicit("MAJORITY Endorsement"),
                    "Endorsement": _implicit("MAJORITY Endorsement"),
                },
                "Capabilities": {"V2_5": True},
            },
        }
    return {"Profiles": profiles}


def generate_blocks(layout: Layout, ports: PortPlan, fabric: FabricInstallation) -> dict[str, Path]:
    """Write configtx.yaml and one genesis block per channel (kept if already there)."""
    blocks = {channel.name: layout.block(channel.name) for channel in layout.spec.channels}
    if all(path.exists() for path in blocks.values()):
        return blocks
    layout.configtx_dir.mkdir(parents=True, exist_ok=True)
    (layout.configtx_dir / "configtx.yaml").write_text(yaml.safe_dump(configtx(layout, ports), sort_keys=False))
    for channel, path in blocks.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        cmd = [str(fabric.program("configtxgen")), "-configPath", str(layout.configtx_dir), "-profile", channel,
               "-channelID", channel, "-outputBlock", str(path)]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            path.unlink(missing_ok=True)
            raise ChannelConfigError(f"configtxgen for channel {channel} failed: {result.stderr.strip()[-2000:]}")
    return blocks
