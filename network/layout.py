"""Where every file of a network lives inside its working directory (``.tradefin/`` by default)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .spec import BankSpec, NetworkSpec

DEFAULT_WORKDIR = ".tradefin"


def default_workdir() -> Path:
    return Path(os.environ.get("TRADEFIN_HOME", DEFAULT_WORKDIR)).resolve()


@dataclass(frozen=True)
class Layout:
    """Paths of one network's working directory. Nothing here touches the disk."""

    root: Path
    spec: NetworkSpec

    # --- network-wide files
    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    @property
    def lock_file(self) -> Path:
        return self.root / "network.lock"

    @property
    def spec_file(self) -> Path:
        return self.root / "spec.yaml"

    @property
    def crypto_config(self) -> Path:
        return self.root / "crypto-config.yaml"

    @property
    def crypto(self) -> Path:
        return self.root / "crypto"

    @property
    def configtx_dir(self) -> Path:
        return self.root / "configtx"

    def block(self, channel: str) -> Path:
        return self.root / "channels" / f"{channel}.block"

    @property
    def chaincode_tls(self) -> Path:
        return self.root / "chaincode-tls"

    def chaincode_dir(self, channel: str, name: str) -> Path:
        return self.root / "chaincode" / f"{channel}--{name}"

    @property
    def profiles(self) -> Path:
        return self.root / "profiles"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def log(self, node: str) -> Path:
        return self.logs / f"{node}.log"

    def node_dir(self, node: str) -> Path:
        return self.root / "nodes" / node

    def data_dir(self, node: str) -> Path:
        return self.node_dir(node) / "data"

    # --- orderer organisation
    @property
    def orderer_org(self) -> Path:
        return self.crypto / "ordererOrganizations" / self.spec.orderer.domain

    def orderer_host(self, node: str) -> str:
        return f"{node}.{self.spec.orderer.domain}"

    def orderer_crypto(self, node: str) -> Path:
        return self.orderer_org / "orderers" / self.orderer_host(node)

    @property
    def orderer_tls_ca(self) -> Path:
        return self.orderer_org / "tlsca" / f"tlsca.{self.spec.orderer.domain}-cert.pem"

    @property
    def orderer_admin(self) -> Path:
        return self.orderer_org / "users" / f"Admin@{self.spec.orderer.domain}"

    # --- banks
    def bank_org(self, bank: BankSpec) -> Path:
        return self.crypto / "peerOrganizations" / bank.domain

    def peer_crypto(self, bank: BankSpec, index: int) -> Path:
        return self.bank_org(bank) / "peers" / bank.peer_host(index)

    def bank_tls_ca(self, bank: BankSpec) -> Path:
        return self.bank_org(bank) / "tlsca" / f"tlsca.{bank.domain}-cert.pem"

    def bank_ca(self, bank: BankSpec) -> Path:
        return self.bank_org(bank) / "ca" / f"ca.{bank.domain}-cert.pem"

    def bank_user(self, bank: BankSpec, user: str) -> Path:
        """A user's folder (``msp/`` and ``tls/``); ``user`` is e.g. ``Admin`` or ``User1``."""
        return self.bank_org(bank) / "users" / f"{user}@{bank.domain}"

    def profile(self, bank: BankSpec, suffix: str) -> Path:
        return self.profiles / f"{bank.name}.{suffix}"
