"""The ``compliance`` contract: KYC attestations, sanctions screening, governance, private limits and
the duplicate-financing registry over the shim (calling convention in
:mod:`tradefin.chaincode.contracts.rule_contract`).

``SetLimit``, ``ReserveLimits``, ``ReleaseLimits`` and ``RecordFinancingDetails`` write only the
caller's implicit collection: Fabric has them endorsed by the caller's bank alone (the collection's
endorsement policy), so its limits and financing details never reach another bank's peer.
"""

from __future__ import annotations

from tradefin.chaincode.contract import Context, evaluate, submit
from tradefin.chaincode.contracts.letters_of_credit.access import Transaction
from tradefin.protos import compliance_pb2 as cp

from ..rule_contract import RuleContract, StubLedger
from .service import ComplianceService

__all__ = ["ComplianceContract"]


class ComplianceContract(RuleContract[ComplianceService]):
    """KYC, sanctions screening, governance, limits, duplicate financing and the audit trail."""

    name = "compliance"

    def service(self, ctx: Context) -> ComplianceService:
        """The compliance service over this transaction's stub."""
        return ComplianceService(StubLedger(ctx.stub))

    # -- KYC and screening -----------------------------------------------------------------------

    @submit
    async def AttestKyc(self, ctx: Context) -> cp.KycResponse:
        """A compliance officer attests a customer (transient: AttestKycRequest)."""
        return await self.run_submit(ctx, cp.AttestKycRequest, ComplianceService.attest_kyc)

    @submit
    async def RecordScreening(self, ctx: Context) -> cp.ScreeningResponse:
        """A compliance officer records a screening result (transient: RecordScreeningRequest)."""
        return await self.run_submit(ctx, cp.RecordScreeningRequest, ComplianceService.record_screening)

    # -- governance ------------------------------------------------------------------------------

    @submit
    async def ProposeGovernance(self, ctx: Context) -> cp.GovernanceResponse:
        """A member bank proposes the next configuration (transient: ProposeGovernanceRequest)."""
        return await self.run_submit(ctx, cp.ProposeGovernanceRequest, ComplianceService.propose_governance)

    @submit
    async def ApproveGovernance(self, ctx: Context) -> cp.GovernanceResponse:
        """A member bank approves a proposal (transient: ApproveGovernanceRequest)."""
        return await self.run_submit(ctx, cp.ApproveGovernanceRequest, ComplianceService.approve_governance)

    # -- limits ------------------------------------------------------------------------------------

    @submit
    async def SetLimit(self, ctx: Context) -> cp.LimitResponse:
        """Set one of the caller's bank's limits (transient: SetLimitRequest; own bank endorses)."""
        return await self.run_submit(ctx, cp.SetLimitRequest, ComplianceService.set_limit)

    @submit
    async def ReserveLimits(self, ctx: Context) -> cp.LimitResponse:
        """Reserve limits for a payment and write its clearance (transient: ReserveLimitsRequest)."""
        return await self.run_submit(ctx, cp.ReserveLimitsRequest, ComplianceService.reserve_limits)

    @submit
    async def ReleaseLimits(self, ctx: Context) -> cp.LimitResponse:
        """Release a reservation whose payment did not stand (transient: ReleaseLimitsRequest)."""
        return await self.run_submit(ctx, cp.ReleaseLimitsRequest, _release_limits)

    @submit
    async def SetLimitPolicy(self, ctx: Context) -> cp.LimitPolicyResponse:
        """Declare whether the bank's payments need a clearance (transient: SetLimitPolicyRequest)."""
        return await self.run_submit(ctx, cp.SetLimitPolicyRequest, ComplianceService.set_limit_policy)

    # -- financing registry ---------------------------------------------------------------------

    @submit
    async def RegisterDocument(self, ctx: Context) -> cp.FinancingResponse:
        """Register a document's fingerprints (transient: RegisterDocumentRequest)."""
        return await self.run_submit(ctx, cp.RegisterDocumentRequest, ComplianceService.register_document)

    @submit
    async def FinanceDocument(self, ctx: Context) -> cp.FinancingResponse:
        """Record a financing unless already financed (transient: FinanceDocumentRequest)."""
        return await self.run_submit(ctx, cp.FinanceDocumentRequest, ComplianceService.finance_document)

    @submit
    async def ReleaseFinancing(self, ctx: Context) -> cp.FinancingResponse:
        """Release the caller's financing (transient: ReleaseFinancingRequest)."""
        return await self.run_submit(ctx, cp.ReleaseFinancingRequest, ComplianceService.release_financing)

    @submit
    async def RecordFinancingDetails(self, ctx: Context) -> cp.FinancingResponse:
        """Keep a financing's details privately (transient: RecordFinancingDetailsRequest)."""
        return await self.run_submit(ctx, cp.RecordFinancingDetailsRequest, ComplianceService.record_financing_details)

    # -- queries ---------------------------------------------------------------------------------

    @evaluate
    async def GetKyc(self, ctx: Context, request: cp.GetKycRequest) -> cp.KycResponse:
        """A bank's attestation of a customer."""
        return await self.run_query(ctx, request, ComplianceService.get_kyc)

    @evaluate
    async def GetScreening(self, ctx: Context, request: cp.GetScreeningRequest) -> cp.ScreeningResponse:
        """A bank's latest screening of a subject against a list."""
        return await self.run_query(ctx, request, ComplianceService.get_screening)

    @evaluate
    async def GetGovernance(self, ctx: Context, request: cp.GetGovernanceRequest) -> cp.GovernanceResponse:
        """The configuration in force and the pending proposal."""
        return await self.run_query(ctx, request, ComplianceService.get_governance)

    @evaluate
    async def GetLimit(self, ctx: Context, request: cp.GetLimitRequest) -> cp.LimitResponse:
        """One of the caller's bank's limits (evaluate on the bank's own peer)."""
        return await self.run_query(ctx, request, ComplianceService.get_limit)

    @evaluate
    async def GetReservation(self, ctx: Context, request: cp.GetReservationRequest) -> cp.LimitResponse:
        """One of the caller's bank's reservations (evaluate on the bank's own peer)."""
        return await self.run_query(ctx, request, ComplianceService.get_reservation)

    @evaluate
    async def GetLimitPolicy(self, ctx: Context, request: cp.GetLimitPolicyRequest) -> cp.LimitPolicyResponse:
        """Whether a bank's payments need a limit clearance."""
        return await self.run_query(ctx, request, ComplianceService.get_limit_policy)

    @evaluate
    async def GetFinancing(self, ctx: Context, request: cp.GetFinancingRequest) -> cp.FinancingResponse:
        """Registry entries of fingerprints."""
        return await self.run_query(ctx, request, ComplianceService.get_financing)

    @evaluate
    async def GetAuditTrail(self, ctx: Context, request: cp.GetAuditTrailRequest) -> cp.AuditTrailResponse:
        """The history of a public compliance record."""
        return await self.run_query(ctx, request, ComplianceService.get_audit_trail)


async def _release_limits(
    service: ComplianceService, tx: Transaction, request: cp.ReleaseLimitsRequest
) -> cp.LimitResponse:
    """A reservation is released only when what it cleared no longer stands: a payment rejected,
    returned in full or never made, or the credit line of a closed (or never opened) payment channel.
    Only public records are read, and the private record of a returned payment (the reserving bank's
    peer holds it), so the transaction stays endorsed by the bank alone."""
    from tradefin.chaincode.contracts.payments.service import reservation_releasable

    releasable = await reservation_releasable(service.ledger, request.reservation_id)
    return await service.release_limits(tx, request, releasable)
