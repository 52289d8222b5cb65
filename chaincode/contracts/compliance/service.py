"""Every compliance operation over a :class:`~.ledger.RecordLedger`: read, decide (pure rules), write.

Operations on a bank's private limits run in transactions that bank's peer alone endorses: they read
and write only its implicit collection (plus public reads), so no other bank's peer sees them.
"""

from __future__ import annotations

from tradefin.chaincode.contracts.letters_of_credit.access import Caller, Transaction
from tradefin.chaincode.contracts.letters_of_credit.records import RecordKey
from tradefin.chaincode.contracts.letters_of_credit.validation import check_msp_id, check_subject_ref
from tradefin.protos import compliance_pb2

from . import financing, governance, kyc, limits, screening
from .errors import invalid_input, not_found
from .ledger import RecordLedger, commit, get
from .reader import ComplianceReader, audit_trail, audited_key
from .records import (
    check_list_id,
    clearance_key,
    financing_key,
    governance_key,
    implicit_collection,
    kyc_key,
    limit_key,
    limit_policy_key,
    proposal_key,
    reservation_key,
    screening_key,
)

#: Public records whose history GetAuditTrail returns, by object type.
AUDITED_OBJECTS = ("kyc", "screening", "governance", "financing", "limit-policy")


class ComplianceService:
    """KYC, screening, governance, limits and the financing registry."""

    def __init__(self, ledger: RecordLedger) -> None:
        self._ledger = ledger
        self.ledger = ledger
        """The ledger the service works on."""
        self.reader = ComplianceReader(ledger)

    # -- KYC and screening -----------------------------------------------------------------------

    async def attest_kyc(self, tx: Transaction, request: compliance_pb2.AttestKycRequest) -> compliance_pb2.KycResponse:
        """Record the caller's bank's attestation of a customer."""
        check_subject_ref(request.attestation.subject_ref, "attestation.subject_ref")  # named as sent
        key = kyc_key(tx.caller.msp_id, request.attestation.subject_ref)
        existing = await get(self._ledger, key, compliance_pb2.KycAttestation)
        governance = await self.reader.governance()
        return await commit(self._ledger, kyc.attest(tx, request, existing, governance))

    async def record_screening(
        self, tx: Transaction, request: compliance_pb2.RecordScreeningRequest
    ) -> compliance_pb2.ScreeningResponse:
        """Record the caller's bank's screening of a subject against a list."""
        check_subject_ref(request.result.subject_ref, "result.subject_ref")  # named as sent
        check_list_id(request.result.list_id, "result.list_id")
        key = screening_key(tx.caller.msp_id, request.result.subject_ref, request.result.list_id)
        existing = await get(self._ledger, key, compliance_pb2.ScreeningResult)
        governance = await self.reader.governance()
        return await commit(self._ledger, screening.record(tx, request, existing, governance))

    # -- governance ------------------------------------------------------------------------------

    async def propose_governance(
        self, tx: Transaction, request: compliance_pb2.ProposeGovernanceRequest
    ) -> compliance_pb2.GovernanceResponse:
        """Propose the next configuration version."""
        current = await self.reader.governance()
        return await commit(self._ledger, governance.propose(tx, request, current))

    async def approve_governance(
        self, tx: Transaction, request: compliance_pb2.ApproveGovernanceRequest
    ) -> compliance_pb2.GovernanceResponse:
        """Approve a proposal (the last approval adopts it)."""
        current = await self.reader.governance()
        proposal = await get(self._ledger, proposal_key(request.version), compliance_pb2.GovernanceProposal)
        return await commit(self._ledger, governance.approve(tx, request, current, proposal))

    # -- limits ------------------------------------------------------------------------------------

    async def _limits(
        self, msp_id: str, refs: list[compliance_pb2.LimitRef]
    ) -> dict[tuple[int, str], compliance_pb2.Limit]:
        collection = implicit_collection(msp_id)
        found: dict[tuple[int, str], compliance_pb2.Limit] = {}
        for ref in refs:
            limit = await get(self._ledger, limit_key(ref.scope, ref.key), compliance_pb2.Limit, collection)
            if limit is not None:
                found[(ref.scope, ref.key)] = limit
        return found

    async def set_limit(self, tx: Transaction, request: compliance_pb2.SetLimitRequest) -> compliance_pb2.LimitResponse:
        """Set one of the caller's bank's limits."""
        limits.check_limit_ref(request.scope, request.key)
        existing = await get(
            self._ledger,
            limit_key(request.scope, request.key),
            compliance_pb2.Limit,
            implicit_collection(tx.caller.msp_id),
        )
        return await commit(self._ledger, limits.set_limit(tx, request, existing))

    async def reserve_limits(
        self, tx: Transaction, request: compliance_pb2.ReserveLimitsRequest
    ) -> compliance_pb2.LimitResponse:
        """Reserve utilisation for a payment and write its clearance."""
        limits.check_reservation_request(request)
        collection = implicit_collection(tx.caller.msp_id)
        existing = await get(
            self._ledger, reservation_key(request.reservation_id), compliance_pb2.LimitReservation, collection
        )
        stored = None
        if existing is not None:
            key = clearance_key(request.reservation_id)
            stored = await get(self._ledger, key, compliance_pb2.LimitClearance, collection)
        found = await self._limits(tx.caller.msp_id, limits.applicable_limits(request))
        current = await self.reader.governance()
        return await commit(self._ledger, limits.reserve(tx, request, current, found, existing, stored))

    async def release_limits(
        self, tx: Transaction, request: compliance_pb2.ReleaseLimitsRequest, payment_releasable: bool
    ) -> compliance_pb2.LimitResponse:
        """Release a reservation (the caller tells whether its payment stands, see the contract)."""
        collection = implicit_collection(tx.caller.msp_id)
        reservation = await get(
            self._ledger, reservation_key(request.reservation_id), compliance_pb2.LimitReservation, collection
        )
        found = await self._limits(tx.caller.msp_id, list(reservation.limits) if reservation is not None else [])
        return await commit(self._ledger, limits.release(tx, request, reservation, found, payment_releasable))

    async def set_limit_policy(
        self, tx: Transaction, request: compliance_pb2.SetLimitPolicyRequest
    ) -> compliance_pb2.LimitPolicyResponse:
        """Declare whether the caller's bank clears its payments against private limits."""
        existing = await get(self._ledger, limit_policy_key(tx.caller.msp_id), compliance_pb2.LimitPolicy)
        return await commit(self._ledger, limits.set_policy(tx, request, existing))

    # -- financing registry ---------------------------------------------------------------------

    async def _entries(self, fingerprints: list[str]) -> dict[str, compliance_pb2.FinancingEntry | None]:
        financing.check_fingerprints(fingerprints)
        return {
            fingerprint: await get(self._ledger, financing_key(fingerprint), compliance_pb2.FinancingEntry)
            for fingerprint in fingerprints
        }

    async def register_document(
        self, tx: Transaction, request: compliance_pb2.RegisterDocumentRequest
    ) -> compliance_pb2.FinancingResponse:
        """Register a document's fingerprints."""
        entries = await self._entries(list(request.fingerprints))
        governance = await self.reader.governance()
        return await commit(self._ledger, financing.register(tx, request, entries, governance))

    async def finance_document(
        self, tx: Transaction, request: compliance_pb2.FinanceDocumentRequest
    ) -> compliance_pb2.FinancingResponse:
        """Record a financing, unless the document is already financed."""
        entries = await self._entries(list(request.fingerprints))
        governance = await self.reader.governance()
        return await commit(self._ledger, financing.finance(tx, request, entries, governance))

    async def release_financing(
        self, tx: Transaction, request: compliance_pb2.ReleaseFinancingRequest
    ) -> compliance_pb2.FinancingResponse:
        """Give the caller's financing back."""
        entries = await self._entries(list(request.fingerprints))
        return await commit(self._ledger, financing.release(tx, request, entries))

    async def record_financing_details(
        self, tx: Transaction, request: compliance_pb2.RecordFinancingDetailsRequest
    ) -> compliance_pb2.FinancingResponse:
        """Keep the financing's details in the caller's implicit collection."""
        return await commit(self._ledger, financing.record_details(tx, request))

    # -- queries ---------------------------------------------------------------------------------

    async def get_kyc(self, caller: Caller, request: compliance_pb2.GetKycRequest) -> compliance_pb2.KycResponse:
        """An attestation (public)."""
        del caller
        found = await get(
            self._ledger, kyc_key(request.attesting_msp_id, request.subject_ref), compliance_pb2.KycAttestation
        )
        if found is None:
            raise not_found("subject_ref", f"{request.attesting_msp_id} has not attested {request.subject_ref}")
        return compliance_pb2.KycResponse(attestation=found)

    async def get_screening(
        self, caller: Caller, request: compliance_pb2.GetScreeningRequest
    ) -> compliance_pb2.ScreeningResponse:
        """A screening result (public)."""
        del caller
        key = screening_key(request.screening_msp_id, request.subject_ref, request.list_id)
        found = await get(self._ledger, key, compliance_pb2.ScreeningResult)
        if found is None:
            raise not_found("subject_ref", f"{request.screening_msp_id} has no {request.list_id} screening of it")
        return compliance_pb2.ScreeningResponse(result=found)

    async def get_governance(
        self, caller: Caller, request: compliance_pb2.GetGovernanceRequest
    ) -> compliance_pb2.GovernanceResponse:
        """The configuration in force and a proposal: the version asked for (ERR_NOT_FOUND when there is
        none, as ApproveGovernance answers), or by default the next version's, if proposed."""
        del caller
        current = await self.reader.governance()
        version = request.proposal_version or ((current.version if current is not None else 0) + 1)
        proposal = await get(self._ledger, proposal_key(version), compliance_pb2.GovernanceProposal)
        if proposal is None and request.proposal_version:
            raise not_found("proposal_version", f"no configuration version {version} was proposed")
        return compliance_pb2.GovernanceResponse(governance=current, proposal=proposal)

    async def get_limit(self, caller: Caller, request: compliance_pb2.GetLimitRequest) -> compliance_pb2.LimitResponse:
        """One of the caller's bank's limits (answered by its own peer only)."""
        limits.check_limit_ref(request.scope, request.key)
        found = await get(
            self._ledger,
            limit_key(request.scope, request.key),
            compliance_pb2.Limit,
            implicit_collection(caller.msp_id),
        )
        if found is None:
            raise not_found("key", "the bank has no such limit")
        return compliance_pb2.LimitResponse(limit=found)

    async def get_reservation(
        self, caller: Caller, request: compliance_pb2.GetReservationRequest
    ) -> compliance_pb2.LimitResponse:
        """One of the caller's bank's reservations (answered by its own peer only)."""
        found = await get(
            self._ledger,
            reservation_key(request.reservation_id),
            compliance_pb2.LimitReservation,
            implicit_collection(caller.msp_id),
        )
        if found is None:
            raise not_found("reservation_id", f"no reservation {request.reservation_id}")
        return compliance_pb2.LimitResponse(reservation=found)

    async def get_limit_policy(
        self, caller: Caller, request: compliance_pb2.GetLimitPolicyRequest
    ) -> compliance_pb2.LimitPolicyResponse:
        """A bank's limit policy (public; absent = no clearance required)."""
        del caller
        check_msp_id(request.msp_id, "msp_id")
        found = await get(self._ledger, limit_policy_key(request.msp_id), compliance_pb2.LimitPolicy)
        return compliance_pb2.LimitPolicyResponse(
            policy=found or compliance_pb2.LimitPolicy(msp_id=request.msp_id, clearance_required=False)
        )

    async def get_financing(
        self, caller: Caller, request: compliance_pb2.GetFinancingRequest
    ) -> compliance_pb2.FinancingResponse:
        """Registry entries of fingerprints (missing ones are left out)."""
        del caller
        entries = await self._entries(list(request.fingerprints))
        return compliance_pb2.FinancingResponse(entries=[entry for entry in entries.values() if entry is not None])

    async def get_audit_trail(
        self, caller: Caller, request: compliance_pb2.GetAuditTrailRequest
    ) -> compliance_pb2.AuditTrailResponse:
        """The history of a public compliance record."""
        del caller
        return await audit_trail(self._ledger, audit_key(request))


def audit_key(request: compliance_pb2.GetAuditTrailRequest) -> RecordKey:
    """The key of the public record a GetAuditTrail request names: an object type of
    AUDITED_OBJECTS, spelt exactly, and an id of its form (the client checks it early)."""
    object_id = request.object_id

    def build() -> RecordKey:
        if request.object_type == "kyc":
            msp_id, _, subject = object_id.partition("/")
            return kyc_key(msp_id, subject)
        if request.object_type == "screening":
            # A subject reference may hold '/' (SWIFT x set); MSP ids and list ids never do.
            msp_id, _, rest = object_id.partition("/")
            subject, _, list_id = rest.rpartition("/")
            return screening_key(msp_id, subject, list_id)
        if request.object_type == "governance":
            return governance_key()
        if request.object_type == "financing":
            return financing_key(object_id)
        if request.object_type == "limit-policy":
            return limit_policy_key(object_id)
        raise invalid_input("object_type", f"one of {', '.join(AUDITED_OBJECTS)}")

    return audited_key(request.object_type, build)
