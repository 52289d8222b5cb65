"""Compliance through the ``compliance`` contract: KYC attestations, sanctions screening, the
governed configuration, private limits, the duplicate-financing registry and the audit trail.

:class:`Compliance` (blocking) and :class:`AsyncCompliance` (asyncio) have the same methods, written
once as flows in :class:`ComplianceFlows`.

Private limits: :meth:`ComplianceFlows.set_limit`, :meth:`~ComplianceFlows.reserve_limits`,
:meth:`~ComplianceFlows.release_limits` and :meth:`~ComplianceFlows.record_financing_details` are
endorsed by the caller's own bank only, so their requests (limit values, financing details) reach no
other bank's peer.

Duplicate financing: the consortium key never leaves the banks. :func:`invoice_fingerprints` (and the
other ``*_fingerprints``) normalise a document's key fields and compute the keyed fingerprints
(HMAC-SHA256) the registry stores, so two banks that write "INV-00123" and "inv 123" meet on the same
fingerprint.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from tradefin.chaincode.contracts.compliance import financing, governance, kyc, limits, screening
from tradefin.chaincode.contracts.compliance.service import audit_key
from tradefin.chaincode.contracts.letters_of_credit.errors import LcRuleError
from tradefin.chaincode.contracts.letters_of_credit.money import parse_amount
from tradefin.chaincode.contracts.letters_of_credit.validation import check_money
from tradefin.gateway import Gateway, aio
from tradefin.protos import common_pb2
from tradefin.protos import compliance_pb2 as cp

from ._core import (
    ClientSettings,
    Committed,
    Flow,
    FlowsBase,
    Session,
    enum_value,
    refused,
    salt_or_new,
    timestamp,
)
from ._drivers import DEFAULT_CHAINCODE, AsyncClient, BlockingClient, asynchronous, blocking

__all__ = [
    "CONTRACT_NAME",
    "AsyncCompliance",
    "Compliance",
    "ComplianceFlows",
    "Financed",
    "bill_of_lading_fingerprints",
    "customs_declaration_fingerprints",
    "governance_sha256",
    "holder_commitment",
    "invoice_fingerprints",
    "normalise",
    "pilot_configuration",
]

#: The contract's name in the chaincode (transactions are ``compliance:<Operation>``).
CONTRACT_NAME: Final = "compliance"

_NOT_KEY_CHARACTER = re.compile(r"[^A-Z0-9]")
_LEADING_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")


# ------------------------------------------------------------------------------------------------
# Keyed fingerprints (DOMAIN.md 4.5), computed by the banks


def normalise(text: str) -> str:
    """A key field as the registry compares it: compatibility-decomposed, upper case, letters and
    digits only, no leading zeros in a run of digits ("inv 00123" and "INV-123" are "INV123")."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().upper()
    return _LEADING_ZEROS.sub("", _NOT_KEY_CHARACTER.sub("", folded))


def _fingerprint(key: bytes, doc_type: str, fields: Sequence[str]) -> str:
    message = "|".join([doc_type, *fields]).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _amount(value: common_pb2.Money) -> str:
    """The amount as fingerprinted: upper-case ISO currency and minor units ("usd" is "USD")."""
    amount = common_pb2.Money(currency=value.currency.strip().upper(), minor_units=value.minor_units)
    try:
        check_money(amount, "amount")
    except LcRuleError as refusal:
        raise refused(refusal) from None
    return f"{amount.currency}{amount.minor_units}"


def invoice_fingerprints(
    consortium_key: bytes,
    *,
    seller_id: str,
    invoice_number: str,
    issue_date: datetime.date,
    amount: common_pb2.Money,
    buyer_id: str = "",
) -> list[str]:
    """An invoice's fingerprints: seller + number + date + amount; and, when the buyer is known, seller
    + buyer + amount + date (the same sale under another invoice number).

    Args:
        consortium_key: the consortium's HMAC key (never sent to the ledger).
        seller_id, buyer_id: LEI or tax id.
    """
    day = issue_date.isoformat()
    prints = [
        _fingerprint(consortium_key, "INVOICE", [normalise(seller_id), normalise(invoice_number), day, _amount(amount)])
    ]
    if buyer_id:
        prints.append(
            _fingerprint(
                consortium_key, "INVOICE-PARTIES", [normalise(seller_id), normalise(buyer_id), _amount(amount), day]
            )
        )
    return prints


