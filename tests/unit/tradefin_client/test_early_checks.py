"""The typed client's early checks agree with the chaincode.

Each case names one early check of the client (an operation and the request field it checks before
sending) and the chaincode transaction the operation sends. The field of the transaction's valid
request (from the contract fuzz harnesses) gets the bad values of :mod:`tests.unit.contract_fuzzing`
(an enum field: every number its enum defines, numbers it does not and, when the operation takes the
enum as an argument, spellings of its label); the mutated request goes through the router as an
endorser simulates it (over the harness's ledger, nothing committed), and the client's operation is
started with the same values (no network: the operation's flow either refuses before its first step
or yields it).

The rules: a value the chaincode accepts passes the client's check; a value the client refuses, the
chaincode refuses with the same code, naming the same field; and a value the chaincode refuses as
invalid input in the checked field, the client refuses before sending it (ERR_NOT_FOUND and the like
need the ledger: the client sends those).
"""

from __future__ import annotations

import asyncio
import datetime
import functools
import uuid
from collections.abc import Callable, Container, Generator
from dataclasses import dataclass
from typing import Any, cast

import pytest
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from tests.unit import contract_fuzzing
from tests.unit.compliance import test_fuzz_inputs as compliance_fuzz
from tests.unit.letters_of_credit import test_fuzz_inputs as lc_fuzz
from tests.unit.letters_of_credit.test_contract import FakeStub
from tests.unit.payments import test_fuzz_inputs as pay_fuzz
from tests.unit.payments.contract_fuzz import ROUTER, Call, LedgerStub, is_submit
from tests.unit.payments.support import governance_config
from tradefin.chaincode.contracts.compliance.errors import RuleError
from tradefin.chaincode.contracts.letters_of_credit.validation import check_msp_id
from tradefin.chaincode.contracts.rule_contract import REQUEST_FIELD
from tradefin.chaincode.shim import ChaincodeResponse, ChaincodeStub
from tradefin.gateway.tradefin import ClientSettings, TradeFinanceError
from tradefin.gateway.tradefin.compliance import ComplianceFlows
from tradefin.gateway.tradefin.letters_of_credit import LettersOfCreditFlows
from tradefin.gateway.tradefin.payments import PaymentsFlows
from tradefin.protos import letters_of_credit_pb2 as lc_pb2

#: What a check answered: None when it let the request through, else (code, field).
Outcome = tuple[str, str] | None


@dataclass(frozen=True)
class EarlyCheck:
    """One early check: the routed transaction, the request field (a dotted path) and the client's
    operation started from a request of that transaction."""

    function: str
    field: str
    operation: Callable[[Any], Generator[object, Any, object]]
    #: Which of the harness's valid calls (pay, compliance) or scenarios (lc) of the transaction the
    #: values go in.
    base: int = 0
    #: An enum the operation takes as an argument (not inside a message): it also gets spellings of
    #: its labels, which protobuf takes for the number ('PAYMENT_STATUS_ACCC') or cannot encode.
    spelled: bool = False
    #: Values the chaincode refuses on the field for what is on the ledger (the client cannot know):
    #: they must pass the client, or be refused as the chaincode refuses them, like any other.
    on_ledger: Container[object] = ()
    #: Which of the client's operations sending the transaction this is, when more than one does.
    via: str = ""

    @property
    def name(self) -> str:
        return f"{self.function}.{self.field}" + (f"#{self.base}" if self.base else "") + (
            f"@{self.via}" if self.via else ""
        )


class _WellFormedNonMembers:
    """MSP ids of the right shape that name no member bank of the scene's compliance configuration: a
    payment channel's counterparty must be a member, which only the ledger knows."""

    def __contains__(self, value: object) -> bool:
        try:
            check_msp_id(cast(str, value), "msp_id")
        except RuleError:
            return False
        return value not in governance_config().member_msp_ids


def _lc() -> LettersOfCreditFlows:
    return LettersOfCreditFlows(ClientSettings(msp_id="IssuerMSP", pin_endorsers=False))


def _present(r: Any) -> Generator[object, Any, object]:
    return _lc().present(
        r.lc_id,
        receiving_bank_bic=r.receiving_bank_bic,
        claimed=r.claimed,
        documents=r.documents,
        presentation_id=r.presentation_id,
        transfer_id=r.transfer_id,
        awaiting_completeness=r.awaiting_completeness,
    )


