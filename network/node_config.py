"""One config directory per node: core.yaml for peers, orderer.yaml for orderers, rendered from the spec.

Every key the node needs is written explicitly (a forgotten key would silently keep a sample default
such as port 7051 or a /var/hyperledger path). Paths are absolute, so the same files serve local
processes and containers that bind-mount the working directory at the same path.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from .layout import Layout
from .ports import HOST, PortPlan
from .spec import BankSpec

IMAGE_BUILDER_PATH = "/opt/hyperledger/ccaas_builder"  # where both the official and our peer images keep it
BUILDER_CONFIG_ENV = "CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG"
# Per-call INFO lines (every gRPC call, every endorsement, and the orderer's WARN for each Broadcast stream
# the gateway closes after its answer) cost CPU the 2-core machine needs for transactions: keep warnings.
PEER_LOGGING_SPEC = "info:comm.grpc.server=warning:endorser=warning:gateway=warning"
ORDERER_LOGGING_SPEC = "info:comm.grpc.server=warning:orderer.common.broadcast=error"


def logging_spec(default: str) -> str:
    """FABRIC_LOGGING_SPEC for a node: TRADEFIN_FABRIC_LOGGING_SPEC when set (e.g. "debug"), else ``default``."""
    return os.environ.get("TRADEFIN_FABRIC_LOGGING_SPEC") or default


def profiling() -> bool:
    """Whether nodes serve Go's pprof (TRADEFIN_FABRIC_PROFILE=1): on 127.0.0.1, at the port after the
    node's operations port (the spare port of its block), for profiling a node under load."""
    return os.environ.get("TRADEFIN_FABRIC_PROFILE", "") not in ("", "0")


@dataclass(frozen=True)
class NodeConfig:
    """What a runtime needs to start one node."""

    name: str
    kind: Literal["orderer", "peer"]  # also the program that runs it
    config_dir: Path
    data_dir: Path
    env: dict[str, str]
    ports: dict[str, int]
    config_file: str  # core.yaml or orderer.yaml, inside config_dir
    config: dict[str, object]

    def write(self) -> None:
        """Write the node's config file (and create its data directory)."""
        self.config_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.config_dir / self.config_file).write_text(yaml.safe_dump(self.config, sort_keys=False))

    @property
    def args(self) -> tuple[str, ...]:
        """The program's arguments: none for the orderer, ``node start`` for the peer."""
        return () if self.kind == "orderer" else ("node", "start")


def _addr(port: int) -> str:
    return f"{HOST}:{port}"


def builder_config(layout: Layout, ports: PortPlan, bank: BankSpec) -> dict[str, object]:
    """Template data for connection.json: this bank's chaincode server address per slot."""
    slots = ports.chaincode_slots[bank.name]
    return {"bank": bank.name, "chaincode": {f"slot{i}": _addr(port) for i, port in enumerate(slots)}}