def bill_of_lading_fingerprints(consortium_key: bytes, *, carrier: str, bill_number: str) -> list[str]:
    """A bill of lading's fingerprint: carrier (SCAC or BIC) + B/L number."""
    return [_fingerprint(consortium_key, "BILL_OF_LADING", [normalise(carrier), normalise(bill_number)])]


def customs_declaration_fingerprints(consortium_key: bytes, *, declaration_number: str) -> list[str]:
    """A customs declaration's fingerprint: its number."""
    return [_fingerprint(consortium_key, "CUSTOMS_DECLARATION", [normalise(declaration_number)])]


def holder_commitment(salt: bytes, msp_id: str) -> str:
    """The registry's commitment to a financing bank, as the chaincode derives it from the salt and
    the caller's MSP id (keep the salt to release the financing)."""
    return financing.holder_commitment(salt, msp_id)


def governance_sha256(config: cp.ComplianceGovernance) -> bytes:
    """The SHA-256 an approval names: of the proposed configuration, serialised deterministically."""
    return governance.config_sha256(config)


@dataclass(frozen=True, slots=True)
class Financed:
    """A financing registered by the caller's bank.

    Attributes:
        entries: the registry entries, as the chaincode answered.
        holder_salt: the salt behind the bank's hold; keep it (privately) to release the financing.
    """

    entries: list[cp.FinancingEntry]
    holder_salt: bytes


#: Illustrative reference rates (units of USD per unit) for a pilot's proposal.
PILOT_REFERENCE_RATES: Final = (
    ("EUR", "1.08"),
    ("GBP", "1.27"),
    ("CHF", "1.13"),
    ("HKD", "0.1285"),
    ("CNY", "0.138"),
    ("JPY", "0.0067"),
    ("SGD", "0.74"),
    ("CAD", "0.72"),
    ("AUD", "0.65"),
    ("SEK", "0.094"),
    ("NOK", "0.092"),
    ("DKK", "0.145"),
)


def pilot_configuration(
    member_msp_ids: Sequence[str],
    *,
    version: int = 1,
    reference_currency: str = "USD",
    reference_rates: Sequence[tuple[str, str]] = PILOT_REFERENCE_RATES,
    max_per_payment: str = "1000000.00",
    max_per_day: str = "50000000.00",
    max_per_credit: str = "5000000.00",
    dual_control_threshold: str = "250000.00",
    sanctions_lists: Sequence[tuple[str, str]] = (("UN", "2025-11-28"), ("OFAC", "2025-12-01")),
    embargoed_countries: Sequence[str] = ("CU", "IR", "KP", "SY"),
    check_credits: bool = False,
    description: str = "small-value payments pilot",
    directory: Sequence[common_pb2.BankRef] = (),
) -> cp.ComplianceGovernance:
    """A proposal for a small-value pilot's configuration (illustrative values; the real ones are the
    members' decision, and become binding only when every member approves them on the ledger).

    ``directory``: the member banks' BICs with their MSP ids (every member at least one); once adopted,
    every bank a credit, a transfer or a payment channel names must be listed so. Empty: no directory.
    """

    def amount(text: str) -> common_pb2.Money:
        return common_pb2.Money(currency=reference_currency, minor_units=parse_amount(text, reference_currency))

    return cp.ComplianceGovernance(
        version=version,
        member_msp_ids=sorted(member_msp_ids),
        sanctions_lists=[
            cp.SanctionsList(list_id=list_id, version=list_version) for list_id, list_version in sanctions_lists
        ],
        screening_max_age_hours=24,
        embargoed_countries=list(embargoed_countries),
        reference_currency=reference_currency,
        reference_rates=[cp.ReferenceRate(currency=currency, rate=rate) for currency, rate in reference_rates],
        pilot_caps=cp.PilotCaps(
            max_per_payment=amount(max_per_payment),
            max_per_day=amount(max_per_day),
            max_per_credit=amount(max_per_credit),
        ),
        dual_control_threshold=amount(dual_control_threshold),
        approval_window_hours=24,
        check_credits=check_credits,
        financing_policy=cp.FINANCING_POLICY_EXCLUSIVE,
        description=description,
        directory=[cp.DirectoryEntry(bic=bank.bic, msp_id=bank.msp_id) for bank in directory],
    )