def _refuse(r: Any) -> Generator[object, Any, object]:
    return _lc().refuse(
        r.presentation_id,
        r.discrepancies,
        r.disposal,
        charges_claimed=r.charges_claimed if r.HasField("charges_claimed") else None,
        narrative=r.narrative,
    )


def _examine_forwarded(r: Any) -> Generator[object, Any, object]:
    return _lc().examine_forwarded(r.presentation_id, r.discrepancies, disposal=r.disposal, narrative=r.narrative)


def _propose_amendment(r: Any) -> Generator[object, Any, object]:
    return _lc().propose_amendment(
        r.lc_id,
        r.seq,
        r.changes,
        charges_payable_by=r.charges_payable_by,
        deemed_acceptance_clause=r.deemed_acceptance_clause,
        narrative=r.narrative,
    )


def _pay() -> PaymentsFlows:
    return PaymentsFlows(ClientSettings(msp_id="Bank1MSP", pin_endorsers=False))


def _compliance() -> ComplianceFlows:
    return ComplianceFlows(ClientSettings(msp_id="Bank1MSP", pin_endorsers=False))


def _date(value: Any) -> datetime.date:
    return datetime.date(value.year, value.month, value.day)


def _initiate(r: Any) -> Generator[object, Any, object]:
    return _pay().pay(
        r.channel_id,
        r.instructed_amount,
        debtor=r.debtor,
        debtor_account=r.debtor_account,
        creditor=r.creditor,
        creditor_account=r.creditor_account,
        charge_bearer=r.charge_bearer,
        quote_id=r.quote_id,
        fees_disclosed=list(r.fees_disclosed),
        fees_charged=list(r.fees_charged),
        purpose=r.purpose,
        remittance_information=r.remittance_information,
        end_to_end_id=r.end_to_end_id,
        uetr=r.uetr,
        kind=r.kind,
        limit_clearance_salt=r.limit_clearance_salt,
        salt=r.salt,
    )


