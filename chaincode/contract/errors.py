"""Errors a transaction function raises to refuse a transaction with a stable code."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ChaincodeError", "ErrorCode"]


class ErrorCode(StrEnum):
    """The error catalogue (DOMAIN.md §4.8, ``tradefin.v1.ErrorCode``) plus ``ERR_INTERNAL``.

    ``ERR_INTERNAL`` is reserved for the contract framework: it marks an unexpected exception.
    """

    UNAUTHORIZED = "ERR_UNAUTHORIZED"
    INVALID_INPUT = "ERR_INVALID_INPUT"
    NOT_FOUND = "ERR_NOT_FOUND"
    DUPLICATE = "ERR_DUPLICATE"
    INVALID_STATE = "ERR_INVALID_STATE"
    EXPIRED = "ERR_EXPIRED"
    DEADLINE_PASSED = "ERR_DEADLINE_PASSED"
    LIMIT_EXCEEDED = "ERR_LIMIT_EXCEEDED"
    INSUFFICIENT_FUNDS = "ERR_INSUFFICIENT_FUNDS"
    KYC = "ERR_KYC"
    SANCTIONS = "ERR_SANCTIONS"
    APPROVAL_REQUIRED = "ERR_APPROVAL_REQUIRED"
    DUPLICATE_FINANCING = "ERR_DUPLICATE_FINANCING"
    QUOTE_EXPIRED = "ERR_QUOTE_EXPIRED"
    TIMESTAMP_SKEW = "ERR_TIMESTAMP_SKEW"
    INTERNAL = "ERR_INTERNAL"


class ChaincodeError(Exception):
    """Refuse the transaction: the response is ``status 500, message "ERR_CODE: text"``.

    The text reaches the client; keep payloads, transient data and secrets out of it.
    """

    def __init__(self, code: ErrorCode | str, message: str) -> None:
        self.code = ErrorCode(code)
        """The stable error code."""
        self.text = message
        """The human-readable explanation."""
        super().__init__(f"{self.code.value}: {message}")

    @property
    def response_message(self) -> str:
        """The ``peer.Response.message`` this error becomes."""
        return f"{self.code.value}: {self.text}"