# ------------------------------------------------------------------------------------------------
# The operations, written once


class ComplianceFlows(FlowsBase):
    """Every operation of the ``compliance`` contract as a flow; the clients are its twins."""

    def _own_bank(self) -> tuple[str, ...]:
        """Endorsement by the caller's bank alone (transactions on its implicit collection)."""
        return (self.settings.msp_id,)

    # -- KYC and screening -----------------------------------------------------------------------

    def attest_kyc(
        self,
        subject_ref: str,
        *,
        status: cp.KycStatus.ValueType | str,
        level: cp.KycLevel.ValueType | str,
        risk_rating: cp.RiskRating.ValueType | str,
        verified_on: datetime.date,
        expires_on: datetime.date,
        evidence_hash: str,
    ) -> Flow[Committed[cp.KycAttestation]]:
        """The caller's bank attests a customer (role ``compliance``; the certificate's BIC names the
        bank; once a configuration is in force, a member bank of it). ``subject_ref`` is the customer's
        KYC reference, never personal data; ``evidence_hash`` the hex SHA-256 of the salted KYC file the
        bank keeps. Enums: numbers or labels (``"KYC_STATUS_VERIFIED"``)."""
        attestation = cp.KycAttestation(
            subject_ref=subject_ref,
            status=enum_value(cp.KycStatus, status, "attestation.status"),
            level=enum_value(cp.KycLevel, level, "attestation.level"),
            risk_rating=enum_value(cp.RiskRating, risk_rating, "attestation.risk_rating"),
            verified_on=common_pb2.Date(year=verified_on.year, month=verified_on.month, day=verified_on.day),
            expires_on=common_pb2.Date(year=expires_on.year, month=expires_on.month, day=expires_on.day),
            evidence_hash=evidence_hash,
        )
        self._check(kyc.check_attestation, attestation)
        request = cp.AttestKycRequest(attestation=attestation)
        receipt, response = yield from self._transact("AttestKyc", request, cp.KycResponse, None)
        return Committed(response.attestation, receipt.transaction_id, receipt.block_number)

    def record_screening(
        self,
        subject_ref: str,
        list_id: str,
        list_version: str,
        outcome: cp.ScreeningOutcome.ValueType | str,
        *,
        screened_at: datetime.datetime | None = None,
    ) -> Flow[Committed[cp.ScreeningResult]]:
        """The caller's bank records its screening of a subject against one list (role ``compliance`` of
        a member bank, once a configuration is in force); the outcome is a number or a label
        (``"SCREENING_OUTCOME_CLEAR"``)."""
        result = cp.ScreeningResult(
            subject_ref=subject_ref,
            list_id=list_id,
            list_version=list_version,
            outcome=enum_value(cp.ScreeningOutcome, outcome, "result.outcome"),
            screened_at=timestamp(screened_at or datetime.datetime.now(datetime.UTC)),
        )
        self._check(screening.check_result, result)
        request = cp.RecordScreeningRequest(result=result)
        receipt, response = yield from self._transact("RecordScreening", request, cp.ScreeningResponse, None)
        return Committed(response.result, receipt.transaction_id, receipt.block_number)

    def vouch(
        self,
        subject_ref: str,
        *,
        risk_rating: cp.RiskRating.ValueType | str = cp.RISK_RATING_LOW,
        valid_for: datetime.timedelta = datetime.timedelta(days=365),
        evidence_hash: str | None = None,
    ) -> Flow[cp.KycAttestation]:
        """Attest a customer VERIFIED (standard level) and record it CLEAR on every sanctions list the
        configuration in force requires, at the list's current version: what the bank's KYC and
        screening desks do once their checks passed (one transaction each)."""
        today = datetime.datetime.now(datetime.UTC).date()
        attested = yield from self.attest_kyc(
            subject_ref,
            status=cp.KYC_STATUS_VERIFIED,
            level=cp.KYC_LEVEL_STANDARD,
            risk_rating=risk_rating,
            verified_on=today - datetime.timedelta(days=1),
            expires_on=today + valid_for,
            evidence_hash=evidence_hash or hashlib.sha256(secrets.token_bytes(32) + subject_ref.encode()).hexdigest(),
        )
        current = yield from self.get_governance()
        for listed in current.governance.sanctions_lists:
            yield from self.record_screening(subject_ref, listed.list_id, listed.version, cp.SCREENING_OUTCOME_CLEAR)
        return attested.record

    def get_kyc(self, attesting_msp_id: str, subject_ref: str) -> Flow[cp.KycAttestation]:
        """A bank's attestation of a customer."""
        request = cp.GetKycRequest(attesting_msp_id=attesting_msp_id, subject_ref=subject_ref)
        return (yield from self._query("GetKyc", request, cp.KycResponse)).attestation

    def get_screening(self, screening_msp_id: str, subject_ref: str, list_id: str) -> Flow[cp.ScreeningResult]:
        """A bank's latest screening of a subject against a list."""
        request = cp.GetScreeningRequest(screening_msp_id=screening_msp_id, subject_ref=subject_ref, list_id=list_id)
        return (yield from self._query("GetScreening", request, cp.ScreeningResponse)).result

    # -- governance ------------------------------------------------------------------------------

    def propose_governance(self, config: cp.ComplianceGovernance) -> Flow[Committed[cp.GovernanceProposal]]:
        """Propose the next configuration version (role ``compliance`` of a member bank); the
        proposer's approval counts."""
        self._check(governance.validate_config, config)
        request = cp.ProposeGovernanceRequest(config=config)
        receipt, response = yield from self._transact("ProposeGovernance", request, cp.GovernanceResponse, None)
        return Committed(response.proposal, receipt.transaction_id, receipt.block_number)

    def approve_governance(
        self, version: int, *, config_sha256: bytes | None = None
    ) -> Flow[Committed[cp.GovernanceProposal]]:
        """Approve a proposed version (role ``compliance`` of a member bank); the last approval adopts
        it. Endorsed by every bank that must approve (the configuration's key requires them all).

        The approval names the content approved: ``config_sha256`` (:func:`governance_sha256` of the
        proposal the officer reviewed), by default the hash of the proposal read just before. The
        chaincode refuses with ERR_INVALID_STATE when the proposal on the ledger is another one."""
        pending = yield from self._query(
            "GetGovernance", cp.GetGovernanceRequest(proposal_version=version), cp.GovernanceResponse
        )
        endorsers = tuple(pending.proposal.required_msp_ids) or None
        reviewed = governance_sha256(pending.proposal.config) if config_sha256 is None else config_sha256
        request = cp.ApproveGovernanceRequest(version=version, config_sha256=reviewed)
        receipt, response = yield from self._transact("ApproveGovernance", request, cp.GovernanceResponse, endorsers)
        return Committed(response.proposal, receipt.transaction_id, receipt.block_number)

    def get_governance(self, proposal_version: int = 0) -> Flow[cp.GovernanceResponse]:
        """The configuration in force (``governance``, absent before the first adoption) and a
        proposal (the next version's by default)."""
        request = cp.GetGovernanceRequest(proposal_version=proposal_version)
        return (yield from self._query("GetGovernance", request, cp.GovernanceResponse))

    # -- limits ----------------------------------------------------------------------------------

    def set_limit(
        self,
        scope: cp.LimitScope.ValueType | str,
        key: str,
        maximum: common_pb2.Money,
        *,
        salt: bytes | None = None,
    ) -> Flow[Committed[None]]:
        """Set one of the caller's bank's limits (role ``compliance``; endorsed by the bank alone); the
        scope is a number or a label (``"LIMIT_SCOPE_COUNTRY"``)."""
        request = cp.SetLimitRequest(
            scope=enum_value(cp.LimitScope, scope, "scope"), key=key, max=maximum, salt=salt_or_new(salt)
        )
        self._check(limits.check_limit_request, request)
        receipt, _ = yield from self._transact("SetLimit", request, cp.LimitResponse, self._own_bank())
        return Committed(None, receipt.transaction_id, receipt.block_number)

    def get_limit(self, scope: cp.LimitScope.ValueType | str, key: str) -> Flow[cp.Limit]:
        """One of the caller's bank's limits and its utilisation (answered by the bank's own peer)."""
        request = cp.GetLimitRequest(scope=enum_value(cp.LimitScope, scope, "scope"), key=key)
        self._check(limits.check_limit_ref, request.scope, request.key)
        answer = yield from self._query("GetLimit", request, cp.LimitResponse)
        return answer.limit

    def reserve_limits(
        self,
        reservation_id: str,
        amount: common_pb2.Money,
        *,
        counterparty_bic: str = "",
        country: str = "",
        customer_ref: str = "",
        product: str = "PAYMENT",
        clearance_salt: bytes | None = None,
    ) -> Flow[Committed[cp.LimitClearance]]:
        """Reserve the caller's bank's limits for a payment (``reservation_id`` = its UETR) or a credit
        line (``"<channel id>/credit/<counterparty BIC8>"``, product ``CREDIT_LINE``); endorsed by the
        bank alone. The record is the clearance: pass its ``salt`` as the payment's
        ``limit_clearance_salt``. Refused with ERR_LIMIT_EXCEEDED when a limit would be exceeded."""
        request = cp.ReserveLimitsRequest(
            reservation_id=reservation_id,
            amount=amount,
            counterparty_bic=counterparty_bic,
            country=country,
            customer_ref=customer_ref,
            product=product,
            clearance_salt=salt_or_new(clearance_salt),
        )
        self._check(limits.check_reservation_request, request)
        receipt, _ = yield from self._transact("ReserveLimits", request, cp.LimitResponse, self._own_bank())
        return Committed(limits.clearance_of(request), receipt.transaction_id, receipt.block_number)

    def release_limits(self, reservation_id: str) -> Flow[Committed[None]]:
        """Give a reservation back once its payment was rejected, returned in full or never made (or its
        channel closed); endorsed by the bank alone. A partial return leaves it standing."""
        request = cp.ReleaseLimitsRequest(reservation_id=reservation_id)
        receipt, _ = yield from self._transact("ReleaseLimits", request, cp.LimitResponse, self._own_bank())
        return Committed(None, receipt.transaction_id, receipt.block_number)

    def get_reservation(self, reservation_id: str) -> Flow[cp.LimitReservation]:
        """One of the caller's bank's reservations (answered by the bank's own peer)."""
        request = cp.GetReservationRequest(reservation_id=reservation_id)
        return (yield from self._query("GetReservation", request, cp.LimitResponse)).reservation

    def set_limit_policy(self, clearance_required: bool) -> Flow[Committed[cp.LimitPolicy]]:
        """Declare whether the caller's bank's payments need a limit clearance (role ``compliance``)."""
        request = cp.SetLimitPolicyRequest(clearance_required=clearance_required)
        receipt, response = yield from self._transact("SetLimitPolicy", request, cp.LimitPolicyResponse, None)
        return Committed(response.policy, receipt.transaction_id, receipt.block_number)

    def get_limit_policy(self, msp_id: str) -> Flow[cp.LimitPolicy]:
        """A bank's limit policy."""
        answer = yield from self._query(
            "GetLimitPolicy", cp.GetLimitPolicyRequest(msp_id=msp_id), cp.LimitPolicyResponse
        )
        return answer.policy

    # -- duplicate financing ---------------------------------------------------------------------

    def register_document(
        self,
        fingerprints: Sequence[str],
        doc_type: cp.FinancedDocumentType.ValueType | str,
        *,
        face_amount_band: str = "",
    ) -> Flow[Committed[list[cp.FinancingEntry]]]:
        """Register a document's fingerprints (idempotent; role ``treasury``, ``issuer``, ``approver`` or
        ``compliance`` of a member bank, once a configuration is in force); the type is a number or a
        label (``"FINANCED_DOCUMENT_TYPE_INVOICE"``)."""
        request = cp.RegisterDocumentRequest(
            fingerprints=fingerprints,
            doc_type=enum_value(cp.FinancedDocumentType, doc_type, "doc_type"),
            face_amount_band=face_amount_band,
        )
        self._check(financing.check_registration, request)
        receipt, response = yield from self._transact("RegisterDocument", request, cp.FinancingResponse, None)
        return Committed(list(response.entries), receipt.transaction_id, receipt.block_number)

    def finance_document(
        self,
        fingerprints: Sequence[str],
        doc_type: cp.FinancedDocumentType.ValueType | str,
        *,
        holder_salt: bytes | None = None,
        financed_pct: int = 100,
        face_amount_band: str = "",
    ) -> Flow[Committed[Financed]]:
        """Register the caller's bank's financing of a document before disbursing (the roles and the
        membership of :meth:`register_document`). Refused with
        :class:`~.errors.DuplicateFinancingError` ("already financed", nothing more) when another
        financing stands in the way.

        ``holder_salt`` (32 random bytes, fresh ones by default) goes to the chaincode in the
        transient request, which commits to the caller's bank with it; the answer's
        :attr:`Financed.holder_salt` is needed to release the financing (and to replay it). The type is
        a number or a label (``"FINANCED_DOCUMENT_TYPE_INVOICE"``)."""
        salt = salt_or_new(holder_salt)
        request = cp.FinanceDocumentRequest(
            fingerprints=fingerprints,
            doc_type=enum_value(cp.FinancedDocumentType, doc_type, "doc_type"),
            financed_pct=financed_pct,
            face_amount_band=face_amount_band,
            holder_salt=salt,
        )
        self._check(financing.check_financing_request, request)
        receipt, response = yield from self._transact("FinanceDocument", request, cp.FinancingResponse, None)
        return Committed(Financed(list(response.entries), salt), receipt.transaction_id, receipt.block_number)

    def record_financing_details(self, details: cp.FinancingDetails) -> Flow[Committed[None]]:
        """Keep a financing's customer and amounts in the caller's implicit collection (endorsed by the
        bank alone)."""
        self._check(financing.check_details, details)
        request = cp.RecordFinancingDetailsRequest(details=details)
        receipt, _ = yield from self._transact(
            "RecordFinancingDetails", request, cp.FinancingResponse, self._own_bank()
        )
        return Committed(None, receipt.transaction_id, receipt.block_number)

    def release_financing(
        self, fingerprints: Sequence[str], *, holder_salt: bytes
    ) -> Flow[Committed[list[cp.FinancingEntry]]]:
        """Release the caller's bank's financing (repayment, refused or returned presentation)."""
        request = cp.ReleaseFinancingRequest(fingerprints=fingerprints, holder_salt=holder_salt)
        self._check(financing.check_release_request, request)
        receipt, response = yield from self._transact("ReleaseFinancing", request, cp.FinancingResponse, None)
        return Committed(list(response.entries), receipt.transaction_id, receipt.block_number)

    def get_financing(self, fingerprints: Sequence[str]) -> Flow[list[cp.FinancingEntry]]:
        """The registry entries of fingerprints (unknown ones are left out)."""
        request = cp.GetFinancingRequest(fingerprints=fingerprints)
        self._check(financing.check_fingerprints, request.fingerprints)
        return list((yield from self._query("GetFinancing", request, cp.FinancingResponse)).entries)

    # -- audit -----------------------------------------------------------------------------------

    def audit_trail(self, object_type: str, object_id: str) -> Flow[list[cp.AuditEntry]]:
        """Every committed write of a public compliance record: ``kyc`` (``<MSP id>/<subject>``),
        ``screening`` (``<MSP id>/<subject>/<list>``), ``governance``, ``financing`` (fingerprint),
        ``limit-policy`` (MSP id); newest first."""
        request = cp.GetAuditTrailRequest(object_type=object_type, object_id=object_id)
        self._check(audit_key, request)
        return list((yield from self._query("GetAuditTrail", request, cp.AuditTrailResponse)).entries)


