"""The financing registry binds a hold to the caller: the chaincode derives the holder commitment
from the request's salt and the caller's MSP id, so a bank that copies another bank's public hold is
refused with ERR_DUPLICATE_FINANCING instead of being answered as if it replayed its own financing."""

from __future__ import annotations

import pytest

from tradefin.chaincode.contracts.compliance.errors import RuleError
from tradefin.chaincode.contracts.compliance.financing import holder_commitment
from tradefin.protos import compliance_pb2 as cp

from ..payments.support import BANK_A, BANK_B, Desk, caller, snapshot
from .test_financing import NEAR, PRIMARY, SALT_A, SALT_B, finance


def _field(number: int, value: bytes) -> bytes:
    """A length-delimited protobuf field (both values here are shorter than 128 bytes)."""
    return bytes([number << 3 | 2, len(value)]) + value


def copied_request(commitment: str, salt: bytes, pct: int) -> cp.FinanceDocumentRequest:
    """A request carrying a copied commitment in field 5 (the former ``holder_commitment``) and the
    sender's own salt in field 6 (``holder_salt``)."""
    base = cp.FinanceDocumentRequest(
        fingerprints=[PRIMARY, NEAR], doc_type=cp.FINANCED_DOCUMENT_TYPE_INVOICE, financed_pct=pct
    )
    wire = base.SerializeToString() + _field(5, commitment.encode()) + _field(6, salt)
    return cp.FinanceDocumentRequest.FromString(wire)


def test_a_copied_public_hold_is_refused_as_duplicate_financing() -> None:
    # Both requests are built at the wire level, so the test also runs against the former schema
    # (where field 5 was a client-supplied commitment the chaincode trusted).
    desk = Desk()
    own = copied_request(holder_commitment(SALT_A, BANK_A.msp_id), SALT_A, 100)
    desk.comply(caller(BANK_A, "treasury"), lambda s, tx: s.finance_document(tx, own))
    # Bank B reads the public entry and copies bank A's hold into its own request.
    read = cp.GetFinancingRequest(fingerprints=[PRIMARY, NEAR])
    entry = desk.comply(caller(BANK_B, "treasury"), lambda s, tx: s.get_financing(tx.caller, read)).entries[0]
    hold = entry.holds[0]
    request = copied_request(hold.holder_commitment, SALT_B, hold.financed_pct)
    before = snapshot(desk)
    with pytest.raises(RuleError) as error:
        desk.comply(caller(BANK_B, "treasury"), lambda s, tx: s.finance_document(tx, request))
    assert error.value.code_name == "ERR_DUPLICATE_FINANCING"
    assert error.value.text == "already financed"
    assert snapshot(desk) == before


def test_another_bank_with_the_holders_salt_is_not_the_holder() -> None:
    desk = Desk()
    finance(desk, BANK_A, SALT_A)
    before = snapshot(desk)
    with pytest.raises(RuleError) as error:
        finance(desk, BANK_B, SALT_A)  # even a leaked salt commits to bank B, not to bank A
    assert error.value.code_name == "ERR_DUPLICATE_FINANCING"
    assert snapshot(desk) == before


def test_the_holder_replays_with_its_salt_and_nothing_is_written() -> None:
    desk = Desk()
    first = finance(desk, BANK_A, SALT_A).entries
    assert first[0].holds[0].holder_commitment == holder_commitment(SALT_A, BANK_A.msp_id)
    before = snapshot(desk)[0]
    again = finance(desk, BANK_A, SALT_A).entries
    assert list(again) == list(first) and snapshot(desk)[0] == before


@pytest.mark.parametrize("salt", [b"", b"short", b"x" * 64])
def test_a_financing_needs_a_32_byte_holder_salt(salt: bytes) -> None:
    desk = Desk()
    before = snapshot(desk)
    with pytest.raises(RuleError) as error:
        finance(desk, BANK_A, salt)
    assert error.value.code_name == "ERR_INVALID_INPUT" and error.value.field == "holder_salt"
    assert snapshot(desk) == before
