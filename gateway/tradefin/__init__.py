"""The typed trade-finance client: letters of credit (and, on the same base, the other contracts).

Blocking API here, the asyncio twin in :mod:`tradefin.gateway.tradefin.aio` (same names, coroutines)::

    from tradefin.gateway import connect
    from tradefin.gateway.tradefin import LettersOfCredit, InvalidInputError

    with connect(endpoint, identity, signer) as gateway:  # a role-bearing user of the bank
        credits = LettersOfCredit(gateway, "asia-europe")
        applied = credits.apply(terms)  # Committed: record (the credit's stub), transaction_id, block_number
        issued = credits.issue(applied.record.lc_id)

Submits carry their request in the transient map and return :class:`Committed`; refusals raise one
exception class per error code (:class:`TradeFinanceError` is their base).
"""

from tradefin.gateway.tradefin._core import ClientSettings, Committed, Session, StubVersion
from tradefin.gateway.tradefin._drivers import DEFAULT_CHAINCODE
from tradefin.gateway.tradefin.compliance import Compliance
from tradefin.gateway.tradefin.errors import (
    ApprovalRequiredError,
    ChaincodeInternalError,
    DeadlinePassedError,
    DuplicateError,
    DuplicateFinancingError,
    ExpiredError,
    InsufficientFundsError,
    InvalidInputError,
    InvalidStateError,
    KycError,
    LimitExceededError,
    NotFoundError,
    QuoteExpiredError,
    SanctionsError,
    TimestampSkewError,
    TradeFinanceError,
    UnauthorizedError,
    chaincode_error,
    error_class,
)
from tradefin.gateway.tradefin.letters_of_credit import (
    AmendmentDetails,
    CreditDetails,
    LettersOfCredit,
    PresentationDetails,
    TransferDetails,
    as_date,
    credit_event,
    date_of,
    money,
    money_text,
)
from tradefin.gateway.tradefin.payments import Payments, channel_id

__all__ = [
    "DEFAULT_CHAINCODE",
    "AmendmentDetails",
    "ApprovalRequiredError",
    "ChaincodeInternalError",
    "ClientSettings",
    "Committed",
    "Compliance",
    "CreditDetails",
    "DeadlinePassedError",
    "DuplicateError",
    "DuplicateFinancingError",
    "ExpiredError",
    "InsufficientFundsError",
    "InvalidInputError",
    "InvalidStateError",
    "KycError",
    "LettersOfCredit",
    "LimitExceededError",
    "NotFoundError",
    "Payments",
    "PresentationDetails",
    "QuoteExpiredError",
    "SanctionsError",
    "Session",
    "StubVersion",
    "TimestampSkewError",
    "TradeFinanceError",
    "TransferDetails",
    "UnauthorizedError",
    "as_date",
    "chaincode_error",
    "channel_id",
    "credit_event",
    "date_of",
    "error_class",
    "money",
    "money_text",
]
