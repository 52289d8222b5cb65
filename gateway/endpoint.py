"""Where the gateway peer is and how to reach it: TLS, mutual TLS, or (explicitly) plaintext."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import serialization

__all__ = ["ChannelOption", "Endpoint"]


ChannelOption = tuple[str, "int | str"]
"""A gRPC channel argument: its name (e.g. ``grpc.keepalive_time_ms``) and value."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A gateway peer's gRPC endpoint.

    Build it with :meth:`tls` (the normal case: the peer's TLS CA given), :meth:`tls_with_system_roots`
    (a peer whose TLS certificate a public CA signed, checked against the machine's trust store) or
    :meth:`without_tls` (explicitly insecure); there is no silent fallback from TLS to plaintext, nor
    from a given CA to the system's.

    Attributes:
        address: ``host:port``.
        root_certificates: PEM CA certificates of the peer's TLS CA.
        client_certificate: PEM client TLS certificate, for mutual TLS.
        client_key: PEM client TLS private key, for mutual TLS.
        server_name_override: the name to check in the peer's certificate when it differs from the host
            (``ssl-target-name-override`` in connection profiles).
        plaintext: ``True`` only for an endpoint made by :meth:`without_tls`.
        system_roots: ``True`` only for an endpoint made by :meth:`tls_with_system_roots`.
        channel_options: gRPC channel arguments added to the client's own (keepalive every 120 s, 100 MB
            messages), replacing those of the same name, e.g. ``(("grpc.keepalive_time_ms", 300_000),)``
            for a load balancer with a longer idle allowance.
    """

    address: str
    root_certificates: bytes | None = None
    client_certificate: bytes | None = None
    client_key: bytes | None = field(default=None, repr=False)  # never shown (logs, tracebacks)
    server_name_override: str | None = None
    plaintext: bool = False
    system_roots: bool = False
    channel_options: tuple[ChannelOption, ...] = ()

    def __post_init__(self) -> None:
        if not self.address:
            raise ValueError("an endpoint needs an address (host:port)")
        if self.address != self.address.strip() or any(character.isspace() for character in self.address):
            raise ValueError(f"endpoint address {self.address!r} holds blanks; give host:port")
        scheme, separator, rest = self.address.partition("://")
        if separator and scheme.lower() in ("grpc", "grpcs", "http", "https"):
            # a connection profile's URL form; gRPC would take it as a host name and fail on the first call
            raise ValueError(
                f"endpoint address {self.address!r} is a URL: give host:port ({rest!r}); TLS or not is chosen by "
                "the Endpoint constructor (tls, tls_with_system_roots, without_tls)"
            )
        if (self.client_certificate is None) != (self.client_key is None):
            raise ValueError("mutual TLS needs both the client certificate and the client key")
        for option in self.channel_options:
            if not (
                isinstance(option, tuple)
                and len(option) == 2
                and isinstance(option[0], str)
                and isinstance(option[1], int | str)
            ):
                raise ValueError(f"a channel option is a (name, int or str value) pair, got {option!r}")
        if self.plaintext:
            if self.root_certificates or self.client_certificate or self.server_name_override or self.system_roots:
                raise ValueError("a plaintext endpoint takes no TLS settings")
        elif self.system_roots:
            if self.root_certificates:
                raise ValueError("give either the peer's TLS CA certificates or system_roots, not both")
        elif not self.root_certificates:
            raise ValueError(
                f"TLS to {self.address} needs the peer's TLS CA certificates; use "
                "Endpoint.tls_with_system_roots() for a publicly signed peer certificate, or "
                "Endpoint.without_tls() to connect in plaintext deliberately"
            )

    @classmethod
    def tls(
        cls,
        address: str,
        root_certificates: bytes,
        *,
        client_certificate: bytes | None = None,
        client_key: bytes | None = None,
        server_name_override: str | None = None,
        channel_options: tuple[ChannelOption, ...] = (),
    ) -> Endpoint:
        """A TLS endpoint; give the client certificate and key for mutual TLS."""
        return cls(
            address,
            root_certificates,
            client_certificate,
            client_key,
            server_name_override,
            channel_options=channel_options,
        )

    @classmethod
    def tls_with_system_roots(
        cls,
        address: str,
        *,
        client_certificate: bytes | None = None,
        client_key: bytes | None = None,
        server_name_override: str | None = None,
        channel_options: tuple[ChannelOption, ...] = (),
    ) -> Endpoint:
        """A TLS endpoint whose certificate is checked against the system's trust store (gRPC's default
        roots, or the file ``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH`` names): a peer behind a publicly signed
        certificate, e.g. a managed service's."""
        return cls(
            address,
            None,
            client_certificate,
            client_key,
            server_name_override,
            system_roots=True,
            channel_options=channel_options,
        )

    @classmethod
    def without_tls(cls, address: str, *, channel_options: tuple[ChannelOption, ...] = ()) -> Endpoint:
        """A plaintext endpoint. Fabric networks normally require TLS: use this only where they do not."""
        return cls(address, plaintext=True, channel_options=channel_options)

    @property
    def client_certificate_hash(self) -> bytes | None:
        """SHA-256 of the client TLS certificate (DER), which block event requests carry with mutual TLS."""
        if self.client_certificate is None:
            return None
        certificate = x509.load_pem_x509_certificate(self.client_certificate)
        return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).digest()