CHECKS: tuple[EarlyCheck, ...] = (
    # -- lc --
    EarlyCheck("lc:GetCalendar", "place", lambda r: _lc().get_calendar(r.place)),
    *(
        EarlyCheck("lc:GetAuditTrail", field, lambda r: _lc().audit_trail(r.object_type, r.object_id), base)
        for base, fields in ((0, ("object_type", "object_id")), (1, ("object_id",)), (2, ("object_id",)))
        for field in fields
    ),
    EarlyCheck("lc:GetAuditTrail", "object_id", lambda r: _lc().credit_history(r.object_id), via="credit_history"),
    EarlyCheck(
        "lc:GetAuditTrail",
        "object_id",
        lambda r: _lc().presentation_history(r.object_id),
        1,
        via="presentation_history",
    ),
    EarlyCheck("lc:GetCredit", "lc_id", lambda r: _lc().get_credit(r.lc_id)),
    EarlyCheck("lc:GetCreditTerms", "lc_id", lambda r: _lc().get_credit_terms(r.lc_id)),
    EarlyCheck("lc:GetPresentation", "presentation_id", lambda r: _lc().get_presentation(r.presentation_id)),
    EarlyCheck("lc:GetTransfer", "lc_id", lambda r: _lc().get_transfer(r.lc_id, r.transfer_id)),
    EarlyCheck("lc:GetTransfer", "transfer_id", lambda r: _lc().get_transfer(r.lc_id, r.transfer_id)),
    EarlyCheck("lc:Issue", "lc_id", lambda r: _lc().issue(r.lc_id)),
    EarlyCheck("lc:NotifyCompleteness", "presentation_id", lambda r: _lc().notify_completeness(r.presentation_id)),
    *(
        EarlyCheck(
            "lc:Present",
            field,
            _present,
        )
        for field in ("presentation_id", "lc_id", "receiving_bank_bic", "claimed.currency", "transfer_id")
    ),
    EarlyCheck(
        "lc:ProposeAmendment",
        "narrative",
        _propose_amendment,
    ),
    *(
        EarlyCheck(
            "lc:Refuse",
            field,
            _refuse,
        )
        for field in (
            "narrative",
            "discrepancies[0].text",
            "discrepancies[0].doc_ref",
            "charges_claimed.currency",
            "charges_claimed.minor_units",
            "discrepancies[0].code",
        )
    ),
    EarlyCheck(
        "lc:Refuse",
        "disposal",
        _refuse,
        spelled=True,
        # the documents are held for the applicant's waiver by the issuing bank only: this refusal is
        # the advising bank's
        on_ledger=(lc_pb2.REFUSAL_DISPOSAL_NOTIFY,),
    ),
    *(
        EarlyCheck(
            "lc:Honour",
            field,
            lambda r: _lc().honour(
                r.presentation_id,
                r.amount,
                maturity_date=r.maturity_date if r.HasField("maturity_date") else None,
                settlement=r.settlement if r.HasField("settlement") else None,
            ),
        )
        for field in ("amount.currency", "amount.minor_units")
    ),
    *(
        EarlyCheck("lc:Apply", f"terms.{field}", lambda r: _lc().apply(r.terms, salt=r.salt))
        for field in (
            "lc_number",
            "expiry_date.day",
            "expiry_place.name",
            "expiry_place.un_locode",
            "applicant.name",
            "applicant.address[0]",
            "applicant.country",
            "applicant.lei",
            "applicant.kyc_ref",
            "beneficiary.country",
            "amount.currency",
            "amount.minor_units",
            "tolerance.plus_pct",
            "available_with.nominated_bank.bic",
            "available_with.nominated_bank.msp_id",
            "port_of_loading.un_locode",
            "latest_shipment_date.month",
            "goods.description",
            "goods.quantity",
            "goods.unit",
            "goods.unit_price.currency",
            "goods.incoterm",
            "documents_required[0].originals",
            "issuing_bank.bic",
            "advising_bank.bic",
            "advising_bank.msp_id",
            "form",
            "rules",
            "available_by",
            "partial_shipments",
            "transhipment",
            "documents_required[0].doc_type",
            "confirmation_instruction",
        )
    ),
    *(
        # [44D window], ON OR ABOUT: an end date is refused whatever its day (only a BETWEEN term has one);
        # an end date's own checks are ProposeAmendment's below, whose window is BETWEEN
        EarlyCheck("lc:Apply", f"terms.{field}", lambda r: _lc().apply(r.terms, salt=r.salt), 2)
        for field in (
            "shipment_period",
            "shipment_window.kind",
            "shipment_window.date.day",
        )
    ),
    *(
        EarlyCheck(
            "lc:ProposeAmendment",
            field,
            _propose_amendment,
        )
        for field in ("changes.expiry_date.day", "changes.latest_shipment_date.year", "deemed_acceptance_clause")
    ),
    *(
        EarlyCheck(
            "lc:ProposeAmendment",
            f"changes.{field}",
            _propose_amendment,
            base,
        )
        for base, fields in (
            (
                1,  # [terms]: the amount, tolerance, shipment terms, goods, documents, conditions, port
                (
                    "increase.currency",
                    "increase.minor_units",
                    "tolerance.plus_pct",
                    "partial_shipments",
                    "transhipment",
                    "presentation_period.days",
                    "goods_description.action",
                    "goods_description.text",
                    "documents_required.action",
                    "documents_required.documents[0].doc_type",
                    "documents_required.documents[0].originals",
                    "additional_conditions.text",
                    "port_of_loading.name",
                    "port_of_loading.un_locode",
                ),
            ),
            (
                2,  # [44D window]: a decrease and a shipment window for a period
                (
                    "decrease.minor_units",
                    "shipment_period",
                    "shipment_window.kind",
                    "shipment_window.date.day",
                    "shipment_window.end_date.month",
                ),
            ),
        )
        for field in fields
    ),
    EarlyCheck(
        "lc:ProposeAmendment",
        "charges_payable_by",
        _propose_amendment,
        spelled=True,
    ),
    *(
        EarlyCheck(
            "lc:Transfer",
            field,
            lambda r: _lc().transfer(
                r.lc_id,
                second_beneficiary=r.second_beneficiary,
                second_beneficiary_bank=r.second_beneficiary_bank,
                amount=r.amount,
                transfer_id=r.transfer_id,
                expiry_date=r.expiry_date if r.HasField("expiry_date") else None,
                latest_shipment_date=r.latest_shipment_date if r.HasField("latest_shipment_date") else None,
                presentation_period_days=r.presentation_period_days,
                unit_price=r.unit_price if r.HasField("unit_price") else None,
                insurance_cover_pct=r.insurance_cover_pct,
                substitute_applicant=r.substitute_applicant,
            ),
        )
        for field in (
            "transfer_id",
            "second_beneficiary.name",
            "second_beneficiary.country",
            "second_beneficiary.lei",
            "second_beneficiary.bic",
            "second_beneficiary.kyc_ref",
            "second_beneficiary.msp_id",
            "second_beneficiary_bank.bic",
            "second_beneficiary_bank.msp_id",
            "amount.currency",
            "amount.minor_units",
            "unit_price.currency",
            "unit_price.minor_units",
            "insurance_cover_pct",
        )
    ),
    *(
        EarlyCheck(
            "lc:Present",
            field,
            _present,
        )
        for field in (
            "claimed.minor_units",
            "documents[0].doc_ref",
            "documents[0].sha256",
            "documents[0].originals",
            "documents[0].issue_date.day",
            "documents[0].key_data.invoice_number",
            "documents[0].key_data.amount.currency",
            "documents[1].key_data.port_of_loading.un_locode",
            "documents[1].key_data.vessel",
            "documents[1].key_data.vessel_imo",
            "documents[1].key_data.vessel_flag",
            "documents[0].doc_type",
            "documents[1].doc_type",
        )
    ),
    *(
        EarlyCheck("lc:Examine", field, lambda r: _lc().examine(r.presentation_id, r.discrepancies))
        for field in ("discrepancies[0].text", "discrepancies[1].doc_ref", "discrepancies[0].code")
    ),
    *(
        EarlyCheck("lc:ExamineForwarded", field, _examine_forwarded)
        for field in ("discrepancies[0].text", "discrepancies[0].doc_ref", "discrepancies[0].code", "narrative")
    ),
    EarlyCheck("lc:ExamineForwarded", "disposal", _examine_forwarded, spelled=True),
    *(
        EarlyCheck(
            "lc:Reimburse",
            field,
            lambda r: _lc().reimburse(
                r.presentation_id, r.amount, settlement=r.settlement if r.HasField("settlement") else None
            ),
        )
        for field in ("amount.currency", "amount.minor_units")
    ),
    *(
        EarlyCheck("lc:PublishCalendar", f"calendar.{field}", lambda r: _lc().publish_calendar(r.calendar))
        for field in (
            "place",
            "description",
            "holidays[0].day",
            "holidays[1].month",
            "holidays[0].year",
            "weekend_days[0]",
        )
    ),
    # -- pay --
    *(
        EarlyCheck(
            "pay:ProposeChannel",
            field,
            lambda r: _pay().propose_channel(
                r.proposer,
                r.counterparty,
                r.currency,
                proposer_credit_limit=r.proposer_credit_limit,
                counterparty_credit_limit=r.counterparty_credit_limit,
                capacity_slots=r.capacity_slots,
                cycle_seconds=r.cycle_seconds,
                salt=r.salt,
                limit_clearance_salt=r.limit_clearance_salt,
            ),
            on_ledger=_WellFormedNonMembers() if field == "counterparty.msp_id" else (),
        )
        for field in (
            "currency",
            "proposer.bic",
            "proposer.msp_id",
            "counterparty.bic",
            "counterparty.msp_id",
            "proposer_credit_limit.currency",
            "proposer_credit_limit.minor_units",
            "counterparty_credit_limit.currency",
            "counterparty_credit_limit.minor_units",
            "capacity_slots",
            "cycle_seconds",
        )
    ),
    *(
        EarlyCheck("pay:InitiatePayment", field, _initiate, base)
        for base, fields in (
            (
                0,
                (
                    "uetr",
                    "end_to_end_id",
                    "instructed_amount.currency",
                    "instructed_amount.minor_units",
                    "debtor.country",
                    "creditor.country",
                    "creditor.bic",
                    "purpose",
                    "remittance_information",
                ),
            ),
            (
                1,
                (
                    "debtor.bic",
                    "fees_disclosed[0].agent_bic",
                    "fees_disclosed[1].agent_bic",
                    "fees_disclosed[0].amount.currency",
                    "fees_disclosed[0].amount.minor_units",
                    "fees_disclosed[0].kind",
                    "fees_charged[0].agent_bic",
                    "fees_charged[0].amount.currency",
                    "fees_charged[0].amount.minor_units",
                ),
            ),
        )
        for field in fields
    ),
    *(
        EarlyCheck("pay:SettleBatch", field, lambda r: _pay().settle_batch(r.channel_id, r.cycle, r.settlement_uetr))
        for field in ("settlement_uetr", "channel_id", "cycle")
    ),
    *(
        EarlyCheck("pay:InitiatePayment", field, _initiate, base, spelled=True)
        for base in (0, 1)
        for field in ("kind", "charge_bearer")
    ),
    *(
        EarlyCheck(
            "pay:CreateQuote",
            f"quote.{field}",
            lambda r: _pay().create_quote(
                r.quote.channel_id,
                for_bank_bic=r.quote.for_bank_bic,
                sell_currency=r.quote.sell_currency,
                rate=r.quote.rate,
                max_sell_amount=r.quote.max_sell_amount,
                valid_for=datetime.timedelta(minutes=10),
                fees=list(r.quote.fees),
                margin_bps=r.quote.margin_bps,
                quote_id=r.quote.quote_id,
                salt=r.quote.salt,
            ),
        )
        for field in (
            "quote_id",
            "channel_id",
            "for_bank_bic",
            "sell_currency",
            "rate",
            "margin_bps",
            "max_sell_amount.currency",
            "max_sell_amount.minor_units",
            "fees[0].agent_bic",
            "fees[0].amount.currency",
            "fees[0].amount.minor_units",
            "fees[0].kind",
        )
    ),
    *(
        EarlyCheck(
            "pay:ReportStatus",
            field,
            lambda r: _pay().report_status(
                r.uetr, r.status, reason_code=r.reason_code, fees_charged=list(r.fees_charged)
            ),
            base,
            spelled=field == "status",
        )
        for base, fields in ((0, ("uetr", "status")), (1, ("status", "reason_code")))
        for field in fields
    ),
    EarlyCheck("pay:ApprovePayment", "uetr", lambda r: _pay().approve(r.uetr)),
    *(
        EarlyCheck(
            "pay:ReturnPayment",
            field,
            lambda r: _pay().return_payment(
                r.original_uetr, r.returned_amount, r.reason_code, return_uetr=r.return_uetr, salt=r.salt
            ),
        )
        for field in (
            "original_uetr",
            "return_uetr",
            "returned_amount.currency",
            "returned_amount.minor_units",
            "reason_code",
        )
    ),
    *(
        EarlyCheck(
            "pay:ReturnPayment",
            field,
            lambda r: _pay().accept_recall(r.original_uetr, r.returned_amount, return_uetr=r.return_uetr, salt=r.salt),
            1,
            via="accept_recall",
        )
        for field in ("original_uetr", "return_uetr", "returned_amount.currency", "returned_amount.minor_units")
    ),
    *(
        EarlyCheck(
            "pay:RecallPayment", field, lambda r: _pay().recall(r.uetr, r.reason_code, recall_id=r.recall_id), base
        )
        for base in (0, 1)
        for field in ("uetr", "reason_code", "recall_id")
    ),
    *(
        EarlyCheck("pay:RejectRecall", field, lambda r: _pay().reject_recall(r.uetr, r.recall_id, r.reason_code))
        for field in ("uetr", "reason_code", "recall_id")
    ),
    EarlyCheck("pay:GetChannel", "channel_id", lambda r: _pay().get_channel(r.channel_id)),
    *(
        EarlyCheck("pay:GetAuditTrail", field, lambda r: _pay().audit_trail(r.object_type, r.object_id), base)
        for base, fields in ((0, ("object_type", "object_id")), (1, ("object_id",)))
        for field in fields
    ),
    EarlyCheck("pay:GetAuditTrail", "object_id", lambda r: _pay().payment_history(r.object_id), via="payment_history"),
    EarlyCheck("pay:GetPayment", "uetr", lambda r: _pay().get_payment(r.uetr)),
    EarlyCheck("pay:GetQuote", "quote_id", lambda r: _pay().get_quote(r.quote_id)),
    *(
        EarlyCheck(
            "pay:RecordDeposit",
            field,
            lambda r: _pay().record_deposit(r.channel_id, r.amount, r.funding_uetr, deposit_id=r.deposit_id),
        )
        for field in ("deposit_id", "funding_uetr", "amount.currency")
    ),
    # -- compliance --
    *(
        EarlyCheck(
            "compliance:AttestKyc",
            f"attestation.{field}",
            lambda r: _compliance().attest_kyc(
                r.attestation.subject_ref,
                status=r.attestation.status,
                level=r.attestation.level,
                risk_rating=r.attestation.risk_rating,
                verified_on=_date(r.attestation.verified_on),
                expires_on=_date(r.attestation.expires_on),
                evidence_hash=r.attestation.evidence_hash,
            ),
            spelled=field in ("status", "level", "risk_rating"),
        )
        for field in ("subject_ref", "status", "level", "risk_rating", "evidence_hash")
    ),
    *(
        EarlyCheck(
            "compliance:RecordScreening",
            f"result.{field}",
            lambda r: _compliance().record_screening(
                r.result.subject_ref,
                r.result.list_id,
                r.result.list_version,
                r.result.outcome,
                screened_at=r.result.screened_at.ToDatetime(datetime.UTC),
            ),
            spelled=field == "outcome",
        )
        for field in ("subject_ref", "list_id", "list_version", "outcome")
    ),
    *(
        EarlyCheck(
            "compliance:ProposeGovernance", f"config.{field}", lambda r: _compliance().propose_governance(r.config), 1
        )
        for field in (
            "member_msp_ids[0]",
            "sanctions_lists[0].list_id",
            "sanctions_lists[0].version",
            "screening_max_age_hours",
            "embargoed_countries[0]",
            "high_risk_countries[0]",
            "reference_currency",
            "reference_rates[0].currency",
            "reference_rates[0].rate",
            "pilot_caps.max_per_payment.currency",
            "pilot_caps.max_per_payment.minor_units",
            "pilot_caps.max_per_day.minor_units",
            "country_caps[0].country",
            "country_caps[0].max_per_payment.currency",
            "dual_control_threshold.minor_units",
            "approval_window_hours",
            "reporting_thresholds[0].country",
            "reporting_thresholds[0].amount.currency",
            "reporting_thresholds[0].description",
            "pilot_day_utc_offset_minutes",
            "description",
            "financing_policy",
        )
    ),
    *(
        EarlyCheck(
            "compliance:SetLimit",
            field,
            lambda r: _compliance().set_limit(r.scope, r.key, r.max, salt=r.salt),
            base,
            spelled=field == "scope",
        )
        for base in (0, 1)
        for field in ("key", "max.currency", "max.minor_units", "scope")
    ),
    *(
        EarlyCheck(
            "compliance:GetLimit", field, lambda r: _compliance().get_limit(r.scope, r.key), spelled=field == "scope"
        )
        for field in ("key", "scope")
    ),
    *(
        EarlyCheck(
            "compliance:ReserveLimits",
            field,
            lambda r: _compliance().reserve_limits(
                r.reservation_id,
                r.amount,
                counterparty_bic=r.counterparty_bic,
                country=r.country,
                customer_ref=r.customer_ref,
                product=r.product,
                clearance_salt=r.clearance_salt,
            ),
        )
        for field in (
            "reservation_id",
            "amount.currency",
            "amount.minor_units",
            "counterparty_bic",
            "country",
            "customer_ref",
            "product",
        )
    ),
    *(
        EarlyCheck(
            "compliance:FinanceDocument",
            field,
            lambda r: _compliance().finance_document(
                list(r.fingerprints),
                r.doc_type,
                holder_salt=r.holder_salt,
                financed_pct=r.financed_pct,
                face_amount_band=r.face_amount_band,
            ),
            base,
            spelled=field == "doc_type",
        )
        for base, fields in (
            (0, ("fingerprints[0]", "financed_pct", "face_amount_band")),
            (1, ("fingerprints[1]", "doc_type")),  # base 0 finances a registered invoice: its type is on the ledger
        )
        for field in fields
    ),
    *(
        EarlyCheck(
            "compliance:RegisterDocument",
            field,
            lambda r: _compliance().register_document(
                list(r.fingerprints), r.doc_type, face_amount_band=r.face_amount_band
            ),
            spelled=field == "doc_type",
        )
        for field in ("fingerprints[0]", "fingerprints[1]", "face_amount_band", "doc_type")
    ),
    EarlyCheck(
        "compliance:ReleaseFinancing",
        "fingerprints[0]",
        lambda r: _compliance().release_financing(list(r.fingerprints), holder_salt=r.holder_salt),
    ),
    *(
        EarlyCheck("compliance:GetFinancing", field, lambda r: _compliance().get_financing(list(r.fingerprints)))
        for field in ("fingerprints[0]", "fingerprints[1]")
    ),
    *(
        EarlyCheck(
            "compliance:GetAuditTrail", field, lambda r: _compliance().audit_trail(r.object_type, r.object_id), base
        )
        for base, fields in ((0, ("object_type", "object_id")), (1, ("object_id",)), (2, ("object_id",)))
        for field in fields
    ),
    *(
        EarlyCheck(
            "compliance:RecordFinancingDetails",
            f"details.{field}",
            lambda r: _compliance().record_financing_details(r.details),
        )
        for field in (
            "financing_id",
            "fingerprints[0]",
            "doc_type",
            "customer_ref",
            "amount.currency",
            "amount.minor_units",
            "face_amount.currency",
            "face_amount.minor_units",
        )
    ),
)


