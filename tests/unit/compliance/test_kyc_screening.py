"""KYC attestations and sanctions screening, and the gate a payment's parties pass."""

from __future__ import annotations

import datetime

import pytest

from tradefin.chaincode.contracts.compliance.errors import RuleError
from tradefin.chaincode.contracts.compliance.gate import PartyFile, check_parties
from tradefin.chaincode.contracts.compliance.kyc import require_verified
from tradefin.chaincode.contracts.compliance.screening import require_clear
from tradefin.chaincode.contracts.letters_of_credit.validation import check_subject_ref
from tradefin.protos import common_pb2
from tradefin.protos import compliance_pb2 as cp

from ..payments.support import BANK_A, BANK_B, DEBTOR, NOW, Desk, caller, governance_config, stamp


def attestation(**fields: object) -> cp.KycAttestation:
    values: dict[str, object] = {
        "subject_ref": "KYC-1",
        "status": cp.KYC_STATUS_VERIFIED,
        "verified_on": common_pb2.Date(year=2025, month=1, day=1),
        "expires_on": common_pb2.Date(year=2025, month=12, day=31),
        "risk_rating": cp.RISK_RATING_LOW,
    }
    values.update(fields)
    return cp.KycAttestation(**values)  # type: ignore[arg-type]


def test_an_attestation_is_recorded_by_the_officers_bank_and_versioned() -> None:
    desk = Desk()
    desk.vouch(BANK_A, DEBTOR)
    desk.vouch(BANK_A, DEBTOR, risk_rating=cp.RISK_RATING_HIGH)
    request = cp.GetKycRequest(attesting_msp_id="Bank1MSP", subject_ref=DEBTOR.kyc_ref)
    found = desk.comply(caller(BANK_B, "auditor"), lambda s, tx: s.get_kyc(tx.caller, request)).attestation
    assert found.attesting_bank.bic == BANK_A.bic and found.version == 2 and found.risk_rating == cp.RISK_RATING_HIGH


def test_only_compliance_officers_attest() -> None:
    request = cp.AttestKycRequest(attestation=attestation(level=cp.KYC_LEVEL_STANDARD, evidence_hash="00" * 32))
    with pytest.raises(RuleError) as error:
        Desk().comply(caller(BANK_A, "treasury"), lambda s, tx: s.attest_kyc(tx, request))
    assert error.value.code_name == "ERR_UNAUTHORIZED"


@pytest.mark.parametrize(
    ("record", "day", "message"),
    [
        (None, datetime.date(2025, 6, 1), "has not attested"),
        (attestation(status=cp.KYC_STATUS_PENDING), datetime.date(2025, 6, 1), "is PENDING"),
        (attestation(), datetime.date(2026, 1, 1), "expired"),
        (attestation(), datetime.date(2024, 12, 31), "not in force yet"),
    ],
)
def test_kyc_must_be_verified_and_current(record: cp.KycAttestation | None, day: datetime.date, message: str) -> None:
    with pytest.raises(RuleError, match=message) as error:
        require_verified(record, role="debtor", subject_ref="KYC-1", bank_msp_id="Bank1MSP", day=day)
    assert error.value.code_name == "ERR_KYC"


def result(outcome: cp.ScreeningOutcome.ValueType = cp.SCREENING_OUTCOME_CLEAR, **fields: object) -> cp.ScreeningResult:
    values: dict[str, object] = {"list_version": "2025-11-28", "outcome": outcome, "screened_at": stamp(NOW)}
    values.update(fields)
    return cp.ScreeningResult(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("un", "message"),
    [
        (None, "has not screened"),
        (result(cp.SCREENING_OUTCOME_POTENTIAL_MATCH), "POTENTIAL_MATCH"),
        (result(cp.SCREENING_OUTCOME_CONFIRMED_MATCH), "CONFIRMED_MATCH"),
        (result(list_version="2025-10-01"), "current list version"),
        (result(screened_at=stamp(NOW - datetime.timedelta(hours=25))), "older than"),
    ],
)
def test_screening_must_be_clear_current_and_recent(un: cp.ScreeningResult | None, message: str) -> None:
    governance = governance_config()
    results = {"UN": un, "OFAC": result(list_version="2025-12-01")}
    with pytest.raises(RuleError, match=message) as error:
        require_clear(results, governance, role="creditor", bank_msp_id="Bank2MSP", now=NOW)
    assert error.value.code_name == "ERR_SANCTIONS"


def clear_file(
    role: str, party: common_pb2.PartyRef, bank: common_pb2.BankRef, risk: int = cp.RISK_RATING_LOW
) -> PartyFile:
    return PartyFile(
        role,
        party,
        bank,
        attestation(subject_ref=party.kyc_ref, risk_rating=risk),
        {"UN": result(), "OFAC": result(list_version="2025-12-01")},
    )


