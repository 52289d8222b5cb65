"""The duplicate-financing registry: keyed fingerprints, only "already financed" revealed."""

from __future__ import annotations

import hashlib

import pytest

from tradefin.chaincode.contracts.compliance.errors import RuleError
from tradefin.chaincode.contracts.compliance.records import financing_details_key, implicit_collection
from tradefin.protos import compliance_pb2 as cp

from ..payments.support import BANK_A, BANK_B, Desk, caller, governance_config, money

PRIMARY = hashlib.sha256(b"invoice primary").hexdigest()
NEAR = hashlib.sha256(b"invoice near-duplicate").hexdigest()
SALT_A, SALT_B = b"a" * 32, b"b" * 32


def finance(
    desk: Desk, bank: object, salt: bytes, pct: int = 100, prints: tuple[str, ...] = (PRIMARY, NEAR)
) -> cp.FinancingResponse:
    request = cp.FinanceDocumentRequest(
        fingerprints=list(prints),
        doc_type=cp.FINANCED_DOCUMENT_TYPE_INVOICE,
        financed_pct=pct,
        face_amount_band="100K-1M",
        holder_salt=salt,
    )
    return desk.comply(caller(bank, "treasury"), lambda s, tx: s.finance_document(tx, request))  # type: ignore[arg-type]


def test_a_second_bank_learns_only_that_the_document_is_financed() -> None:
    desk = Desk()
    entries = finance(desk, BANK_A, SALT_A).entries
    assert [entry.status for entry in entries] == [cp.FINANCING_STATUS_FINANCED] * 2
    with pytest.raises(RuleError) as error:
        finance(desk, BANK_B, SALT_B, prints=(NEAR,))
    assert error.value.code_name == "ERR_DUPLICATE_FINANCING"
    assert error.value.text == "already financed"
    assert "Bank1MSP" not in str(desk.ledger.state)


def test_the_same_financing_again_is_a_replay() -> None:
    desk = Desk()
    finance(desk, BANK_A, SALT_A)
    assert len(finance(desk, BANK_A, SALT_A).entries[0].holds) == 1


def test_pro_rata_financing_stops_at_the_face_value() -> None:
    desk = Desk()
    desk.adopt(governance_config(financing_policy=cp.FINANCING_POLICY_PRO_RATA))
    finance(desk, BANK_A, SALT_A, pct=60)
    assert finance(desk, BANK_B, SALT_B, pct=40).entries[0].holds[1].financed_pct == 40
    with pytest.raises(RuleError) as error:
        finance(desk, BANK_B, b"c" * 32, pct=1)
    assert error.value.code_name == "ERR_DUPLICATE_FINANCING"


def test_release_by_the_holder_frees_the_document() -> None:
    desk = Desk()
    finance(desk, BANK_A, SALT_A)
    release = cp.ReleaseFinancingRequest(fingerprints=[PRIMARY, NEAR], holder_salt=SALT_B)
    with pytest.raises(RuleError) as error:
        desk.comply(caller(BANK_B, "treasury"), lambda s, tx: s.release_financing(tx, release))
    assert error.value.code_name == "ERR_NOT_FOUND"
    release = cp.ReleaseFinancingRequest(fingerprints=[PRIMARY, NEAR], holder_salt=SALT_A)
    released = desk.comply(caller(BANK_A, "treasury"), lambda s, tx: s.release_financing(tx, release))
    assert {entry.status for entry in released.entries} == {cp.FINANCING_STATUS_RELEASED}
    finance(desk, BANK_B, SALT_B)


def test_details_stay_with_the_financing_bank() -> None:
    desk = Desk()
    details = cp.FinancingDetails(
        financing_id="fin-1", fingerprints=[PRIMARY], customer_ref="KYC-HK-001", amount=money("900000.00"), salt=SALT_A
    )
    request = cp.RecordFinancingDetailsRequest(details=details)
    desk.comply(caller(BANK_A, "treasury"), lambda s, tx: s.record_financing_details(tx, request))
    assert desk.ledger.value(financing_details_key("fin-1"), implicit_collection("Bank1MSP")) is not None
    held_in = [collection for collection, key in desk.ledger.state if key == financing_details_key("fin-1")]
    assert held_in == [implicit_collection("Bank1MSP")]  # nowhere else: not public, not the other bank's


def test_registration_is_idempotent_and_fingerprints_are_checked() -> None:
    desk = Desk()
    register = cp.RegisterDocumentRequest(fingerprints=[PRIMARY], doc_type=cp.FINANCED_DOCUMENT_TYPE_INVOICE)
    first = desk.comply(caller(BANK_A, "treasury"), lambda s, tx: s.register_document(tx, register))
    again = desk.comply(caller(BANK_B, "treasury"), lambda s, tx: s.register_document(tx, register))
    assert first.entries == again.entries
    bad = cp.RegisterDocumentRequest(fingerprints=["INV-1"], doc_type=cp.FINANCED_DOCUMENT_TYPE_INVOICE)
    with pytest.raises(RuleError) as error:
        desk.comply(caller(BANK_A, "treasury"), lambda s, tx: s.register_document(tx, bad))
    assert error.value.code_name == "ERR_INVALID_INPUT"
