"""The EXCLUSIVE financing policy (DOMAIN.md 4.5 rule 4): once a fingerprint is FINANCED -- by a bank's
financing or by a letter-of-credit presentation that has the document -- any further financing is
refused, whatever share it asks for. PRO_RATA only caps the shares at 100%."""

from __future__ import annotations

import datetime

import pytest

from tradefin.chaincode.contracts.compliance import financing
from tradefin.chaincode.contracts.compliance.errors import RuleError
from tradefin.chaincode.contracts.letters_of_credit.access import Transaction
from tradefin.protos import compliance_pb2 as cp

from ..payments.support import BANK_A, BANK_B, Desk, caller, governance_config
from .test_financing import PRIMARY, SALT_A, SALT_B, finance

BILL = "5" * 64
BILL_TYPE = cp.FINANCED_DOCUMENT_TYPE_BILL_OF_LADING
NOW = datetime.datetime(2025, 12, 3, 10, tzinfo=datetime.UTC)


def test_exclusive_refuses_a_second_half_share() -> None:
    desk = Desk()
    desk.adopt(governance_config(financing_policy=cp.FINANCING_POLICY_EXCLUSIVE))
    assert finance(desk, BANK_A, SALT_A, pct=50, prints=(PRIMARY,)).entries[0].holds[0].financed_pct == 50
    state = dict(desk.ledger.state)
    with pytest.raises(RuleError) as refused:
        finance(desk, BANK_B, SALT_B, pct=50, prints=(PRIMARY,))  # 100% in all: only the policy refuses
    assert (refused.value.code_name, refused.value.text) == ("ERR_DUPLICATE_FINANCING", "already financed")
    assert desk.ledger.state == state


def test_pro_rata_takes_the_second_half_share() -> None:
    desk = Desk()
    desk.adopt(governance_config(financing_policy=cp.FINANCING_POLICY_PRO_RATA))
    finance(desk, BANK_A, SALT_A, pct=50, prints=(PRIMARY,))
    entry = finance(desk, BANK_B, SALT_B, pct=50, prints=(PRIMARY,)).entries[0]
    assert [hold.financed_pct for hold in entry.holds] == [50, 50]


def _presented(commitment: str = "c" * 64) -> cp.FinancingEntry:
    """The registry entry of a B/L a letter-of-credit presentation has taken."""
    tx = Transaction("tx-present", NOW, caller(BANK_A, "client-beneficiary"))
    (write,) = financing.hold_for_presentation(tx, [(BILL, BILL_TYPE)], {}, commitment)
    assert isinstance(write.record, cp.FinancingEntry)
    return write.record


def _finance_presented(
    entry: cp.FinancingEntry, policy: cp.FinancingPolicy.ValueType, pct: int = 50
) -> cp.FinancingResponse:
    tx = Transaction("tx-finance", NOW, caller(BANK_B, "treasury"))
    request = cp.FinanceDocumentRequest(
        fingerprints=[BILL], doc_type=BILL_TYPE, financed_pct=pct, holder_salt=SALT_B
    )
    return financing.finance(tx, request, {BILL: entry}, governance_config(financing_policy=policy)).response


@pytest.mark.parametrize("pct", [1, 50, 100])
def test_exclusive_refuses_financing_a_document_a_presentation_has(pct: int) -> None:
    entry = _presented()
    assert (entry.status, list(entry.holds)) == (cp.FINANCING_STATUS_FINANCED, [])
    with pytest.raises(RuleError) as refused:
        _finance_presented(entry, cp.FINANCING_POLICY_EXCLUSIVE, pct)
    assert (refused.value.code_name, refused.value.text) == ("ERR_DUPLICATE_FINANCING", "already financed")


def test_pro_rata_finances_beside_a_presentation() -> None:
    entry = _presented()
    financed = _finance_presented(entry, cp.FINANCING_POLICY_PRO_RATA).entries[0]
    assert [hold.financed_pct for hold in financed.holds] == [50]
    assert financed.presented_under == entry.presented_under


def test_exclusive_finances_the_document_once_the_presentation_lets_it_go() -> None:
    entry = _presented()
    tx = Transaction("tx-return", NOW, caller(BANK_A, "examiner"))
    (write,) = financing.release_presentation(tx, [BILL], {BILL: entry}, entry.presented_under)
    assert isinstance(write.record, cp.FinancingEntry)
    released = write.record
    assert (released.status, released.presented_under) == (cp.FINANCING_STATUS_RELEASED, "")
    financed = _finance_presented(released, cp.FINANCING_POLICY_EXCLUSIVE, 100).entries[0]
    assert (financed.status, len(financed.holds)) == (cp.FINANCING_STATUS_FINANCED, 1)
