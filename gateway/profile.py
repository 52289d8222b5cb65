"""Fabric common connection profiles (JSON or YAML): organisations, their peers, TLS CA certificates,
and where their users' identities are.

Read keys: ``client.organization``, ``organizations.<name>.{mspid, peers}``, and
``peers.<name>.{url, tlsCACerts.{pem | path}, grpcOptions.{ssl-target-name-override | hostnameOverride}}``.
Identities, in the three forms the SDKs' profiles use: ``organizations.<name>.users.<user>.{cert, key}``
(each ``{pem | path}``), ``organizations.<name>.cryptoPath`` (an MSP folder, ``{username}`` standing for
the user: the network launcher writes this one), and the organisation admin's
``organizations.<name>.{signedCert, adminPrivateKey}`` (user ``Admin``).
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
from tradefin.gateway.identity import X509Identity, load_msp_identity
from tradefin.gateway.signers import Signer, load_msp_signer, load_private_key, new_private_key_signer

__all__ = ["ConnectionProfile", "OrganizationProfile", "PeerProfile", "UserProfile"]

DEFAULT_USER = "User1"
_ADMIN = "Admin"


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
class _Pem:
    """A PEM given inline or as a file (read when needed, so keys stay on disk until used)."""

    pem: bytes | None = field(repr=False)  # may be a private key: never shown (logs, tracebacks)
    path: Path | None

    def read(self) -> bytes:
        if self.pem is not None:
            return self.pem
        assert self.path is not None
        return self.path.read_bytes()


@dataclass(frozen=True, slots=True)
class UserProfile:
    """Where one user's certificate and private key are (``users.<user>`` or the admin's entries)."""

    certificate: _Pem
    private_key: _Pem | None


@dataclass(frozen=True, slots=True)
class OrganizationProfile:
    """An organisation of the profile.

    Attributes:
        name: its name in the profile.
        msp_id: its MSP id.
        peers: its peers' names.
        crypto_path: an MSP folder template (``{username}`` for the user), when given.
        users: users whose certificate (and key) the profile gives.
    """

    name: str
    msp_id: str
    peers: tuple[str, ...]
    crypto_path: str | None = None
    users: Mapping[str, UserProfile] = field(default_factory=dict)

    def user_msp(self, user: str) -> Path | None:
        """The MSP folder of ``user`` from ``cryptoPath``, if the profile has one."""
        if not self.crypto_path:
            return None
        return Path(self.crypto_path.replace("{username}", user).replace("{userName}", user))


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
        base = Path(base_dir).resolve()  # files named by the profile may be read later, after a chdir
        peers = {name: _peer(name, entry or {}, base) for name, entry in (document.get("peers") or {}).items()}
        organizations = {}
        for name, entry in (document.get("organizations") or {}).items():
            organizations[name] = _organization(str(name), entry or {}, base)
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

    def identity(self, msp_id: str | None = None, user: str = DEFAULT_USER) -> X509Identity:
        """The identity of ``user`` of the organisation ``msp_id`` (default: the client's organisation)."""
        organization = self._client_or(msp_id)
        given = organization.users.get(user)
        if given is not None:
            return X509Identity(organization.msp_id, given.certificate.read())
        return load_msp_identity(self._user_msp(organization, user), organization.msp_id)

    def signer(self, msp_id: str | None = None, user: str = DEFAULT_USER, password: bytes | None = None) -> Signer:
        """A signer with the private key of ``user`` of the organisation ``msp_id`` (default: the
        client's organisation)."""
        organization = self._client_or(msp_id)
        given = organization.users.get(user)
        if given is not None:
            if given.private_key is None:
                raise ValueError(f"profile {self.name!r}: user {user!r} of {organization.msp_id} has no key")
            return new_private_key_signer(load_private_key(given.private_key.read(), password))
        return load_msp_signer(self._user_msp(organization, user), password)

    def _client_or(self, msp_id: str | None) -> OrganizationProfile:
        if msp_id is not None:
            return self.organization(msp_id)
        if self.client_organization is None:
            raise ValueError(f"profile {self.name!r} names no client organization: give the MSP id")
        by_name = self.organizations.get(self.client_organization)
        return by_name if by_name is not None else self.organization(self.client_organization)

    def _user_msp(self, organization: OrganizationProfile, user: str) -> Path:
        msp = organization.user_msp(user)
        if msp is None:
            known = ", ".join(sorted(organization.users)) or "none"
            raise ValueError(
                f"profile {self.name!r}: no identity for user {user!r} of {organization.msp_id} "
                f"(no cryptoPath; users given: {known})"
            )
        if not msp.is_dir():
            raise ValueError(f"profile {self.name!r}: user {user!r} of {organization.msp_id} has no MSP folder {msp}")
        return msp

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


def _organization(name: str, entry: Mapping[str, Any], base: Path) -> OrganizationProfile:
    msp_id = entry.get("mspid")
    if not msp_id:
        raise ValueError(f"organization {name}: no mspid")
    users: dict[str, UserProfile] = {}
    if entry.get("signedCert"):
        users[_ADMIN] = UserProfile(_source(entry["signedCert"], base, f"{name}.signedCert"), _key(entry, base, name))
    for user, given in (entry.get("users") or {}).items():
        credentials = given or {}
        if not credentials.get("cert"):
            raise ValueError(f"organization {name}: user {user} has no cert")
        key = _source(credentials["key"], base, f"{name}.users.{user}.key") if credentials.get("key") else None
        users[str(user)] = UserProfile(_source(credentials["cert"], base, f"{name}.users.{user}.cert"), key)
    crypto_path = entry.get("cryptoPath")
    if crypto_path:
        crypto_path = str(base / str(crypto_path))  # an absolute path stays as it is
    return OrganizationProfile(
        name, str(msp_id), tuple(entry.get("peers") or ()), crypto_path=crypto_path or None, users=users
    )


def _key(entry: Mapping[str, Any], base: Path, name: str) -> _Pem | None:
    key = entry.get("adminPrivateKey")
    return _source(key, base, f"{name}.adminPrivateKey") if key else None


def _source(entry: Any, base: Path, where: str) -> _Pem:
    if not isinstance(entry, Mapping):
        raise ValueError(f"{where}: expected {{pem: ...}} or {{path: ...}}")
    pem = entry.get("pem")
    if pem:
        return _Pem(("\n".join(pem) if isinstance(pem, list) else str(pem)).encode(), None)
    path = entry.get("path")
    if path:
        return _Pem(None, base / str(path))
    raise ValueError(f"{where}: expected {{pem: ...}} or {{path: ...}}")


def _pem(entry: Mapping[str, Any], base: Path) -> bytes | None:
    """An optional ``{pem | path}`` entry, read now (``None`` when it gives neither)."""
    if not (entry.get("pem") or entry.get("path")):
        return None
    return _source(entry, base, "tlsCACerts").read()
