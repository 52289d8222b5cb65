"""Message digests applied before signing.

A hash is any callable from message bytes to digest bytes. SHA-256 is the default and what
Fabric's MSPs expect from ECDSA identities; Ed25519 identities sign the raw message, so pair them
with :func:`none`. The transaction id is always SHA-256 whatever hash is chosen here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

__all__ = ["Hash", "none", "sha3_256", "sha3_384", "sha256", "sha384"]

Hash = Callable[[bytes], bytes]
"""A message digest function: message bytes in, digest bytes out."""


def sha256(message: bytes) -> bytes:
    """SHA-256 digest (the default)."""
    return hashlib.sha256(message).digest()


def sha384(message: bytes) -> bytes:
    """SHA-384 digest."""
    return hashlib.sha384(message).digest()


def sha3_256(message: bytes) -> bytes:
    """SHA3-256 digest."""
    return hashlib.sha3_256(message).digest()


def sha3_384(message: bytes) -> bytes:
    """SHA3-384 digest."""
    return hashlib.sha3_384(message).digest()


def none(message: bytes) -> bytes:
    """No digest: the signer receives the message itself (use with Ed25519)."""
    return message