# ------------------------------------------------------------------------------------------------
# The two front ends


class Compliance(BlockingClient[ComplianceFlows]):
    """Compliance on one consortium channel, through a blocking :class:`~tradefin.gateway.Gateway`."""

    def __init__(
        self,
        gateway: Gateway,
        channel: str,
        *,
        chaincode: str = DEFAULT_CHAINCODE,
        validate: bool = True,
        session: Session | None = None,
    ) -> None:
        """Args:
        gateway: a connection to one of the caller's bank's peers, as a role-bearing user.
        channel: the consortium channel.
        chaincode: the chaincode that runs the ``compliance`` contract.
        validate: check arguments early with the rules' own checks.
        session: shared by clients that must read each other's writes.
        """
        settings = ClientSettings(gateway.identity.msp_id, validate=validate, session=session, channel=channel)
        super().__init__(gateway, channel, CONTRACT_NAME, ComplianceFlows(settings), chaincode)

    attest_kyc = blocking(ComplianceFlows.attest_kyc)
    record_screening = blocking(ComplianceFlows.record_screening)
    vouch = blocking(ComplianceFlows.vouch)
    get_kyc = blocking(ComplianceFlows.get_kyc)
    get_screening = blocking(ComplianceFlows.get_screening)
    propose_governance = blocking(ComplianceFlows.propose_governance)
    approve_governance = blocking(ComplianceFlows.approve_governance)
    get_governance = blocking(ComplianceFlows.get_governance)
    set_limit = blocking(ComplianceFlows.set_limit)
    get_limit = blocking(ComplianceFlows.get_limit)
    reserve_limits = blocking(ComplianceFlows.reserve_limits)
    release_limits = blocking(ComplianceFlows.release_limits)
    get_reservation = blocking(ComplianceFlows.get_reservation)
    set_limit_policy = blocking(ComplianceFlows.set_limit_policy)
    get_limit_policy = blocking(ComplianceFlows.get_limit_policy)
    register_document = blocking(ComplianceFlows.register_document)
    finance_document = blocking(ComplianceFlows.finance_document)
    record_financing_details = blocking(ComplianceFlows.record_financing_details)
    release_financing = blocking(ComplianceFlows.release_financing)
    get_financing = blocking(ComplianceFlows.get_financing)
    audit_trail = blocking(ComplianceFlows.audit_trail)