def _get(message: Message, path: str) -> Any:
    value: Any = message
    for part in path.split("."):
        if part.endswith("]"):
            name, _, index = part[:-1].partition("[")
            value = getattr(value, name)[int(index)]
        else:
            value = getattr(value, part)
    return value


def _field(message: Message, path: str) -> FieldDescriptor:
    """The descriptor of the field at the dotted path."""
    parent, _, last = path.rpartition(".")
    holder: Message = _get(message, parent) if parent else message
    field: FieldDescriptor = holder.DESCRIPTOR.fields_by_name[last.partition("[")[0]]
    return field


def _set(message: Message, path: str, value: object) -> None:
    parent, _, last = path.rpartition(".")
    holder: Any = _get(message, parent) if parent else message
    if last.endswith("]"):
        name, _, index = last[:-1].partition("[")
        getattr(holder, name)[int(index)] = value
    else:
        setattr(holder, last, value)


def _undefined(field: FieldDescriptor) -> int:
    """The first number after the largest the field's enum defines."""
    numbers: list[int] = [value.number for value in field.enum_type.values]
    return max(numbers) + 1


def enum_values(current: int, field: FieldDescriptor, *, spelled: bool) -> list[tuple[str, object]]:
    """The values an enum field gets, by kind: every number its enum defines, numbers it does not
    (enums travel as int32) and, for an enum the operation takes as an argument, spellings of the
    valid value's label (the exact one is that number; protobuf encodes no other)."""
    numbers = [value.number for value in field.enum_type.values]
    found: list[tuple[str, object]] = [("defined", number) for number in numbers]
    found += [
        ("undefined", number) for number in (_undefined(field), 99, -1, 2**31 - 1, -(2**31)) if number not in numbers
    ]
    if spelled:
        label = field.enum_type.values_by_number[current].name
        prefix = field.enum_type.values[0].name.removesuffix("UNSPECIFIED")
        found += [
            ("label", label),
            ("label-case", label.lower()),
            ("label-padded", f" {label} "),
            ("label-padded", f"{label}\n"),
            ("label-short", label.removeprefix(prefix)),
            ("label-unknown", f"{prefix}UNKNOWN"),
            ("label-number", str(current)),
            ("label-empty", ""),
        ]
    return found


