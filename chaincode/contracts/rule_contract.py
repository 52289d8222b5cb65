"""Contracts whose transactions are operations of a rule service over the chaincode stub.

The letters-of-credit, payments and compliance contracts share one calling convention:

* a ``submit`` transaction takes no argument: its request message (``tradefin.v1.<Op>Request``,
  serialized) travels in the transient map under :data:`REQUEST_FIELD`, so private data never appears
  in the block. Its answer is in the block, so it carries public records only;
* an ``evaluate`` transaction takes its request message as its single argument.

Endorsers refuse a submit proposal whose timestamp is more than :data:`MAX_TIMESTAMP_SKEW` away from
their clock (ERR_TIMESTAMP_SKEW); that clock never reaches the written state. Rule refusals become
``"ERR_CODE: field: message"`` responses. :class:`StubLedger` is the record ledger the services use.
"""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable, Sequence
from typing import Final, Generic, TypeVar

from google.protobuf.message import DecodeError, Message

from tradefin.chaincode.contract import ChaincodeError, Context, Contract, ErrorCode, TransactionKind
from tradefin.chaincode.shim import ChaincodeStub, KeyEndorsementPolicy, split_composite_key

from .compliance.ledger import HistoryEntry
from .letters_of_credit.access import Caller, Transaction
from .letters_of_credit.errors import LcRuleError
from .letters_of_credit.ledger import PUBLIC
from .letters_of_credit.records import RecordKey

__all__ = [
    "MAX_TIMESTAMP_SKEW",
    "REQUEST_FIELD",
    "RuleContract",
    "StubLedger",
    "caller_of",
    "check_timestamp_skew",
    "transaction_of",
    "transient_request",
]

#: Transient-map field holding a submit transaction's request.
REQUEST_FIELD: Final = "request"
#: Endorsers refuse submit proposals whose timestamp is further than this from their own clock.
MAX_TIMESTAMP_SKEW: Final = datetime.timedelta(minutes=5)
#: The rule error every contract's rules raise (a catalogue code, the field at fault, a message).
RuleError = LcRuleError

RequestT = TypeVar("RequestT", bound=Message)
ResponseT = TypeVar("ResponseT", bound=Message)
ServiceT = TypeVar("ServiceT")


class StubLedger:
    """:class:`~.ledger.CreditLedger` over the chaincode stub: composite keys, private collections,
    key-level endorsement policies, the chaincode event. It is also the record ledger of the payments
    and compliance contracts (private data hashes, composite-key scans, key history), so a credit's
    honour can make its payment in the same transaction.

    One ledger serves one transaction, and remembers what it read: Fabric answers every read of a
    transaction from the state committed before it (never from the transaction's own writes), so a
    key read again, or read ahead with others in one round trip, is answered without asking the peer.
    """

    def __init__(self, stub: ChaincodeStub) -> None:
        self._stub = stub
        self._values: dict[tuple[str, RecordKey], bytes | None] = {}

    def _key(self, key: RecordKey) -> str:
        return self._stub.create_composite_key(key.object_type, key.attributes)

    async def read(self, key: RecordKey, collection: str = PUBLIC) -> bytes | None:
        """GET_STATE or GET_PRIVATE_DATA (once per key and transaction)."""
        if (collection, key) not in self._values:
            if collection:
                value = await self._stub.get_private_data(collection, self._key(key))
            else:
                value = await self._stub.get_state(self._key(key))
            self._values[(collection, key)] = value
        return self._values[(collection, key)]

    async def read_many(self, keys: Sequence[RecordKey], collection: str = PUBLIC) -> list[bytes | None]:
        """GET_STATE_MULTIPLE (public or private): one round trip for the keys not read yet, none when
        every one was."""
        unread = [key for key in dict.fromkeys(keys) if (collection, key) not in self._values]
        if unread:
            composite = [self._key(key) for key in unread]
            if collection:
                values = await self._stub.get_multiple_private_data(collection, composite)
            else:
                values = await self._stub.get_multiple_states(composite)
            self._values.update(((collection, key), value) for key, value in zip(unread, values, strict=True))
        return [self._values[(collection, key)] for key in keys]

    def found(self, key: RecordKey, collection: str = PUBLIC) -> bool | None:
        """Whether the key existed when this transaction read it; None when it did not read it."""
        if (collection, key) not in self._values:
            return None
        return self._values[(collection, key)] is not None

    async def write(self, key: RecordKey, value: bytes, collection: str = PUBLIC) -> None:
        """PUT_STATE or PUT_PRIVATE_DATA."""
        if collection:
            await self._stub.put_private_data(collection, self._key(key), value)
        else:
            await self._stub.put_state(self._key(key), value)

    async def require_endorsers(self, key: RecordKey, msp_ids: tuple[str, ...], collection: str = PUBLIC) -> None:
        """Set the key's VALIDATION_PARAMETER to AND(peer of every listed organisation)."""
        policy = KeyEndorsementPolicy.all_of(msp_ids).to_bytes()
        if collection:
            await self._stub.set_private_data_validation_parameter(collection, self._key(key), policy)
        else:
            await self._stub.set_state_validation_parameter(self._key(key), policy)

    async def emit_event(self, name: str, payload: bytes) -> None:
        """The transaction's chaincode event."""
        self._stub.set_event(name, payload)

    async def read_hash(self, key: RecordKey, collection: str) -> bytes | None:
        """GET_PRIVATE_DATA_HASH (works on every peer of the channel)."""
        return await self._stub.get_private_data_hash(collection, self._key(key))

    async def scan(self, object_type: str, attributes: tuple[str, ...], collection: str = PUBLIC) -> list[
        tuple[RecordKey, bytes]
    ]:
        """A partial composite key query on the world state or a collection (Fabric allows no write in
        a transaction after a query on private data)."""
        if collection:
            iterator = self._stub.get_private_data_by_partial_composite_key(collection, object_type, attributes)
        else:
            iterator = self._stub.get_state_by_partial_composite_key(object_type, attributes)
        found = []
        async with iterator:
            async for record in iterator:
                found_type, found_attributes = split_composite_key(record.key)
                found.append((RecordKey(found_type, tuple(found_attributes)), record.value))
        return found

    async def history(self, key: RecordKey) -> list[HistoryEntry]:
        """GET_HISTORY_FOR_KEY."""
        entries = []
        async with self._stub.get_history_for_key(self._key(key)) as iterator:
            async for item in iterator:
                entries.append(HistoryEntry(item.tx_id, item.timestamp, item.value, item.is_delete))
        return entries