def peer_config(layout: Layout, ports: PortPlan, bank: BankSpec, index: int, builder_path: str) -> NodeConfig:
    name = bank.peer_names()[index]
    node_ports = ports.nodes[name]
    crypto = layout.peer_crypto(bank, index)
    data = layout.data_dir(name)
    listen = _addr(node_ports["listen"])
    core: dict[str, object] = {
        "peer": {
            "id": bank.peer_host(index),
            "networkId": layout.spec.name,
            "listenAddress": listen,
            "address": listen,
            "addressAutoDetect": False,
            "chaincodeListenAddress": _addr(node_ports["chaincode"]),
            "chaincodeAddress": _addr(node_ports["chaincode"]),
            "gateway": {"enabled": True, "endorsementTimeout": "30s", "broadcastTimeout": "30s",
                        "dialTimeout": "30s"},
            "keepalive": {
                "interval": "7200s", "timeout": "20s", "minInterval": "60s",
                "client": {"interval": "60s", "timeout": "20s"},
                "deliveryClient": {"interval": "60s", "timeout": "20s"},
            },
            "gossip": {
                "bootstrap": listen,
                "useLeaderElection": False,
                "orgLeader": True,
                "membershipTrackerInterval": "1s",
                "endpoint": listen,
                "externalEndpoint": listen,
                "maxBlockCountToStore": 10,
                "maxPropagationBurstLatency": "10ms",
                "maxPropagationBurstSize": 10,
                "propagateIterations": 1,
                "propagatePeerNum": 3,
                "pullInterval": "4s",
                "pullPeerNum": 3,
                # Short intervals avoid the cross-bank join race (NETWORK-RECIPE §10, §10b).
                "requestStateInfoInterval": "500ms",
                "publishStateInfoInterval": "500ms",
                "reconnectInterval": "500ms",
                "publishCertPeriod": "10s",
                "skipBlockVerification": False,
                # A peer joining a channel dials the other banks' anchor peers before it has loaded the
                # channel's TLS roots (Fabric runs the gossip callback first): that dial fails on "unknown
                # authority" for as long as dialTimeout (its connection keeps the old roots), and a handshake
                # with a peer that has not joined yet waits connTimeout; the retry after reconnectInterval
                # succeeds. At 3 s / 2 s, 7 of 20 bring-ups of the default network waited 1.3-2.4 s more for
                # discovery (`python -m bench network --runs 20`); at 1 s / 1 s, 1 of 52 (loopback dials take
                # milliseconds).
                "dialTimeout": "1s",
                "connTimeout": "1s",
                "recvBuffSize": 20,
                "sendBuffSize": 200,
                "digestWaitTime": "1s",
                "requestWaitTime": "1500ms",
                "responseWaitTime": "2s",
                "aliveTimeInterval": "5s",
                "aliveExpirationTimeout": "25s",
                "maxConnectionAttempts": 120,
                "msgExpirationFactor": 20,
                "election": {"startupGracePeriod": "15s", "membershipSampleInterval": "1s",
                             "leaderAliveThreshold": "10s", "leaderElectionDuration": "5s"},
                "pvtData": {
                    "pullRetryThreshold": "60s",
                    "transientstoreMaxBlockRetention": 20000,
                    "pushAckTimeout": "3s",
                    "btlPullMargin": 10,
                    "reconcileBatchSize": 10,
                    "reconcileSleepInterval": "1m",
                    "reconciliationEnabled": True,
                    "skipPullingInvalidTransactionsDuringCommit": False,
                    "implicitCollectionDisseminationPolicy": {"requiredPeerCount": 0, "maxPeerCount": 1},
                },
                "state": {"enabled": False, "checkInterval": "10s", "responseTimeout": "3s", "batchSize": 10,
                          "blockBufferSize": 20, "maxRetries": 3},
            },
            "tls": {
                "enabled": True,
                "clientAuthRequired": False,
                "cert": {"file": str(crypto / "tls" / "server.crt")},
                "key": {"file": str(crypto / "tls" / "server.key")},
                "rootcert": {"file": str(crypto / "tls" / "ca.crt")},
                "clientRootCAs": {"files": [str(crypto / "tls" / "ca.crt")]},
            },
            "authentication": {"timewindow": "15m"},
            "fileSystemPath": str(data / "ledger"),
            "BCCSP": {"Default": "SW", "SW": {"Hash": "SHA2", "Security": 256, "FileKeyStore": {"KeyStore": ""}}},
            "mspConfigPath": str(crypto / "msp"),
            "localMspId": bank.msp_id,
            "localMspType": "bccsp",
            "client": {"connTimeout": "3s"},
            "deliveryclient": {
                "blockGossipEnabled": False,
                "reconnectTotalTimeThreshold": "3600s",
                "connTimeout": "3s",
                "reConnectBackoffThreshold": "3600s",
                "minimalReconnectInterval": "100ms",
                "blockCensorshipTimeoutKey": "30s",
                "policy": "cluster",
            },
            "profile": {"enabled": profiling(), "listenAddress": _addr(node_ports["operations"] + 1)},
            "handlers": {
                "authFilters": [{"name": "DefaultAuth"}, {"name": "ExpirationCheck"}, {"name": "TimeWindowCheck"}],
                "decorators": [{"name": "DefaultDecorator"}],
                "endorsers": {"escc": {"name": "DefaultEndorsement"}},
                "validators": {"vscc": {"name": "DefaultValidation"}},
            },
            "discovery": {"enabled": True, "authCacheEnabled": True, "authCacheMaxSize": 1000,
                          "authCachePurgeRetentionRatio": 0.75, "orgMembersAllowedAccess": False},
            "limits": {"concurrency": {"endorserService": 2500, "deliverService": 2500, "gatewayService": 500}},
            "maxRecvMsgSize": 104857600,
            "maxSendMsgSize": 104857600,
        },
        "vm": {"endpoint": ""},
        "chaincode": {
            "externalBuilders": [
                {"name": "ccaas", "path": builder_path, "propagateEnvironment": [BUILDER_CONFIG_ENV]}
            ],
            "installTimeout": "300s",
            # A chaincode server that never registers must not stall the peer for 5 minutes (§10).
            "startuptimeout": "30s",
            "executetimeout": "30s",
            "mode": "net",
            "keepalive": 0,
            "system": {"_lifecycle": "enable", "cscc": "enable", "lscc": "enable", "qscc": "enable"},
            "logging": {"level": "info", "shim": "warning"},
            "runtimeParams": {"useWriteBatch": True, "maxSizeWriteBatch": 1000, "useGetMultipleKeys": True,
                              "maxSizeGetMultipleKeys": 1000},
        },
        "ledger": {
            "state": {"stateDatabase": "goleveldb", "totalQueryLimit": 100000},
            "history": {"enableHistoryDatabase": True},
            "pvtdataStore": {
                "collElgProcMaxDbBatchSize": 5000,
                "collElgProcDbBatchesInterval": 1000,
                "deprioritizedDataReconcilerInterval": "60m",
                "purgeInterval": 100,
                "purgedKeyAuditLogging": True,
            },
            "snapshots": {"rootDir": str(data / "snapshots")},
        },
        "operations": {"listenAddress": _addr(node_ports["operations"]), "tls": {"enabled": False}},
        "metrics": {"provider": "prometheus"},
    }
    config_dir = layout.node_dir(name)
    env = {
        "FABRIC_CFG_PATH": str(config_dir),
        "FABRIC_LOGGING_SPEC": logging_spec(PEER_LOGGING_SPEC),
        BUILDER_CONFIG_ENV: json.dumps(builder_config(layout, ports, bank), sort_keys=True),
    }
    return NodeConfig(name, "peer", config_dir, data, env, dict(node_ports), "core.yaml", core)


