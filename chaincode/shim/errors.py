"""Exceptions raised by the chaincode shim."""

from __future__ import annotations

__all__ = [
    "AttributeAssertionError",
    "ChaincodeInvocationError",
    "IdentityError",
    "KeyValidationError",
    "PeerError",
    "ProtocolError",
    "ShimError",
    "StreamClosedError",
]


class ShimError(Exception):
    """Base class of every failure the shim reports to chaincode code."""


class PeerError(ShimError):
    """The peer answered a request with ERROR (for example a rich query on a goleveldb peer).

    ``str(error)`` is the peer's own message, so it can be surfaced to the caller.
    """

    def __init__(self, request: str, message: str) -> None:
        super().__init__(message)
        self.request = request
        """The ChaincodeMessage type name of the refused request, e.g. ``GET_QUERY_RESULT``."""
        self.peer_message = message
        """The text the peer put in its ERROR payload."""


class ChaincodeInvocationError(ShimError):
    """A chaincode called through ``invoke_chaincode`` failed instead of returning a response."""


class ProtocolError(ShimError):
    """The peer sent something the protocol does not allow (wrong type, undecodable payload)."""


class StreamClosedError(ShimError):
    """The stream to the peer ended while a request was waiting for its answer."""


class KeyValidationError(ShimError, ValueError):
    """A key, composite key attribute or collection name breaks Fabric's rules."""


class IdentityError(ShimError):
    """The transaction creator cannot be decoded as an X.509 identity."""


class AttributeAssertionError(ShimError, PermissionError):
    """The caller's certificate does not carry the Fabric CA attribute value a rule requires."""
