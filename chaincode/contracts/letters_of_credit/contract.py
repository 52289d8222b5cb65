"""The ``lc`` contract: the letters-of-credit lifecycle over the shim.

Calling convention, timestamp-skew refusal and error mapping: :mod:`tradefin.chaincode.contracts.rule_contract`
(:data:`REQUEST_FIELD`, :data:`MAX_TIMESTAMP_SKEW`). Terms, documents and amounts travel only in the
transient request; a submit's answer carries the public records (the credit and presentation stubs),
the private part is read with the ``Get*`` queries.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from google.protobuf.message import Message

from tradefin.chaincode.contract import Context, evaluate, submit
from tradefin.protos import compliance_pb2
from tradefin.protos import letters_of_credit_api_pb2 as api

from ..rule_contract import MAX_TIMESTAMP_SKEW, REQUEST_FIELD, RuleContract, StubLedger
from .access import Transaction
from .service import LettersOfCreditService

__all__ = ["MAX_TIMESTAMP_SKEW", "REQUEST_FIELD", "LettersOfCreditContract", "StubLedger"]

RequestT = TypeVar("RequestT", bound=Message)
ResponseT = TypeVar("ResponseT", bound=Message)


def public_answer(response: ResponseT) -> ResponseT:
    """The answer of a submit transaction without private records (the answer is in the block)."""
    if isinstance(response, api.AmendmentResponse):
        response.ClearField("amendment")
    elif isinstance(response, api.PresentationResponse):
        response.ClearField("record")
    elif isinstance(response, api.TransferResponse):
        response.ClearField("transfer")
    return response


class LettersOfCreditContract(RuleContract[LettersOfCreditService]):
    """Letters of credit under UCP 600: apply, issue, advise, confirm, amend, present, examine, refuse,
    waive, honour, reimburse, transfer, expire, close; and governed banking-day calendars."""

    name = "lc"

    def service(self, ctx: Context) -> LettersOfCreditService:
        return LettersOfCreditService(StubLedger(ctx.stub))

    async def _submit(
        self,
        ctx: Context,
        request_type: type[RequestT],
        operation: Callable[[LettersOfCreditService, Transaction, RequestT], Awaitable[ResponseT]],
    ) -> ResponseT:
        return public_answer(await self.run_submit(ctx, request_type, operation))

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
    async def ExamineForwarded(self, ctx: Context) -> api.PresentationResponse:
        """The issuing bank examines documents a nominated or confirming bank honoured and forwarded
        (transient: ExamineForwardedRequest)."""
        return await self._submit(ctx, api.ExamineForwardedRequest, LettersOfCreditService.examine_forwarded)

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
    async def LapsePresentation(self, ctx: Context) -> api.PresentationResponse:
        """A bank of the credit records an eUCP presentation deemed not made (transient: LapsePresentationRequest)."""
        return await self._submit(ctx, api.LapsePresentationRequest, LettersOfCreditService.lapse_presentation)

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
        return await self.run_query(ctx, request, LettersOfCreditService.get_credit)

    @evaluate
    async def GetCreditTerms(self, ctx: Context, request: api.GetCreditTermsRequest) -> api.CreditTermsResponse:
        """Terms and balances (banks of the credit only)."""
        return await self.run_query(ctx, request, LettersOfCreditService.get_credit_terms)

    @evaluate
    async def GetAmendment(self, ctx: Context, request: api.GetAmendmentRequest) -> api.AmendmentResponse:
        """An amendment (banks of the credit only)."""
        return await self.run_query(ctx, request, LettersOfCreditService.get_amendment)

    @evaluate
    async def GetPresentation(self, ctx: Context, request: api.GetPresentationRequest) -> api.PresentationResponse:
        """A presentation (private record for the banks of the credit only)."""
        return await self.run_query(ctx, request, LettersOfCreditService.get_presentation)

    @evaluate
    async def GetTransfer(self, ctx: Context, request: api.GetTransferRequest) -> api.TransferResponse:
        """A transfer (banks of the credit only)."""
        return await self.run_query(ctx, request, LettersOfCreditService.get_transfer)

    @evaluate
    async def GetCalendar(self, ctx: Context, request: api.GetCalendarRequest) -> api.CalendarResponse:
        """The current banking-day calendar of a place."""
        return await self.run_query(ctx, request, LettersOfCreditService.get_calendar)

    @evaluate
    async def GetAuditTrail(
        self, ctx: Context, request: compliance_pb2.GetAuditTrailRequest
    ) -> compliance_pb2.AuditTrailResponse:
        """The history of a credit, a presentation or a banking-day calendar: every version of its
        public record, newest first."""
        return await self.run_query(ctx, request, LettersOfCreditService.get_audit_trail)
