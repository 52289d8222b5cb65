"""Where the gateway peer is and how to reach it: TLS, mutual TLS, or (explicitly) plaintext."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import serialization

__all__ = ["Endpoint"]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A gateway peer's gRPC endpoint.

    Build it with :meth:`tls` (the normal case) or :meth:`without_tls` (explicitly insecure); there is
    no silent fallback from TLS to plaintext.

    Attributes:
        address: ``host:port``.
        root_certificates: PEM CA certificates of the peer's TLS CA.
        client_certificate: PEM client TLS certificate, for mutual TLS.
        client_key: PEM client TLS private key, for mutual TLS.
        server_name_override: the name to check in the peer's certificate when it differs from the host
            (``ssl-target-name-override`` in connection profiles).
        plaintext: ``True`` only for an endpoint made by :meth:`without_tls`.
    """

    address: str
    root_certificates: bytes | None = None
    client_certificate: bytes | None = None
    client_key: bytes | None = field(default=None, repr=False)  # never shown (logs, tracebacks)
    server_name_override: str | None = None
    plaintext: bool = False

    def __post_init__(self) -> None:
        if not self.address:
            raise ValueError("an endpoint needs an address (host:port)")
        if (self.client_certificate is None) != (self.client_key is None):
            raise ValueError("mutual TLS needs both the client certificate and the client key")
        if self.plaintext:
            if self.root_certificates or self.client_certificate or self.server_name_override:
                raise ValueError("a plaintext endpoint takes no TLS settings")
        elif not self.root_certificates:
            raise ValueError(
                f"TLS to {self.address} needs the peer's TLS CA certificates; "
                "use Endpoint.without_tls() to connect in plaintext deliberately"
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
    ) -> Endpoint:
        """A TLS endpoint; give the client certificate and key for mutual TLS."""
        return cls(address, root_certificates, client_certificate, client_key, server_name_override)

    @classmethod
    def without_tls(cls, address: str) -> Endpoint:
        """A plaintext endpoint. Fabric networks normally require TLS: use this only where they do not."""
        return cls(address, plaintext=True)

    @property
    def client_certificate_hash(self) -> bytes | None:
        """SHA-256 of the client TLS certificate (DER), which block event requests carry with mutual TLS."""
        if self.client_certificate is None:
            return None
        certificate = x509.load_pem_x509_certificate(self.client_certificate)
        return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).digest()