class AsyncCompliance(AsyncClient[ComplianceFlows]):
    """The asyncio twin of :class:`Compliance`."""

    def __init__(
        self,
        gateway: aio.Gateway,
        channel: str,
        *,
        chaincode: str = DEFAULT_CHAINCODE,
        validate: bool = True,
        session: Session | None = None,
    ) -> None:
        """Args: as for :class:`Compliance`."""
        settings = ClientSettings(gateway.identity.msp_id, validate=validate, session=session, channel=channel)
        super().__init__(gateway, channel, CONTRACT_NAME, ComplianceFlows(settings), chaincode)

    attest_kyc = asynchronous(ComplianceFlows.attest_kyc)
    record_screening = asynchronous(ComplianceFlows.record_screening)
    vouch = asynchronous(ComplianceFlows.vouch)
    get_kyc = asynchronous(ComplianceFlows.get_kyc)
    get_screening = asynchronous(ComplianceFlows.get_screening)
    propose_governance = asynchronous(ComplianceFlows.propose_governance)
    approve_governance = asynchronous(ComplianceFlows.approve_governance)
    get_governance = asynchronous(ComplianceFlows.get_governance)
    set_limit = asynchronous(ComplianceFlows.set_limit)
    get_limit = asynchronous(ComplianceFlows.get_limit)
    reserve_limits = asynchronous(ComplianceFlows.reserve_limits)
    release_limits = asynchronous(ComplianceFlows.release_limits)
    get_reservation = asynchronous(ComplianceFlows.get_reservation)
    set_limit_policy = asynchronous(ComplianceFlows.set_limit_policy)
    get_limit_policy = asynchronous(ComplianceFlows.get_limit_policy)
    register_document = asynchronous(ComplianceFlows.register_document)
    finance_document = asynchronous(ComplianceFlows.finance_document)
    record_financing_details = asynchronous(ComplianceFlows.record_financing_details)
    release_financing = asynchronous(ComplianceFlows.release_financing)
    get_financing = asynchronous(ComplianceFlows.get_financing)
    audit_trail = asynchronous(ComplianceFlows.audit_trail)
