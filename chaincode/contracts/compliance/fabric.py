"""The shim side shared by the ``compliance`` and ``pay`` contracts: a contract base that decodes
transient requests, builds the transaction and maps rule errors, over the stub ledger the letters of
credit contract also uses.

Calling convention (as for letters of credit): a submit transaction takes no argument; its request
message travels in the transient map under ``"request"``, so private data never appears in the
block. Its answer is in the block, so it carries public records only. An evaluate transaction takes
its request message as its single argument. Endorsers refuse submit proposals whose timestamp is
more than five minutes from their clock (ERR_TIMESTAMP_SKEW).
"""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar

from google.protobuf.message import DecodeError, Message

from tradefin.chaincode.contract import ChaincodeError, Context, Contract, ErrorCode, TransactionKind
from tradefin.chaincode.contracts.letters_of_credit.access import Caller, Transaction
from tradefin.chaincode.contracts.letters_of_credit.contract import REQUEST_FIELD, StubLedger, caller_of
from tradefin.chaincode.contracts.letters_of_credit.service import DEFAULT_MAX_TIMESTAMP_SKEW, check_timestamp_skew

from .errors import RuleError

__all__ = ["REQUEST_FIELD", "RuleContract", "StubLedger"]

RequestT = TypeVar("RequestT", bound=Message)
ResponseT = TypeVar("ResponseT", bound=Message)
ServiceT = TypeVar("ServiceT")

MAX_TIMESTAMP_SKEW: Final = DEFAULT_MAX_TIMESTAMP_SKEW


def transient_request(ctx: Context, request_type: type[RequestT]) -> RequestT:
    """The submit transaction's request from the transient map."""
    raw = ctx.transient.get(REQUEST_FIELD)
    if raw is None:
        raise ChaincodeError(ErrorCode.INVALID_INPUT, f"transient field {REQUEST_FIELD!r} is required")
    try:
        return request_type.FromString(raw)
    except DecodeError:
        raise ChaincodeError(
            ErrorCode.INVALID_INPUT, f"transient field {REQUEST_FIELD!r} is not a {request_type.DESCRIPTOR.full_name}"
        ) from None


def as_chaincode_error(error: RuleError) -> ChaincodeError:
    """A rule's refusal as the contract API's error (``"ERR_CODE: field: message"``)."""
    return ChaincodeError(ErrorCode(error.code_name), error.text)


def transaction_of(ctx: Context) -> Transaction:
    """The rules' view of the transaction: id, timestamp and signer."""
    return Transaction(tx_id=ctx.stub.tx_id, timestamp=ctx.stub.tx_timestamp, caller=caller_of(ctx))


class RuleContract(Contract):
    """A contract whose transactions are service operations: subclasses name the service factory."""

    def __init__(self, max_timestamp_skew: datetime.timedelta = MAX_TIMESTAMP_SKEW) -> None:
        self._max_skew = max_timestamp_skew
        super().__init__()

    def service(self, ctx: Context) -> Any:
        """The service the transactions run on (over the transaction's stub)."""
        raise NotImplementedError

    async def before_transaction(self, ctx: Context) -> None:
        """Endorsers refuse submit proposals whose timestamp is far from their own clock."""
        if self.transactions[ctx.function_name].kind is TransactionKind.SUBMIT:
            try:
                check_timestamp_skew(ctx.stub.tx_timestamp, datetime.datetime.now(datetime.UTC), self._max_skew)
            except RuleError as error:
                raise as_chaincode_error(error) from None

    async def run_submit(
        self,
        ctx: Context,
        request_type: type[RequestT],
        operation: Callable[[Any, Transaction, RequestT], Awaitable[ResponseT]],
    ) -> ResponseT:
        """Decode the transient request, run the operation, map rule errors."""
        request = transient_request(ctx, request_type)
        try:
            return await operation(self.service(ctx), transaction_of(ctx), request)
        except RuleError as error:
            raise as_chaincode_error(error) from None

    async def run_query(
        self,
        ctx: Context,
        request: RequestT,
        operation: Callable[[Any, Caller, RequestT], Awaitable[ResponseT]],
    ) -> ResponseT:
        """Run a query operation for the caller, mapping rule errors."""
        try:
            return await operation(self.service(ctx), caller_of(ctx), request)
        except RuleError as error:
            raise as_chaincode_error(error) from None