def values(current: object, field: FieldDescriptor, *, spelled: bool = False) -> list[tuple[str, object]]:
    """The bad values a text, integer or enum field gets, by kind, and its valid value."""
    if field.type == FieldDescriptor.TYPE_ENUM:
        assert isinstance(current, int), field.full_name
        return [("valid", current), *enum_values(current, field, spelled=spelled)]
    bounds = contract_fuzzing.int_range(field)
    if bounds is not None:
        low, high = bounds
        return [("valid", current), *((kind, n) for kind, n in contract_fuzzing.INTEGERS if low <= n <= high)]
    assert isinstance(current, str), field.full_name
    return [("valid", current), *contract_fuzzing.TEXTS, *contract_fuzzing.derived_texts(current)]


# ------------------------------------------------------------------------------------------------
# The chaincode, through the router as the fuzz harnesses drive it


@functools.cache
def _lc_scenario(function: str, index: int = 0) -> lc_fuzz.Scenario:
    name = function.removeprefix("lc:")
    return [scenario for scenario in lc_fuzz.scenarios() if scenario.function == name][index]


@functools.cache
def _pay_scene() -> Any:
    return pay_fuzz.FUZZ.scene()


@functools.cache
def _compliance_scene() -> Any:
    return compliance_fuzz.FUZZ.scene()


