"""Errors of the typed trade-finance client: one exception class per code of the error catalogue.

The chaincode refuses a transaction with ``status 500, message "ERR_CODE: text"`` (DOMAIN.md section
4.8); the gateway reports it as an :class:`~tradefin.gateway.EndorseError` or
:class:`~tradefin.gateway.EvaluateError` whose per-peer details carry ``"chaincode response 500,
ERR_CODE: text"``. :func:`chaincode_error` turns such a gateway error into the class of its code
(:class:`InvalidInputError`, :class:`UnauthorizedError`, ...), keeping the transaction id, the
per-peer details and the gateway error itself. Gateway failures without a chaincode code (no peer
reachable, a commit that was invalid, ...) stay the gateway's own exceptions.

The typed client's early checks raise the same classes before anything is sent; their
``transaction_id`` is ``None``.
"""

from __future__ import annotations

import re
from typing import ClassVar

from tradefin.gateway.errors import ErrorDetail, GatewayError, TransactionError

__all__ = [
    "ApprovalRequiredError",
    "ChaincodeInternalError",
    "DeadlinePassedError",
    "DuplicateError",
    "DuplicateFinancingError",
    "ExpiredError",
    "InsufficientFundsError",
    "InvalidInputError",
    "InvalidStateError",
    "KycError",
    "LimitExceededError",
    "NotFoundError",
    "QuoteExpiredError",
    "SanctionsError",
    "TimestampSkewError",
    "TradeFinanceError",
    "UnauthorizedError",
    "chaincode_error",
    "error_class",
]

# "ERR_CODE: text" anywhere in a peer's message (the gateway prefixes "chaincode response 500, ").
_CODED_MESSAGE = re.compile(r"\b(ERR_[A-Z_]+): (.*)", re.DOTALL)
# The rules name the field at fault first: "terms.documents_required[0].doc_type: is required".
_FIELD_PATH = re.compile(r"^[a-z_][a-z0-9_]*(?:\[\d+\])*(?:\.[a-z_][a-z0-9_]*(?:\[\d+\])*)*$")


class TradeFinanceError(Exception):
    """The trade-finance chaincode (or the client's early check) refused the request.

    Attributes:
        code: the catalogue code, e.g. ``"ERR_INVALID_INPUT"``.
        field: the request field at fault as a dotted path (``"terms.amount.currency"``), or ``""``.
        reason: the human explanation, without the code and the field.
        transaction_id: the refused transaction's id; ``None`` when the client refused it before sending.
        details: what each peer answered (address, MSP id, message), when the gateway said.
        gateway_error: the gateway error this was read from (``None`` for an early check).
    """

    catalogue_code: ClassVar[str] = ""
    """The code every instance of the class carries."""

    def __init__(
        self,
        reason: str,
        *,
        field: str = "",
        transaction_id: str | None = None,
        details: tuple[ErrorDetail, ...] = (),
        gateway_error: GatewayError | None = None,
        code: str | None = None,
    ) -> None:
        self.code = code or self.catalogue_code
        self.field = field
        self.reason = reason
        self.transaction_id = transaction_id
        self.details = details
        self.gateway_error = gateway_error
        super().__init__(self.text)

    @property
    def text(self) -> str:
        """``"<CODE>: <field>: <reason>"``, the chaincode's own wording."""
        return f"{self.code}: {self.field}: {self.reason}" if self.field else f"{self.code}: {self.reason}"


class UnauthorizedError(TradeFinanceError):
    """ERR_UNAUTHORIZED: the caller's organisation or certificate role may not do this."""

    catalogue_code = "ERR_UNAUTHORIZED"


class InvalidInputError(TradeFinanceError):
    """ERR_INVALID_INPUT: a field of the request is invalid (``field`` names it)."""

    catalogue_code = "ERR_INVALID_INPUT"


class NotFoundError(TradeFinanceError):
    """ERR_NOT_FOUND: a record the request names does not exist."""

    catalogue_code = "ERR_NOT_FOUND"


class DuplicateError(TradeFinanceError):
    """ERR_DUPLICATE: a unique key (credit number, presentation id, ...) is already taken."""

    catalogue_code = "ERR_DUPLICATE"


