"""The gateway: a connection to one gateway peer with one signing identity.

This module holds what both front ends share: the signing context built at connect time (identity,
creator, hash, default timeouts, resubmit policy, TLS client certificate hash) and the rebuilding of
signable objects from bytes (offline signing: ``new_signed_proposal(bytes, signature)`` and friends).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from cryptography.exceptions import UnsupportedAlgorithm
from fabric_protos.msp import identities_pb2
from google.protobuf.message import DecodeError

from tradefin.gateway import hashes
from tradefin.gateway._flow import Context, Signable
from tradefin.gateway.endpoint import Endpoint
from tradefin.gateway.hashes import Hash
from tradefin.gateway.identity import X509Identity
from tradefin.gateway.options import ResubmitPolicy, Timeouts
from tradefin.gateway.signers import check_offline_signature

__all__ = ["GatewayBase", "checked_metadata", "connection_context", "new_context"]

S = TypeVar("S", bound=Signable[Any])


def new_context(
    identity: X509Identity,
    *,
    hash: Hash,
    timeouts: Timeouts,
    resubmit: ResubmitPolicy | None,
    tls_certificate_hash: bytes | None,
    can_sign: bool,
    metadata: Sequence[tuple[str, str | bytes]] = (),
    wait_for_ready: bool = False,
) -> Context:
    """The signing context of a gateway; rejects an Ed25519 identity paired with a digest hash."""
    if identity.uses_ed25519 and hash is not hashes.none:
        raise ValueError("Ed25519 identities sign the raw message: connect with hash=hashes.none")
    return Context(
        identity=identity,
        hash=hash,
        timeouts=timeouts,
        resubmit=resubmit,
        tls_certificate_hash=tls_certificate_hash,
        can_sign=can_sign,
        metadata=checked_metadata(metadata),
        wait_for_ready=bool(wait_for_ready),
    )


_METADATA_KEY = re.compile(r"[0-9a-z_.-]+")


def checked_metadata(metadata: Sequence[tuple[str, str | bytes]]) -> tuple[tuple[str, str | bytes], ...]:
    """gRPC metadata as the wire takes it: lowercase keys of ``0-9 a-z _ . -`` not starting ``grpc-``;
    a ``-bin`` key carries bytes, any other printable ASCII text."""
    checked: list[tuple[str, str | bytes]] = []
    # the values may be credentials (a bearer token): errors name keys and types, never values
    for index, entry in enumerate(metadata):
        if not (isinstance(entry, tuple) and len(entry) == 2):
            raise ValueError(f"metadata is (key, value) pairs; entry {index} is a {type(entry).__name__}")
        key, value = entry
        if not isinstance(key, str) or not _METADATA_KEY.fullmatch(key) or key.startswith("grpc-"):
            shown = repr(key) if isinstance(key, str) and len(key) <= 64 else f"of entry {index}"
            raise ValueError(f"metadata key {shown}: lowercase 0-9 a-z _ . - only, and not grpc-...")
        if key.endswith("-bin"):
            if not isinstance(value, bytes):
                raise ValueError(f"metadata key {key!r} ends with -bin: its value is bytes")
        elif not (isinstance(value, str) and value.isascii() and value.isprintable()):
            raise ValueError(f"metadata value of {key!r} must be printable ASCII text (or use a -bin key)")
        checked.append((key, value))
    return tuple(checked)


def connection_context(
    endpoint: object,
    identity: X509Identity,
    *,
    hash: Hash,
    timeouts: Timeouts | None,
    resubmit: ResubmitPolicy | None,
    tls_client_certificate_hash: bytes | None,
    can_sign: bool,
    metadata: Sequence[tuple[str, str | bytes]] = (),
    wait_for_ready: bool = False,
) -> Context:
    """The context of ``connect`` (see :func:`tradefin.gateway.connect`); built before any channel is
    opened, so that arguments it refuses leave no channel behind."""
    if isinstance(endpoint, Endpoint):
        tls_client_certificate_hash = tls_client_certificate_hash or endpoint.client_certificate_hash
    return new_context(
        identity,
        hash=hash,
        timeouts=timeouts or Timeouts(),
        resubmit=resubmit,
        tls_certificate_hash=tls_client_certificate_hash,
        can_sign=can_sign,
        metadata=metadata,
        wait_for_ready=wait_for_ready,
    )


class GatewayBase:
    """What the gateway front ends share: the identity, the defaults, rebuilding signed objects."""

    __slots__ = ("_client", "_context")

    def __init__(self, client: object, context: Context) -> None:
        self._client = client
        self._context = context

    @property
    def identity(self) -> X509Identity:
        """The identity every request is made and signed with."""
        return self._context.identity

    @property
    def timeouts(self) -> Timeouts:
        """The default timeouts of each step (override one with ``dataclasses.replace``)."""
        return self._context.timeouts

    @property
    def resubmit_policy(self) -> ResubmitPolicy | None:
        """The default resubmit policy of ``submit`` (``None``: official clients' behaviour)."""
        return self._context.resubmit

    def _rebuild(
        self,
        signable_class: type[S],
        parse: Callable[[bytes], tuple[Any, bytes, bytes]],
        serialized: bytes,
        signature: bytes | None,
        **extra: Any,
    ) -> S:
        data, embedded_signature, creator = parse(serialized)
        rebuilt = signable_class(self._client, self._context, data, signature or embedded_signature or None, **extra)
        if signature:  # signed offline: by the creator the bytes name (Fabric checks it), over the digest
            signer = self._creator_identity(creator)
            if signer is not None:
                check_offline_signature(signer, rebuilt.digest, signature, "the signature", "digest")
        return rebuilt

    def _creator_identity(self, creator: bytes) -> X509Identity | None:
        """The identity a serialised creator names: this gateway's own, or another X.509 one (``None``
        when the bytes name none this client can check a signature with)."""
        if not creator:
            return None
        if creator == self._context.identity.creator:
            return self._context.identity
        try:
            named = identities_pb2.SerializedIdentity.FromString(creator)
            identity = X509Identity(named.mspid, named.id_bytes)
            identity.certificate.public_key()  # a key cryptography cannot load: nothing to check with
        except (DecodeError, ValueError, UnsupportedAlgorithm):
            return None
        return identity