def valid_request(function: str, base: int = 0) -> Message:
    if function.startswith("lc:"):
        return _lc_scenario(function, base).request
    return _base(function, base).request


@functools.cache
def _base(function: str, index: int = 0) -> Call:
    if function.startswith("pay:"):
        return pay_fuzz.BASES[function][index](_pay_scene())
    return compliance_fuzz.BASES[function][index](_compliance_scene())


def chaincode_answer(function: str, request: Message, index: int = 0) -> ChaincodeResponse:
    """The chaincode's answer as an endorser simulates the request: routed over the harness's world or
    scene, whose ledger it reads and never writes (its writes are dropped uncommitted, so no copy of
    the ledger is needed per value)."""
    if function.startswith("lc:"):
        scenario = _lc_scenario(function, index)
        call = lc_fuzz.proper_call(scenario.function, request.SerializeToString())
        chaincode = lc_fuzz.world()[0]
        stub = FakeStub(chaincode.world, lc_fuzz.who(*scenario.caller), function, list(call.args), dict(call.transient))
        stub.tx_timestamp = scenario.at
        return asyncio.run(chaincode.router.invoke(cast(ChaincodeStub, stub)))
    base = _base(function, index)
    desk = (_pay_scene() if function.startswith("pay:") else _compliance_scene()).desk
    payload = request.SerializeToString()
    if is_submit(function):
        view = desk.ledger.transaction(uuid.uuid4().hex, desk.now + base.later)
        routed = LedgerStub(view, base.who, function, [], {REQUEST_FIELD: payload})
    else:
        routed = LedgerStub(desk.ledger.transaction(uuid.uuid4().hex, desk.now), base.who, function, [payload], {})
    return asyncio.run(ROUTER.invoke(cast(ChaincodeStub, routed)))


