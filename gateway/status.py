"""Commit status of a transaction: the validation code the peers recorded and the block it is in."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

__all__ = ["Status", "ValidationCode", "validation_code_name"]


class ValidationCode(IntEnum):
    """Fabric's ``peer.TxValidationCode``: why a transaction in a block is valid or not."""

    VALID = 0
    NIL_ENVELOPE = 1
    BAD_PAYLOAD = 2
    BAD_COMMON_HEADER = 3
    BAD_CREATOR_SIGNATURE = 4
    INVALID_ENDORSER_TRANSACTION = 5
    INVALID_CONFIG_TRANSACTION = 6
    UNSUPPORTED_TX_PAYLOAD = 7
    BAD_PROPOSAL_TXID = 8
    DUPLICATE_TXID = 9
    ENDORSEMENT_POLICY_FAILURE = 10
    MVCC_READ_CONFLICT = 11
    PHANTOM_READ_CONFLICT = 12
    UNKNOWN_TX_TYPE = 13
    TARGET_CHAIN_NOT_FOUND = 14
    MARSHAL_TX_ERROR = 15
    NIL_TXACTION = 16
    EXPIRED_CHAINCODE = 17
    CHAINCODE_VERSION_CONFLICT = 18
    BAD_HEADER_EXTENSION = 19
    BAD_CHANNEL_HEADER = 20
    BAD_RESPONSE_PAYLOAD = 21
    BAD_RWSET = 22
    ILLEGAL_WRITESET = 23
    INVALID_WRITESET = 24
    INVALID_CHAINCODE = 25
    NOT_VALIDATED = 254
    INVALID_OTHER_REASON = 255


_NAMES = {code.value: code.name for code in ValidationCode}


def validation_code_name(code: int) -> str:
    """The name of a validation code, e.g. ``MVCC_READ_CONFLICT`` for 11."""
    return _NAMES.get(code, f"UNKNOWN_VALIDATION_CODE_{code}")


@dataclass(frozen=True, slots=True)
class Status:
    """The commit status of a transaction, as the gateway peer's ledger recorded it.

    Attributes:
        transaction_id: the transaction id.
        code: the validation code (compare with :class:`ValidationCode`; unknown future codes stay ints).
        block_number: the block that holds the transaction.
    """

    transaction_id: str
    code: int
    block_number: int

    @property
    def successful(self) -> bool:
        """Whether the transaction committed as VALID (its writes are on the ledger)."""
        return self.code == ValidationCode.VALID

    @property
    def code_name(self) -> str:
        """The validation code's name, e.g. ``MVCC_READ_CONFLICT``."""
        return validation_code_name(self.code)
