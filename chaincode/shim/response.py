"""The response a chaincode gives for one transaction (becomes a ``peer.Response``)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ERROR_THRESHOLD", "OK", "ChaincodeResponse"]

OK = 200
ERROR_THRESHOLD = 400
"""Responses with a status at or above this are not endorsed by the peer."""


@dataclass(frozen=True, slots=True)
class ChaincodeResponse:
    """Status, message and payload of a chaincode response."""

    status: int
    message: str = ""
    payload: bytes = b""

    @classmethod
    def success(cls, payload: bytes = b"") -> ChaincodeResponse:
        """A 200 response carrying ``payload``."""
        return cls(OK, "", payload)

    @classmethod
    def error(cls, message: str, status: int = 500) -> ChaincodeResponse:
        """An error response (status 500 unless told otherwise)."""
        return cls(status, message, b"")

    @property
    def ok(self) -> bool:
        """True when the peer would endorse this response (status below 400)."""
        return self.status < ERROR_THRESHOLD
