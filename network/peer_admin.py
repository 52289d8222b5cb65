"""Bank-admin operations through Fabric's own ``peer`` CLI: channel join and chaincode lifecycle."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .errors import NetworkError
from .fabric import FabricInstallation
from .layout import Layout
from .ports import HOST, PortPlan
from .spec import BankSpec


class PeerCommandError(NetworkError):
    """A ``peer`` CLI command failed; ``output`` holds what it printed."""

    def __init__(self, what: str, output: str) -> None:
        super().__init__(f"{what} failed: {output.strip()[-1500:]}")
        self.output = output


@dataclass(frozen=True)
class PeerAdmin:
    """Runs the peer CLI as a bank's Admin against one of its peers."""

    fabric: FabricInstallation
    layout: Layout
    ports: PortPlan
    bank: BankSpec
    peer_index: int = 0
    user: str = "Admin"

    @property
    def peer_name(self) -> str:
        return self.bank.peer_names()[self.peer_index]

    @property
    def address(self) -> str:
        return f"{HOST}:{self.ports.port(self.peer_name, 'listen')}"

    def env(self) -> dict[str, str]:
        peer_tls = self.layout.peer_crypto(self.bank, self.peer_index) / "tls" / "ca.crt"
        return {
            "FABRIC_CFG_PATH": str(self.layout.node_dir(self.peer_name)),
            "FABRIC_LOGGING_SPEC": "warning",
            "CORE_PEER_LOCALMSPID": self.bank.msp_id,
            "CORE_PEER_MSPCONFIGPATH": str(self.layout.bank_user(self.bank, self.user) / "msp"),
            "CORE_PEER_ADDRESS": self.address,
            "CORE_PEER_TLS_ENABLED": "true",
            "CORE_PEER_TLS_ROOTCERT_FILE": str(peer_tls),
            "PATH": "/usr/bin:/bin",
            "HOME": str(self.layout.root),
        }

    def run(self, *args: str, what: str, timeout: float = 120.0) -> str:
        cmd = [str(self.fabric.program("peer")), *args]
        try:
            result = subprocess.run(cmd, env=self.env(), capture_output=True, text=True, timeout=timeout,
                                    check=False)
        except subprocess.TimeoutExpired as exc:
            raise PeerCommandError(f"{what} ({self.peer_name})", f"timed out after {timeout:.0f}s") from exc
        if result.returncode != 0:
            raise PeerCommandError(f"{what} ({self.peer_name})", result.stderr + result.stdout)
        return result.stdout + result.stderr

    # --- orderer and endorser connection flags
    def orderer_flags(self, orderer_port: int) -> list[str]:
        return ["-o", f"{HOST}:{orderer_port}", "--tls", "--cafile", str(self.layout.orderer_tls_ca)]

    @staticmethod
    def endorser_flags(endorsers: list[tuple[str, Path]]) -> list[str]:
        """``--peerAddresses``/``--tlsRootCertFiles`` for each (address, TLS CA) of the endorsing peers."""
        return [flag for address, tls_ca in endorsers
                for flag in ("--peerAddresses", address, "--tlsRootCertFiles", str(tls_ca))]

    # --- channels
    def joined_channels(self) -> list[str]:
        out = self.run("channel", "list", what="peer channel list")
        listed = out.split("Channels peers has joined:", 1)[-1]
        return [line.strip() for line in listed.splitlines() if line.strip() and " " not in line.strip()]

    def join(self, block: Path) -> None:
        self.run("channel", "join", "-b", str(block), what=f"peer channel join {block.stem}")

    def height(self, channel: str) -> int:
        out = self.run("channel", "getinfo", "-c", channel, what=f"peer channel getinfo {channel}")
        doc = json.loads(out[out.index("{"):])
        return int(doc["height"])

    # --- chaincode lifecycle
    def installed_package_ids(self) -> list[str]:
        out = self.run("lifecycle", "chaincode", "queryinstalled", "--output", "json", what="queryinstalled")
        doc = json.loads(out[out.index("{"):]) if "{" in out else {}
        return [entry["package_id"] for entry in doc.get("installed_chaincodes") or []]

    def install(self, package: Path) -> None:
        try:
            self.run("lifecycle", "chaincode", "install", str(package), what=f"install {package.name}", timeout=300)
        except PeerCommandError as exc:
            if "already successfully installed" not in exc.output:
                raise

    def approve(self, channel: str, name: str, version: str, sequence: int, package_id: str,
                orderer_port: int, extra: list[str]) -> None:
        self.run("lifecycle", "chaincode", "approveformyorg", *self.orderer_flags(orderer_port),
                 "--channelID", channel, "--name", name, "--version", version, "--sequence", str(sequence),
                 "--package-id", package_id, *extra, what=f"approveformyorg {name} on {channel}")

    def commit_readiness(self, channel: str, name: str, version: str, sequence: int,
                         extra: list[str]) -> dict[str, bool]:
        out = self.run("lifecycle", "chaincode", "checkcommitreadiness", "--channelID", channel, "--name", name,
                       "--version", version, "--sequence", str(sequence), "--output", "json", *extra,
                       what=f"checkcommitreadiness {name} on {channel}")
        doc = json.loads(out[out.index("{"):])
        return {str(k): bool(v) for k, v in doc.get("approvals", {}).items()}

    def commit(self, channel: str, name: str, version: str, sequence: int, orderer_port: int,
               endorsers: list[tuple[str, Path]], extra: list[str]) -> None:
        self.run("lifecycle", "chaincode", "commit", *self.orderer_flags(orderer_port), "--channelID", channel,
                 "--name", name, "--version", version, "--sequence", str(sequence), *self.endorser_flags(endorsers),
                 *extra, what=f"commit {name} on {channel}")

    def committed(self, channel: str, name: str) -> dict[str, object] | None:
        try:
            out = self.run("lifecycle", "chaincode", "querycommitted", "--channelID", channel, "--name", name,
                           "--output", "json", what=f"querycommitted {name} on {channel}")
        except PeerCommandError as exc:
            if "not found" in exc.output or "404" in exc.output:
                return None
            raise
        doc: dict[str, object] = json.loads(out[out.index("{"):])
        return doc

    # --- invoke / query (the CLI's own client, for smoke tests and readiness)
    def invoke(self, channel: str, name: str, args: list[str], orderer_port: int,
               endorsers: list[tuple[str, Path]]) -> str:
        return self.run("chaincode", "invoke", *self.orderer_flags(orderer_port), "-C", channel, "-n", name,
                        *self.endorser_flags(endorsers), "-c", json.dumps({"Args": args}), "--waitForEvent",
                        what=f"invoke {name} on {channel}")

    def query(self, channel: str, name: str, args: list[str]) -> str:
        return self.run("chaincode", "query", "-C", channel, "-n", name, "-c", json.dumps({"Args": args}),
                        what=f"query {name} on {channel}").strip()
