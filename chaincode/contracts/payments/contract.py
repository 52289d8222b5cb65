"""The ``pay`` contract: payment channels, quotes and payments over the shim (calling convention in
:mod:`tradefin.chaincode.contracts.rule_contract`)."""

from __future__ import annotations

from tradefin.chaincode.contract import Context, evaluate, submit
from tradefin.protos import compliance_pb2
from tradefin.protos import payments_pb2 as pay

from ..rule_contract import RuleContract, StubLedger
from .service import PaymentsService

__all__ = ["PaymentsContract"]


class PaymentsContract(RuleContract[PaymentsService]):
    """Bilateral payment channels with netting and settlement, FX quotes, cross-border payments."""

    name = "pay"

    def service(self, ctx: Context) -> PaymentsService:
        """The payments service over this transaction's stub."""
        return PaymentsService(StubLedger(ctx.stub))

    # -- channels ----------------------------------------------------------------------------------

    @submit
    async def ProposeChannel(self, ctx: Context) -> pay.ChannelResponse:
        """A bank proposes a payment channel (transient: ProposeChannelRequest)."""
        return await self.run_submit(ctx, pay.ProposeChannelRequest, PaymentsService.propose_channel)

    @submit
    async def AcceptChannel(self, ctx: Context) -> pay.ChannelResponse:
        """The other bank accepts; the channel opens (transient: AcceptChannelRequest)."""
        return await self.run_submit(ctx, pay.AcceptChannelRequest, PaymentsService.accept_channel)

    @submit
    async def RecordDeposit(self, ctx: Context) -> pay.ChannelResponse:
        """A bank records a deposit (transient: RecordDepositRequest)."""
        return await self.run_submit(ctx, pay.RecordDepositRequest, PaymentsService.record_deposit)

    @submit
    async def ConfirmDeposit(self, ctx: Context) -> pay.ChannelResponse:
        """The other bank confirms a deposit's funding (transient: ConfirmDepositRequest)."""
        return await self.run_submit(ctx, pay.ConfirmDepositRequest, PaymentsService.confirm_deposit)

    @submit
    async def SuspendChannel(self, ctx: Context) -> pay.ChannelResponse:
        """Stop new payments (transient: SuspendChannelRequest)."""
        return await self.run_submit(ctx, pay.SuspendChannelRequest, PaymentsService.suspend_channel)

    @submit
    async def ResumeChannel(self, ctx: Context) -> pay.ChannelResponse:
        """Take new payments again (transient: ResumeChannelRequest)."""
        return await self.run_submit(ctx, pay.ResumeChannelRequest, PaymentsService.resume_channel)

    @submit
    async def WindDownChannel(self, ctx: Context) -> pay.ChannelResponse:
        """No new payments; close when settled (transient: WindDownChannelRequest)."""
        return await self.run_submit(ctx, pay.WindDownChannelRequest, PaymentsService.wind_down_channel)

    @submit
    async def CloseChannel(self, ctx: Context) -> pay.ChannelResponse:
        """Close a channel with nothing unsettled (transient: CloseChannelRequest)."""
        return await self.run_submit(ctx, pay.CloseChannelRequest, PaymentsService.close_channel)

    @submit
    async def CutOff(self, ctx: Context) -> pay.ChannelResponse:
        """Record the cut-off of the open cycle (transient: CutOffRequest)."""
        return await self.run_submit(ctx, pay.CutOffRequest, PaymentsService.cut_off)

    @submit
    async def FreezeBatch(self, ctx: Context) -> pay.BatchResponse:
        """Freeze the netting batch of the cut-off cycle (transient: FreezeBatchRequest)."""
        return await self.run_submit(ctx, pay.FreezeBatchRequest, PaymentsService.freeze_batch)

    @submit
    async def SettleBatch(self, ctx: Context) -> pay.BatchResponse:
        """Confirm a batch's settlement by its pacs.009 (transient: SettleBatchRequest)."""
        return await self.run_submit(ctx, pay.SettleBatchRequest, PaymentsService.settle_batch)

    # -- quotes and payments -----------------------------------------------------------------------

    @submit
    async def CreateQuote(self, ctx: Context) -> pay.QuoteResponse:
        """Quote a conversion into the channel's currency (transient: CreateQuoteRequest)."""
        return await self.run_submit(ctx, pay.CreateQuoteRequest, PaymentsService.create_quote)

    @submit
    async def InitiatePayment(self, ctx: Context) -> pay.PaymentResponse:
        """The debtor agent initiates a payment, idempotently (transient: InitiatePaymentRequest)."""
        return await self.run_submit(ctx, pay.InitiatePaymentRequest, PaymentsService.initiate_payment)

    @submit
    async def ApprovePayment(self, ctx: Context) -> pay.PaymentResponse:
        """A second officer approves a pending payment (transient: ApprovePaymentRequest)."""
        return await self.run_submit(ctx, pay.ApprovePaymentRequest, PaymentsService.approve_payment)

    @submit
    async def LapsePayment(self, ctx: Context) -> pay.PaymentResponse:
        """Record an elapsed approval window (transient: LapsePaymentRequest)."""
        return await self.run_submit(ctx, pay.LapsePaymentRequest, PaymentsService.lapse_payment)

    @submit
    async def ReportStatus(self, ctx: Context) -> pay.PaymentResponse:
        """The creditor agent reports ACSC, ACCC or RJCT (transient: ReportPaymentStatusRequest)."""
        return await self.run_submit(ctx, pay.ReportPaymentStatusRequest, PaymentsService.report_status)

    @submit
    async def RecallPayment(self, ctx: Context) -> pay.PaymentResponse:
        """The debtor agent recalls a payment that moved (transient: RecallPaymentRequest)."""
        return await self.run_submit(ctx, pay.RecallPaymentRequest, PaymentsService.recall_payment)

    @submit
    async def RejectRecall(self, ctx: Context) -> pay.PaymentResponse:
        """The creditor agent rejects a payment's open recall (transient: RejectRecallRequest)."""
        return await self.run_submit(ctx, pay.RejectRecallRequest, PaymentsService.reject_recall)

    @submit
    async def ReturnPayment(self, ctx: Context) -> pay.PaymentResponse:
        """The creditor agent returns a payment (transient: ReturnPaymentRequest)."""
        return await self.run_submit(ctx, pay.ReturnPaymentRequest, PaymentsService.return_payment)

    # -- queries ---------------------------------------------------------------------------------

    @evaluate
    async def GetChannel(self, ctx: Context, request: pay.GetChannelRequest) -> pay.ChannelResponse:
        """A channel; position and balances for its banks."""
        return await self.run_query(ctx, request, PaymentsService.get_channel)

    @evaluate
    async def GetPayment(self, ctx: Context, request: pay.GetPaymentRequest) -> pay.PaymentResponse:
        """A payment; its record for the channel's banks."""
        return await self.run_query(ctx, request, PaymentsService.get_payment)

    @evaluate
    async def GetBatch(self, ctx: Context, request: pay.GetBatchRequest) -> pay.BatchResponse:
        """A netting batch; its record for the channel's banks."""
        return await self.run_query(ctx, request, PaymentsService.get_batch)

    @evaluate
    async def GetQuote(self, ctx: Context, request: pay.GetQuoteRequest) -> pay.QuoteResponse:
        """A quote; its terms for the channel's banks."""
        return await self.run_query(ctx, request, PaymentsService.get_quote)

    @evaluate
    async def GetAuditTrail(
        self, ctx: Context, request: compliance_pb2.GetAuditTrailRequest
    ) -> compliance_pb2.AuditTrailResponse:
        """The history of a payment, channel, batch or quote."""
        return await self.run_query(ctx, request, PaymentsService.get_audit_trail)
