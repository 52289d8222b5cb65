"""The ``lc`` contract: the letters-of-credit lifecycle over the shim.

Calling convention (for clients):

* a ``submit`` transaction takes no argument: its request message (``tradefin.v1.<Op>Request``,
  serialized) travels in the transient map under :data:`REQUEST_FIELD`, so terms, documents and
  amounts never appear in the block. Its answer carries only public records (the credit and
  presentation stubs); the private part is read with the ``Get*`` queries;
* an ``evaluate`` transaction takes its request message as the single argument.

Endorsers refuse a submit proposal whose timestamp is more than :data:`MAX_TIMESTAMP_SKEW` away from
their clock (ERR_TIMESTAMP_SKEW); that clock never reaches the written state.
"""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable, Sequence
from typing import Final, TypeVar

from google.protobuf.message import DecodeError, Message

from tradefin.chaincode.contract import ChaincodeError, Context, Contract, ErrorCode, TransactionKind, evaluate, submit
from tradefin.chaincode.shim import ChaincodeStub, KeyEndorsementPolicy, split_composite_key
from tradefin.protos import letters_of_credit_api_pb2 as api

from ..compliance.ledger import HistoryEntry
from .access import Caller, Transaction
from .errors import LcRuleError
from .ledger import PUBLIC
from .records import RecordKey
from .service import DEFAULT_MAX_TIMESTAMP_SKEW, LettersOfCreditService, check_timestamp_skew

__all__ = ["REQUEST_FIELD", "LettersOfCreditContract", "StubLedger"]

#: Transient-map field holding a submit transaction's request.
REQUEST_FIELD: Final = "request"
MAX_TIMESTAMP_SKEW: Final = DEFAULT_MAX_TIMESTAMP_SKEW

RequestT = TypeVar("RequestT", bound=Message)
ResponseT = TypeVar("ResponseT", bound=Message)


class StubLedger:
    """:class:`~.ledger.CreditLedger` over the chaincode stub: composite keys, private collections,
    key-level endorsement policies, the chaincode event. It is also the record ledger of the payments
    and compliance contracts (private data hashes, composite-key scans, key history), so a credit's
    honour can make its payment in the same transaction."""

    def __init__(self, stub: ChaincodeStub) -> None:
        self._stub = stub

    def _key(self, key: RecordKey) -> str:
        return self._stub.create_composite_key(key.object_type, key.attributes)

    async def read(self, key: RecordKey, collection: str = PUBLIC) -> bytes | None:
        """GET_STATE or GET_PRIVATE_DATA."""
        if collection:
            return await self._stub.get_private_data(collection, self._key(key))
        return await self._stub.get_state(self._key(key))

    async def read_many(self, keys: Sequence[RecordKey], collection: str = PUBLIC) -> list[bytes | None]:
        """GET_STATE_MULTIPLE (public or private): one round trip for several keys."""
        composite = [self._key(key) for key in keys]
        if collection:
            return await self._stub.get_multiple_private_data(collection, composite)
        return await self._stub.get_multiple_states(composite)

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


def public_answer(response: ResponseT) -> ResponseT:
    """The answer of a submit transaction without private records (the answer is in the block)."""
    if isinstance(response, api.AmendmentResponse):
        response.ClearField("amendment")
    elif isinstance(response, api.PresentationResponse):
        response.ClearField("record")
    elif isinstance(response, api.TransferResponse):
        response.ClearField("transfer")
    return response


def _request(ctx: Context, request_type: type[RequestT]) -> RequestT:
    raw = ctx.transient.get(REQUEST_FIELD)
    if raw is None:
        raise ChaincodeError(ErrorCode.INVALID_INPUT, f"transient field {REQUEST_FIELD!r} is required")
    try:
        return request_type.FromString(raw)
    except DecodeError:
        raise ChaincodeError(
            ErrorCode.INVALID_INPUT, f"transient field {REQUEST_FIELD!r} is not a {request_type.DESCRIPTOR.full_name}"
        ) from None


def _as_chaincode_error(error: LcRuleError) -> ChaincodeError:
    return ChaincodeError(ErrorCode(error.code_name), error.text)