class InvalidStateError(TradeFinanceError):
    """ERR_INVALID_STATE: the transition is not allowed from the record's current state."""

    catalogue_code = "ERR_INVALID_STATE"


class ExpiredError(TradeFinanceError):
    """ERR_EXPIRED: the credit (or transferred credit) expired for this act."""

    catalogue_code = "ERR_EXPIRED"


class DeadlinePassedError(TradeFinanceError):
    """ERR_DEADLINE_PASSED: a time limit of the rules has passed (e.g. the art. 14b/16d refusal deadline)."""

    catalogue_code = "ERR_DEADLINE_PASSED"


class LimitExceededError(TradeFinanceError):
    """ERR_LIMIT_EXCEEDED: a limit (counterparty, country, customer, pilot cap) would be exceeded."""

    catalogue_code = "ERR_LIMIT_EXCEEDED"


class InsufficientFundsError(TradeFinanceError):
    """ERR_INSUFFICIENT_FUNDS: the available balance does not cover the amount."""

    catalogue_code = "ERR_INSUFFICIENT_FUNDS"


class KycError(TradeFinanceError):
    """ERR_KYC: a party lacks a verified, unexpired KYC attestation."""

    catalogue_code = "ERR_KYC"


class SanctionsError(TradeFinanceError):
    """ERR_SANCTIONS: a screening result or an embargo blocks the request."""

    catalogue_code = "ERR_SANCTIONS"


class ApprovalRequiredError(TradeFinanceError):
    """ERR_APPROVAL_REQUIRED: a second approver must approve (dual control)."""

    catalogue_code = "ERR_APPROVAL_REQUIRED"


class DuplicateFinancingError(TradeFinanceError):
    """ERR_DUPLICATE_FINANCING: the document is already financed."""

    catalogue_code = "ERR_DUPLICATE_FINANCING"


class QuoteExpiredError(TradeFinanceError):
    """ERR_QUOTE_EXPIRED: the FX quote is no longer valid (or was used)."""

    catalogue_code = "ERR_QUOTE_EXPIRED"


class TimestampSkewError(TradeFinanceError):
    """ERR_TIMESTAMP_SKEW: the proposal's timestamp is too far from the endorsers' clocks."""

    catalogue_code = "ERR_TIMESTAMP_SKEW"


class ChaincodeInternalError(TradeFinanceError):
    """ERR_INTERNAL: the chaincode failed unexpectedly (not a refusal by a rule)."""

    catalogue_code = "ERR_INTERNAL"


_CLASSES: dict[str, type[TradeFinanceError]] = {
    cls.catalogue_code: cls
    for cls in (
        UnauthorizedError,
        InvalidInputError,
        NotFoundError,
        DuplicateError,
        InvalidStateError,
        ExpiredError,
        DeadlinePassedError,
        LimitExceededError,
        InsufficientFundsError,
        KycError,
        SanctionsError,
        ApprovalRequiredError,
        DuplicateFinancingError,
        QuoteExpiredError,
        TimestampSkewError,
        ChaincodeInternalError,
    )
}


def error_class(code: str) -> type[TradeFinanceError]:
    """The exception class of a catalogue code (an unknown ``ERR_`` code gets the base class)."""
    return _CLASSES.get(code, TradeFinanceError)


def _split_field(text: str) -> tuple[str, str]:
    field, separator, reason = text.partition(": ")
    if separator and _FIELD_PATH.fullmatch(field):
        return field, reason
    return "", text


def _coded(message: str) -> tuple[str, str] | None:
    match = _CODED_MESSAGE.search(message)
    return (match.group(1), match.group(2).strip()) if match else None


def chaincode_error(error: GatewayError) -> TradeFinanceError | None:
    """The typed error a gateway error carries, or ``None`` when no peer answered with a catalogue code.

    The first peer detail with a code wins (endorsers run the same rules on the same state, so they
    agree); the gateway's own message is read when there are no details.
    """
    found = next(
        (coded for coded in (_coded(detail.message) for detail in error.details) if coded is not None), None
    ) or _coded(error.message)
    if found is None:
        return None
    code, text = found
    field, reason = _split_field(text)
    return error_class(code)(
        reason,
        field=field,
        transaction_id=error.transaction_id if isinstance(error, TransactionError) else None,
        details=error.details,
        gateway_error=error,
        code=code,
    )