def caller_of(ctx: Context) -> Caller:
    """The caller from the creator certificate: MSP id, Fabric id, ``role`` and ``bic`` attributes."""
    identity = ctx.client_identity
    return Caller(
        msp_id=identity.msp_id,
        identity=identity.id,
        role=identity.attribute("role") or "",
        bic=identity.attribute("bic") or "",
    )


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


def check_timestamp_skew(
    tx_timestamp: datetime.datetime, endorser_now: datetime.datetime, max_skew: datetime.timedelta
) -> None:
    """ERR_TIMESTAMP_SKEW when the client-set proposal timestamp is far from the endorser's clock.

    This only refuses to endorse; the endorser's clock never reaches the written state (INV-LC-15).
    """
    skew = abs(tx_timestamp - endorser_now)
    if skew > max_skew:
        raise ChaincodeError(
            ErrorCode.TIMESTAMP_SKEW,
            f"the proposal timestamp is {int(skew.total_seconds())} s from this endorser's clock "
            f"(at most {int(max_skew.total_seconds())} s)",
        )


def transaction_of(ctx: Context) -> Transaction:
    """The rules' view of the transaction: id, timestamp and signer."""
    return Transaction(tx_id=ctx.stub.tx_id, timestamp=ctx.stub.tx_timestamp, caller=caller_of(ctx))


class RuleContract(Contract, Generic[ServiceT]):
    """A contract whose transactions are operations of a ``ServiceT``: subclasses name the service factory."""

    def __init__(self, max_timestamp_skew: datetime.timedelta = MAX_TIMESTAMP_SKEW) -> None:
        self._max_skew = max_timestamp_skew
        super().__init__()

    def service(self, ctx: Context) -> ServiceT:
        """The service the transactions run on (over the transaction's stub)."""
        raise NotImplementedError

    async def before_transaction(self, ctx: Context) -> None:
        """Endorsers refuse submit proposals whose timestamp is far from their own clock."""
        if self.transactions[ctx.function_name].kind is TransactionKind.SUBMIT:
            check_timestamp_skew(ctx.stub.tx_timestamp, datetime.datetime.now(datetime.UTC), self._max_skew)

    async def run_submit(
        self,
        ctx: Context,
        request_type: type[RequestT],
        operation: Callable[[ServiceT, Transaction, RequestT], Awaitable[ResponseT]],
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
        operation: Callable[[ServiceT, Caller, RequestT], Awaitable[ResponseT]],
    ) -> ResponseT:
        """Run a query operation for the caller, mapping rule errors."""
        try:
            return await operation(self.service(ctx), caller_of(ctx), request)
        except RuleError as error:
            raise as_chaincode_error(error) from None