def chaincode_outcome(response: ChaincodeResponse) -> Outcome:
    if response.status == 200:
        return None
    code, _, rest = response.message.partition(": ")
    field, _, _ = rest.partition(": ")
    return code, field


class Spelled:
    """A request as the client's operation reads it, but the enum at ``path`` reads as a text."""

    def __init__(self, message: Any, path: str, spelling: str) -> None:
        self._message, self._path, self._spelling = message, path, spelling

    def __getattr__(self, name: str) -> Any:
        head, _, rest = self._path.partition(".")
        if name != head:
            return getattr(self._message, name)
        return Spelled(getattr(self._message, name), rest, self._spelling) if rest else self._spelling


def client_outcome(check: EarlyCheck, request: Message | Spelled) -> Outcome:
    flow = check.operation(request)
    try:
        next(flow)
    except StopIteration:
        return None
    except TradeFinanceError as refusal:
        assert refusal.transaction_id is None, refusal
        return refusal.code, refusal.field
    flow.close()
    return None


def _cases() -> list[Any]:
    cases = []
    for check in CHECKS:
        request = valid_request(check.function, check.base)
        current = _get(request, check.field)
        for kind, value in values(current, _field(request, check.field), spelled=check.spelled):
            shown = value[:24] if isinstance(value, str) else value
            cases.append(pytest.param(check, kind, value, id=f"{check.name}:{kind}:{shown!r}"))
    return cases


