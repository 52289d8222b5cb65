"""The catalogue errors of compliance and payments (DOMAIN.md section 4.8).

The rules of every contract refuse with the same error type as letters of credit (a catalogue code,
the field at fault, a message), so one mapping turns them into ``"ERR_CODE: field: message"``.
"""

from __future__ import annotations

from tradefin.chaincode.contracts.letters_of_credit.errors import (
    LcRuleError,
    duplicate,
    expired,
    insufficient_funds,
    invalid_input,
    invalid_state,
    not_found,
    unauthorized,
)
from tradefin.protos import errors_pb2

#: The rule error shared by every contract of the chaincode.
RuleError = LcRuleError

__all__ = [
    "RuleError",
    "approval_required",
    "duplicate",
    "duplicate_financing",
    "expired",
    "insufficient_funds",
    "invalid_input",
    "invalid_state",
    "kyc_failed",
    "limit_exceeded",
    "not_found",
    "quote_expired",
    "sanctions_hit",
    "unauthorized",
]


def kyc_failed(field: str, message: str) -> RuleError:
    """ERR_KYC: no VERIFIED, unexpired attestation by the bank that must vouch for the party."""
    return RuleError(errors_pb2.ERR_KYC, field, message)


def sanctions_hit(field: str, message: str) -> RuleError:
    """ERR_SANCTIONS: a screening is missing, stale, not CLEAR, or a country is embargoed."""
    return RuleError(errors_pb2.ERR_SANCTIONS, field, message)


def limit_exceeded(field: str, message: str) -> RuleError:
    """ERR_LIMIT_EXCEEDED: a cap or limit would be exceeded, or a required clearance is missing."""
    return RuleError(errors_pb2.ERR_LIMIT_EXCEEDED, field, message)


def approval_required(message: str) -> RuleError:
    """ERR_APPROVAL_REQUIRED: the act waits for a second approver."""
    return RuleError(errors_pb2.ERR_APPROVAL_REQUIRED, "", message)


def duplicate_financing() -> RuleError:
    """ERR_DUPLICATE_FINANCING revealing nothing but that the document is already financed."""
    return RuleError(errors_pb2.ERR_DUPLICATE_FINANCING, "", "already financed")


def quote_expired(message: str) -> RuleError:
    """ERR_QUOTE_EXPIRED: the FX quote's validity has passed."""
    return RuleError(errors_pb2.ERR_QUOTE_EXPIRED, "quote_id", message)