class LettersOfCreditContract(Contract):
    """Letters of credit under UCP 600: apply, issue, advise, confirm, amend, present, examine, refuse,
    waive, honour, reimburse, transfer, expire, close; and governed banking-day calendars."""

    name = "lc"

    def __init__(self, max_timestamp_skew: datetime.timedelta = MAX_TIMESTAMP_SKEW) -> None:
        self._max_skew = max_timestamp_skew
        super().__init__()

    async def before_transaction(self, ctx: Context) -> None:
        """Endorsers refuse submit proposals whose timestamp is far from their own clock."""
        if self.transactions[ctx.function_name].kind is TransactionKind.SUBMIT:
            try:
                check_timestamp_skew(ctx.stub.tx_timestamp, datetime.datetime.now(datetime.UTC), self._max_skew)
            except LcRuleError as error:
                raise _as_chaincode_error(error) from None

    async def _submit(
        self,
        ctx: Context,
        request_type: type[RequestT],
        operation: Callable[[LettersOfCreditService, Transaction, RequestT], Awaitable[ResponseT]],
    ) -> ResponseT:
        request = _request(ctx, request_type)
        tx = Transaction(tx_id=ctx.stub.tx_id, timestamp=ctx.stub.tx_timestamp, caller=caller_of(ctx))
        try:
            return public_answer(await operation(LettersOfCreditService(StubLedger(ctx.stub)), tx, request))
        except LcRuleError as error:
            raise _as_chaincode_error(error) from None

    async def _query(
        self,
        ctx: Context,
        request: RequestT,
        operation: Callable[[LettersOfCreditService, Caller, RequestT], Awaitable[ResponseT]],
    ) -> ResponseT:
        try:
            return await operation(LettersOfCreditService(StubLedger(ctx.stub)), caller_of(ctx), request)
        except LcRuleError as error:
            raise _as_chaincode_error(error) from None

    # -- credit ----------------------------------------------------------------------------------

    @submit
    async def Apply(self, ctx: Context) -> api.CreditResponse:
        """The applicant, through the issuing bank, applies for a credit (transient: ApplyRequest)."""
        return await self._submit(ctx, api.ApplyRequest, LettersOfCreditService.apply)

    @submit
    async def Issue(self, ctx: Context) -> api.CreditResponse:
        """The issuing bank issues the credit (transient: IssueRequest)."""
        return await self._submit(ctx, api.IssueRequest, LettersOfCreditService.issue)

    @submit
    async def Advise(self, ctx: Context) -> api.CreditResponse:
        """The advising bank advises the credit (transient: AdviseRequest)."""
        return await self._submit(ctx, api.AdviseRequest, LettersOfCreditService.advise)

    @submit
    async def AddConfirmation(self, ctx: Context) -> api.CreditResponse:
        """The requested confirmer confirms (transient: AddConfirmationRequest)."""
        return await self._submit(ctx, api.AddConfirmationRequest, LettersOfCreditService.add_confirmation)

    @submit
    async def DeclineConfirmation(self, ctx: Context) -> api.CreditResponse:
        """The requested confirmer declines (transient: DeclineConfirmationRequest)."""
        return await self._submit(ctx, api.DeclineConfirmationRequest, LettersOfCreditService.decline_confirmation)

    @submit
    async def Expire(self, ctx: Context) -> api.CreditResponse:
        """A bank of the credit records its expiry (transient: ExpireRequest)."""
        return await self._submit(ctx, api.ExpireRequest, LettersOfCreditService.expire)

    @submit
    async def Close(self, ctx: Context) -> api.CreditResponse:
        """The issuing bank closes a finished credit (transient: CloseRequest)."""
        return await self._submit(ctx, api.CloseRequest, LettersOfCreditService.close)

    # -- amendments ------------------------------------------------------------------------------

    @submit
    async def ProposeAmendment(self, ctx: Context) -> api.AmendmentResponse:
        """The issuing bank proposes an amendment (transient: ProposeAmendmentRequest)."""
        return await self._submit(ctx, api.ProposeAmendmentRequest, LettersOfCreditService.propose_amendment)

    @submit
    async def AdviseAmendment(self, ctx: Context) -> api.AmendmentResponse:
        """The advising bank advises an amendment (transient: AdviseAmendmentRequest)."""
        return await self._submit(ctx, api.AdviseAmendmentRequest, LettersOfCreditService.advise_amendment)

    @submit
    async def DecideAmendmentConfirmation(self, ctx: Context) -> api.AmendmentResponse:
        """The confirming bank extends its confirmation or not (transient: DecideAmendmentConfirmationRequest)."""
        return await self._submit(
            ctx, api.DecideAmendmentConfirmationRequest, LettersOfCreditService.decide_amendment_confirmation
        )

    @submit
    async def AcceptAmendment(self, ctx: Context) -> api.AmendmentResponse:
        """The beneficiary accepts an amendment (transient: AcceptAmendmentRequest)."""
        return await self._submit(ctx, api.AcceptAmendmentRequest, LettersOfCreditService.accept_amendment)

    @submit
    async def RejectAmendment(self, ctx: Context) -> api.AmendmentResponse:
        """The beneficiary rejects an amendment (transient: RejectAmendmentRequest)."""
        return await self._submit(ctx, api.RejectAmendmentRequest, LettersOfCreditService.reject_amendment)

    # -- presentations ---------------------------------------------------------------------------

    @submit
    async def Present(self, ctx: Context) -> api.PresentationResponse:
        """The beneficiary's bank presents documents, idempotently (transient: PresentRequest)."""
        return await self._submit(ctx, api.PresentRequest, LettersOfCreditService.present)

    @submit
    async def NotifyCompleteness(self, ctx: Context) -> api.PresentationResponse:
        """eUCP notice of completeness (transient: NotifyCompletenessRequest)."""
        return await self._submit(ctx, api.NotifyCompletenessRequest, LettersOfCreditService.notify_completeness)

    @submit
    async def Examine(self, ctx: Context) -> api.PresentationResponse:
        """The examining bank records its examination (transient: ExamineRequest)."""
        return await self._submit(ctx, api.ExamineRequest, LettersOfCreditService.examine)

    @submit
    async def Refuse(self, ctx: Context) -> api.PresentationResponse:
        """The examining bank refuses in one notice (transient: RefuseRequest)."""
        return await self._submit(ctx, api.RefuseRequest, LettersOfCreditService.refuse)

    @submit
    async def RequestWaiver(self, ctx: Context) -> api.PresentationResponse:
        """The issuing bank asks the applicant for a waiver (transient: RequestWaiverRequest)."""
        return await self._submit(ctx, api.RequestWaiverRequest, LettersOfCreditService.request_waiver)

    @submit
    async def GrantWaiver(self, ctx: Context) -> api.PresentationResponse:
        """The applicant waives the discrepancies (transient: GrantWaiverRequest)."""
        return await self._submit(ctx, api.GrantWaiverRequest, LettersOfCreditService.grant_waiver)

    @submit
    async def AcceptWaiver(self, ctx: Context) -> api.PresentationResponse:
        """The issuing bank accepts the waiver (transient: AcceptWaiverRequest)."""
        return await self._submit(ctx, api.AcceptWaiverRequest, LettersOfCreditService.accept_waiver)

    @submit
    async def ReturnDocuments(self, ctx: Context) -> api.PresentationResponse:
        """Refused documents go back to the presenter (transient: ReturnDocumentsRequest)."""
        return await self._submit(ctx, api.ReturnDocumentsRequest, LettersOfCreditService.return_documents)

    @submit
    async def Preclude(self, ctx: Context) -> api.PresentationResponse:
        """A bank of the credit records a missed refusal deadline (transient: PrecludeRequest)."""
        return await self._submit(ctx, api.PrecludeRequest, LettersOfCreditService.preclude)

    @submit
    async def Honour(self, ctx: Context) -> api.PresentationResponse:
        """The examining bank honours (transient: HonourRequest)."""
        return await self._submit(ctx, api.HonourRequest, LettersOfCreditService.honour)

    @submit
    async def PayAtMaturity(self, ctx: Context) -> api.PresentationResponse:
        """The honouring bank pays at maturity (transient: PayAtMaturityRequest)."""
        return await self._submit(ctx, api.PayAtMaturityRequest, LettersOfCreditService.pay_at_maturity)

    @submit
    async def Reimburse(self, ctx: Context) -> api.PresentationResponse:
        """The issuing bank reimburses the honouring bank (transient: ReimburseRequest)."""
        return await self._submit(ctx, api.ReimburseRequest, LettersOfCreditService.reimburse)

    # -- transfer and governance -----------------------------------------------------------------

    @submit
    async def Transfer(self, ctx: Context) -> api.TransferResponse:
        """The transferring bank transfers the credit (transient: TransferRequest)."""
        return await self._submit(ctx, api.TransferRequest, LettersOfCreditService.transfer)

    @submit
    async def PublishCalendar(self, ctx: Context) -> api.CalendarResponse:
        """A compliance officer publishes a banking-day calendar (transient: PublishCalendarRequest)."""
        return await self._submit(ctx, api.PublishCalendarRequest, LettersOfCreditService.publish_calendar)

    # -- queries ---------------------------------------------------------------------------------

    @evaluate
    async def GetCredit(self, ctx: Context, request: api.GetCreditRequest) -> api.CreditResponse:
        """The public stub of a credit."""
        return await self._query(ctx, request, LettersOfCreditService.get_credit)

    @evaluate
    async def GetCreditTerms(self, ctx: Context, request: api.GetCreditTermsRequest) -> api.CreditTermsResponse:
        """Terms and balances (banks of the credit only)."""
        return await self._query(ctx, request, LettersOfCreditService.get_credit_terms)

    @evaluate
    async def GetAmendment(self, ctx: Context, request: api.GetAmendmentRequest) -> api.AmendmentResponse:
        """An amendment (banks of the credit only)."""
        return await self._query(ctx, request, LettersOfCreditService.get_amendment)

    @evaluate
    async def GetPresentation(self, ctx: Context, request: api.GetPresentationRequest) -> api.PresentationResponse:
        """A presentation (private record for the banks of the credit only)."""
        return await self._query(ctx, request, LettersOfCreditService.get_presentation)

    @evaluate
    async def GetTransfer(self, ctx: Context, request: api.GetTransferRequest) -> api.TransferResponse:
        """A transfer (banks of the credit only)."""
        return await self._query(ctx, request, LettersOfCreditService.get_transfer)

    @evaluate
    async def GetCalendar(self, ctx: Context, request: api.GetCalendarRequest) -> api.CalendarResponse:
        """The current banking-day calendar of a place."""
        return await self._query(ctx, request, LettersOfCreditService.get_calendar)
