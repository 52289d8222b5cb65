"""Fabric common connection profiles (JSON or YAML): organisations, their peers, TLS CA certificates.

Read keys: ``client.organization``, ``organizations.<name>.{mspid, peers}``, and
``peers.<name>.{url, tlsCACerts.{pem | path}, grpcOptions.{ssl-target-name-override | hostnameOverride}}``.
A ``path`` is relative to the profile's folder. ``grpcs://`` URLs mean TLS, ``grpc://`` plaintext.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from tradefin.gateway.endpoint import Endpoint

__all__ = ["ConnectionProfile", "OrganizationProfile", "PeerProfile"]


@dataclass(frozen=True, slots=True)
class PeerProfile:
    """A peer of the profile.

    Attributes:
        name: the peer's name in the profile, e.g. ``peer0.bank1.example.com``.
        address: ``host:port`` from its URL.
        uses_tls: whether the URL is ``grpcs://``.
        tls_root_certificates: PEM of its TLS CA, when given.
        server_name_override: the TLS server name to check, when given.
    """

    name: str
    address: str
    uses_tls: bool
    tls_root_certificates: bytes | None
    server_name_override: str | None

    def endpoint(self, *, client_certificate: bytes | None = None, client_key: bytes | None = None) -> Endpoint:
        """The gRPC endpoint of this peer (give a client certificate and key for mutual TLS)."""
        if not self.uses_tls:
            if client_certificate is not None:
                raise ValueError(f"peer {self.name} has a plaintext URL; mutual TLS is not possible")
            return Endpoint.without_tls(self.address)
        if self.tls_root_certificates is None:
            raise ValueError(f"peer {self.name}: the profile has no tlsCACerts")
        return Endpoint.tls(
            self.address,
            self.tls_root_certificates,
            client_certificate=client_certificate,
            client_key=client_key,
            server_name_override=self.server_name_override,
        )


@dataclass(frozen=True, slots=True)
class OrganizationProfile:
    """An organisation of the profile: its name, MSP id and peer names."""

    name: str
    msp_id: str
    peers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ConnectionProfile:
    """A parsed common connection profile.

    Attributes:
        name: the profile's name.
        client_organization: the organisation the client belongs to (``client.organization``), if given.
        organizations: organisations by name.
        peers: peers by name.
        channels: peer names by channel (the ``channels`` section), when given.
    """

    name: str
    client_organization: str | None
    organizations: Mapping[str, OrganizationProfile]
    peers: Mapping[str, PeerProfile]
    channels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path) -> ConnectionProfile:
        """Read a profile file (``.json``, or YAML for any other suffix)."""
        path = Path(path)
        text = path.read_text(encoding="utf-8")
        document = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        return cls.from_mapping(document, base_dir=path.parent)

    @classmethod
    def from_mapping(cls, document: Mapping[str, Any], base_dir: str | Path = ".") -> ConnectionProfile:
        """Build a profile from its parsed JSON / YAML document."""
        if not isinstance(document, Mapping):
            raise ValueError("a connection profile is a mapping")
        base = Path(base_dir)
        peers = {name: _peer(name, entry or {}, base) for name, entry in (document.get("peers") or {}).items()}
        organizations = {}
        for name, entry in (document.get("organizations") or {}).items():
            organization = entry or {}
            msp_id = organization.get("mspid")
            if not msp_id:
                raise ValueError(f"organization {name}: no mspid")
            organizations[name] = OrganizationProfile(name, str(msp_id), tuple(organization.get("peers") or ()))
        client = document.get("client") or {}
        channels = {
            str(channel): tuple((entry or {}).get("peers") or ())
            for channel, entry in (document.get("channels") or {}).items()
        }
        return cls(
            name=str(document.get("name", "")),
            client_organization=client.get("organization"),
            organizations=organizations,
            peers=peers,
            channels=channels,
        )

    def organization(self, msp_id: str) -> OrganizationProfile:
        """The organisation with MSP id ``msp_id``."""
        for organization in self.organizations.values():
            if organization.msp_id == msp_id:
                return organization
        raise KeyError(f"no organization with MSP id {msp_id!r} in profile {self.name!r}")

    def peers_of(self, msp_id: str) -> tuple[PeerProfile, ...]:
        """The peers of the organisation with MSP id ``msp_id``."""
        return tuple(self.peers[name] for name in self.organization(msp_id).peers if name in self.peers)

    def endpoint(
        self, peer: str, *, client_certificate: bytes | None = None, client_key: bytes | None = None
    ) -> Endpoint:
        """The gRPC endpoint of the peer named ``peer``."""
        try:
            profile = self.peers[peer]
        except KeyError:
            raise KeyError(f"no peer {peer!r} in profile {self.name!r}") from None
        return profile.endpoint(client_certificate=client_certificate, client_key=client_key)


def _peer(name: str, entry: Mapping[str, Any], base: Path) -> PeerProfile:
    url = entry.get("url")
    if not url:
        raise ValueError(f"peer {name}: no url")
    parts = urlsplit(url if "://" in url else f"grpcs://{url}")
    if parts.scheme not in ("grpc", "grpcs") or not parts.hostname or not parts.port:
        raise ValueError(f"peer {name}: url {url!r} is not grpc(s)://host:port")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    options = entry.get("grpcOptions") or {}
    override = options.get("ssl-target-name-override") or options.get("hostnameOverride")
    return PeerProfile(
        name=name,
        address=f"{host}:{parts.port}",
        uses_tls=parts.scheme == "grpcs",
        tls_root_certificates=_pem(entry.get("tlsCACerts") or {}, base),
        server_name_override=str(override) if override else None,
    )


def _pem(entry: Mapping[str, Any], base: Path) -> bytes | None:
    pem = entry.get("pem")
    if pem:
        return ("\n".join(pem) if isinstance(pem, list) else str(pem)).encode()
    path = entry.get("path")
    if path:
        return (base / str(path)).read_bytes()
    return None