def test_the_gate_blocks_embargoed_countries_and_flags_risk() -> None:
    governance = governance_config()
    desk = Desk()
    tx = desk.tx(caller(BANK_A, "treasury"))
    debtor = common_pb2.PartyRef(name="A", country="HK", kyc_ref="KYC-1")
    creditor = common_pb2.PartyRef(name="B", country="DE", kyc_ref="KYC-2")
    outcome = check_parties(
        governance, [clear_file("debtor", debtor, BANK_A), clear_file("creditor", creditor, BANK_B)], tx
    )
    assert not outcome.needs_second_approver
    risky = check_parties(
        governance,
        [clear_file("debtor", debtor, BANK_A, cp.RISK_RATING_HIGH), clear_file("creditor", creditor, BANK_B)],
        tx,
    )
    assert risky.high_risk_parties == ("debtor",)
    myanmar = common_pb2.PartyRef(name="B", country="MM", kyc_ref="KYC-2")
    assert check_parties(
        governance, [clear_file("debtor", debtor, BANK_A), clear_file("creditor", myanmar, BANK_B)], tx
    ).high_risk_countries == ("MM",)
    iran = common_pb2.PartyRef(name="B", country="IR", kyc_ref="KYC-2")
    with pytest.raises(RuleError, match="IR is under embargo") as error:
        check_parties(governance, [clear_file("debtor", debtor, BANK_A), clear_file("creditor", iran, BANK_B)], tx)
    assert error.value.code_name == "ERR_SANCTIONS"


def test_the_audit_trail_of_a_screening_names_it_by_bank_subject_and_list_even_with_a_slash() -> None:
    desk = Desk()
    for subject in ("LEI/123", "LEI"):
        party = common_pb2.PartyRef(kyc_ref=subject)
        desk.screen(BANK_A, party, "UN", "2025-11-28", cp.SCREENING_OUTCOME_CLEAR)
        desk.screen(BANK_A, party, "UN", "2025-11-29", cp.SCREENING_OUTCOME_POTENTIAL_MATCH)
    desk.screen(BANK_A, common_pb2.PartyRef(kyc_ref="LEI"), "123", "2025-11-30", cp.SCREENING_OUTCOME_CLEAR)

    def trail(object_id: str) -> list[cp.ScreeningResult]:
        request = cp.GetAuditTrailRequest(object_type="screening", object_id=object_id)
        entries = desk.comply(caller(BANK_B, "auditor"), lambda s, tx: s.get_audit_trail(tx.caller, request)).entries
        return [cp.ScreeningResult.FromString(entry.record) for entry in entries]

    slashed = trail("Bank1MSP/LEI/123/UN")
    assert [(r.subject_ref, r.list_id, r.list_version) for r in slashed] == [
        ("LEI/123", "UN", "2025-11-29"),
        ("LEI/123", "UN", "2025-11-28"),
    ]
    assert [r.list_version for r in trail("Bank1MSP/LEI/UN")] == ["2025-11-29", "2025-11-28"]
    with pytest.raises(RuleError, match="subject_ref"):
        trail("Bank1MSP/UN")


@pytest.mark.parametrize("blank", [" ", "   "])
def test_a_blank_subject_reference_is_refused_naming_the_field(blank: str) -> None:
    """Spaces only were accepted as a subject reference (an attestation of nobody, keyed by spaces),
    while the shared check_text and check_ref16 refuse blank text."""
    request = cp.AttestKycRequest(
        attestation=attestation(subject_ref=blank, level=cp.KYC_LEVEL_STANDARD, evidence_hash="00" * 32)
    )
    with pytest.raises(RuleError) as error:
        Desk().comply(caller(BANK_A, "compliance"), lambda s, tx: s.attest_kyc(tx, request))
    assert str(error.value) == "ERR_INVALID_INPUT: attestation.subject_ref: must not be blank"


@pytest.mark.parametrize("value", ["KYC 1", "A"])
def test_a_subject_reference_with_a_space_is_not_blank(value: str) -> None:
    check_subject_ref(value, "subject_ref")


@pytest.mark.parametrize("padded", [" KYC-1", "KYC-1 ", " KYC-1 "])
def test_a_padded_subject_reference_is_refused(padded: str) -> None:
    """' KYC-1' reads as 'KYC-1' but keys another subject: an attestation or screening of one customer
    filed where the other's is looked for (the shared check_ref16 refuses padded references too)."""
    with pytest.raises(RuleError) as error:
        check_subject_ref(padded, "attestation.subject_ref")
    assert str(error.value) == "ERR_INVALID_INPUT: attestation.subject_ref: must not start or end with a blank"