def orderer_config(layout: Layout, ports: PortPlan, node: str) -> NodeConfig:
    node_ports = ports.nodes[node]
    crypto = layout.orderer_crypto(node)
    data = layout.data_dir(node)
    admin_ca = str(layout.orderer_tls_ca)
    config: dict[str, object] = {
        "General": {
            "ListenAddress": HOST,
            "ListenPort": node_ports["listen"],
            "TLS": {
                "Enabled": True,
                "PrivateKey": str(crypto / "tls" / "server.key"),
                "Certificate": str(crypto / "tls" / "server.crt"),
                "RootCAs": [str(crypto / "tls" / "ca.crt")],
                "ClientAuthRequired": False,
                "ClientRootCAs": [],
            },
            "Keepalive": {"ServerMinInterval": "60s", "ServerInterval": "7200s", "ServerTimeout": "20s"},
            # A restarted node rejoins in ~2 s instead of waiting out a 2-minute backoff (§10b).
            "Backoff": {"BaseDelay": "1s", "Multiplier": 1.6, "MaxDelay": "2s"},
            "MaxRecvMsgSize": 104857600,
            "MaxSendMsgSize": 104857600,
            "Throttling": {"Rate": 0, "InactivityTimeout": "5s"},
            # Cluster traffic reuses the main listener and its TLS certificate.
            "Cluster": {"SendBufferSize": 100, "RPCTimeout": "2s"},
            "BootstrapMethod": "none",
            "LocalMSPDir": str(crypto / "msp"),
            "LocalMSPID": layout.spec.orderer.msp_id,
            "Profile": {"Enabled": profiling(), "Address": _addr(node_ports["operations"] + 1)},
            "BCCSP": {"Default": "SW", "SW": {"Hash": "SHA2", "Security": 256, "FileKeyStore": {"KeyStore": ""}}},
            "Authentication": {"TimeWindow": "15m"},
        },
        "FileLedger": {"Location": str(data / "ledger")},
        "Operations": {"ListenAddress": _addr(node_ports["operations"]), "TLS": {"Enabled": False}},
        "Metrics": {"Provider": "prometheus"},
        "Admin": {
            "ListenAddress": _addr(node_ports["admin"]),
            "TLS": {
                "Enabled": True,
                "Certificate": str(crypto / "tls" / "server.crt"),
                "PrivateKey": str(crypto / "tls" / "server.key"),
                "ClientAuthRequired": True,
                "ClientRootCAs": [admin_ca],
            },
        },
        "ChannelParticipation": {"Enabled": True, "MaxRequestBodySize": "1 MB"},
        "Consensus": {"WALDir": str(data / "etcdraft" / "wal"), "SnapDir": str(data / "etcdraft" / "snapshot")},
    }
    config_dir = layout.node_dir(node)
    env = {"FABRIC_CFG_PATH": str(config_dir), "FABRIC_LOGGING_SPEC": logging_spec(ORDERER_LOGGING_SPEC)}
    return NodeConfig(node, "orderer", config_dir, data, env, dict(node_ports), "orderer.yaml", config)
