"""Once a configuration is in force, only its member banks write the records other banks rely on.

Fabric admits any organisation of the channel; the compliance governance names the consortium's
members. OUTSIDER (Bank3MSP) is an organisation the configuration does not count among them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

import pytest

from tradefin.chaincode.contracts.compliance.errors import RuleError
from tradefin.chaincode.contracts.compliance.service import ComplianceService
from tradefin.chaincode.contracts.letters_of_credit.access import Transaction
from tradefin.protos import common_pb2
from tradefin.protos import compliance_pb2 as cp

from ..payments.support import BANK_A, DEBTOR, NOW, OUTSIDER, Desk, caller, snapshot, stamp

FINGERPRINT = hashlib.sha256(b"invoice of the outsider").hexdigest()
SALT = b"o" * 32

Operation = Callable[[ComplianceService, Transaction], Awaitable[object]]


def _attest(service: ComplianceService, tx: Transaction) -> Awaitable[object]:
    attestation = cp.KycAttestation(
        subject_ref=DEBTOR.kyc_ref,
        level=cp.KYC_LEVEL_STANDARD,
        status=cp.KYC_STATUS_VERIFIED,
        verified_on=common_pb2.Date(year=2025, month=1, day=2),
        expires_on=common_pb2.Date(year=2026, month=12, day=31),
        risk_rating=cp.RISK_RATING_LOW,
        evidence_hash="ab" * 32,
    )
    return service.attest_kyc(tx, cp.AttestKycRequest(attestation=attestation))


def _screen(service: ComplianceService, tx: Transaction) -> Awaitable[object]:
    result = cp.ScreeningResult(
        subject_ref=DEBTOR.kyc_ref,
        list_id="UN",
        list_version="2025-11-28",
        outcome=cp.SCREENING_OUTCOME_CLEAR,
        screened_at=stamp(NOW),
    )
    return service.record_screening(tx, cp.RecordScreeningRequest(result=result))


def _register(service: ComplianceService, tx: Transaction) -> Awaitable[object]:
    request = cp.RegisterDocumentRequest(fingerprints=[FINGERPRINT], doc_type=cp.FINANCED_DOCUMENT_TYPE_INVOICE)
    return service.register_document(tx, request)


def _finance(service: ComplianceService, tx: Transaction) -> Awaitable[object]:
    request = cp.FinanceDocumentRequest(
        fingerprints=[FINGERPRINT], doc_type=cp.FINANCED_DOCUMENT_TYPE_INVOICE, financed_pct=100, holder_salt=SALT
    )
    return service.finance_document(tx, request)


def _release(service: ComplianceService, tx: Transaction) -> Awaitable[object]:
    request = cp.ReleaseFinancingRequest(fingerprints=[FINGERPRINT], holder_salt=SALT)
    return service.release_financing(tx, request)


#: (operation, the role it needs, what the refusal names)
SHARED_RECORDS: list[tuple[Operation, str, str]] = [
    (_attest, "compliance", "attesting KYC"),
    (_screen, "compliance", "recording a screening"),
    (_register, "treasury", "registering a document"),
    (_finance, "treasury", "financing a document"),
]
IDS = ["AttestKyc", "RecordScreening", "RegisterDocument", "FinanceDocument"]


@pytest.mark.parametrize(("operation", "role", "action"), SHARED_RECORDS, ids=IDS)
def test_an_organisation_outside_the_governance_writes_no_shared_record(
    operation: Operation, role: str, action: str
) -> None:
    desk = Desk()
    desk.adopt()  # members: Bank1MSP and Bank2MSP
    before = snapshot(desk)
    with pytest.raises(RuleError) as refusal:
        desk.comply(caller(OUTSIDER, role), operation)
    assert refusal.value.code_name == "ERR_UNAUTHORIZED"
    assert refusal.value.text == (
        f"{action} is reserved to the member banks of the compliance governance; Bank3MSP is not one"
    )
    assert snapshot(desk) == before
    desk.comply(caller(BANK_A, role), operation)  # a member bank's officer, same request: written
    assert snapshot(desk) != before


@pytest.mark.parametrize(("operation", "role", "action"), SHARED_RECORDS, ids=IDS)
def test_before_the_first_adoption_there_are_no_members_to_check(
    operation: Operation, role: str, action: str
) -> None:
    desk = Desk()
    before = snapshot(desk)
    desk.comply(caller(OUTSIDER, role), operation)
    assert snapshot(desk) != before


def test_a_bank_outside_the_governance_still_releases_its_own_hold() -> None:
    desk = Desk()
    desk.comply(caller(OUTSIDER, "treasury"), _finance)  # before the configuration named the members
    desk.adopt()
    released = desk.comply(caller(OUTSIDER, "treasury"), _release)
    assert isinstance(released, cp.FinancingResponse)
    assert released.entries[0].status == cp.FINANCING_STATUS_RELEASED