def _names(refused: str, field: str) -> bool:
    """Whether a refusal on ``refused`` is about ``field``: the field itself, or the date it is a part of (a
    date is refused whole for a bad day, month or year)."""
    parent, _, leaf = field.rpartition(".")
    return field == refused or (leaf in ("day", "month", "year") and parent == refused)


@pytest.mark.parametrize(("check", "kind", "value"), _cases())
def test_the_client_refuses_early_as_the_chaincode_refuses(check: EarlyCheck, kind: str, value: object) -> None:
    valid = valid_request(check.function, check.base)
    request = type(valid)()
    request.CopyFrom(valid)
    field = _field(valid, check.field)
    if field.type == FieldDescriptor.TYPE_ENUM and isinstance(value, str):
        # a spelling of a label: the chaincode gets the label's number, or one no label has when
        # protobuf cannot encode the text (nothing can be sent: the client must refuse it)
        label = field.enum_type.values_by_name.get(value)
        _set(request, check.field, label.number if label is not None else _undefined(field))
        client = client_outcome(check, Spelled(request, check.field, value))
        assert label is not None or client is not None, f"{value!r}: protobuf cannot encode it, the client sends it"
    else:
        _set(request, check.field, value)
        client = client_outcome(check, request)
    chaincode = chaincode_outcome(chaincode_answer(check.function, request, check.base))
    if kind == "valid":  # the request the values go in reaches the field: it passes both as it is
        assert (client, chaincode) == (None, None), f"the valid request is refused: {client}, {chaincode}"
    if chaincode is None:
        assert client is None, f"{value!r}: the chaincode accepts it, the client refuses it: {client}"
    elif client is not None:
        assert client == chaincode, f"{value!r}: client {client}, chaincode {chaincode}"
    elif chaincode[0] == "ERR_INVALID_INPUT" and _names(chaincode[1], check.field) and value not in check.on_ledger:
        pytest.fail(f"{value!r}: the chaincode refuses it as {chaincode}, the client sends it")
