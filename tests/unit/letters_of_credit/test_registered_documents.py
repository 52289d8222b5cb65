"""A presentation takes its invoice's and bill of lading's fingerprints in the duplicate-financing
registry (DOMAIN.md 4.5 rule 4): the same B/L supports no second presentation, under any credit, until
it is returned; the entry is FINANCED, so under the EXCLUSIVE policy no bank finances the document
beside the presentation (a financing made before it stands: the credit's proceeds may repay it)."""

from __future__ import annotations

import pytest

from tradefin.chaincode.contracts.compliance import financing
from tradefin.chaincode.contracts.compliance.records import financing_key
from tradefin.chaincode.contracts.letters_of_credit.access import Transaction
from tradefin.chaincode.contracts.letters_of_credit.errors import LcRuleError
from tradefin.chaincode.contracts.letters_of_credit.presentations import presentation_commitment
from tradefin.protos import compliance_pb2 as cp
from tradefin.protos import letters_of_credit_api_pb2 as api
from tradefin.protos import letters_of_credit_pb2 as lc

from .support import ADVISER, ISSUER, Desk, caller, documents, sample_terms
from .test_presentations import LATE, refuse

INVOICE, BILL, OTHER_INVOICE = "1" * 64, "2" * 64, "3" * 64


def fingerprinted(
    invoice: str = INVOICE, bill: str = BILL, shipped: str = "2025-12-01", issued: str = "2025-12-01"
) -> list[lc.Document]:
    """The complying set (shipped and issued as given) with the invoice's and the B/L's fingerprints."""
    docs = documents(shipped=shipped, issued=issued)
    docs[0].fingerprints.append(invoice)
    docs[1].fingerprints.append(bill)
    return docs


def entry(desk: Desk, fingerprint: str) -> cp.FinancingEntry | None:
    return desk.ledger.get(cp.FinancingEntry, financing_key(fingerprint))


def _two_credits(desk: Desk) -> tuple[str, str]:
    return desk.open_credit(), desk.open_credit(sample_terms(lc_number="LC2025-0002"))


def _finance(desk: Desk, fingerprint: str) -> cp.FinancingResponse:
    """The advising bank's treasury finances a B/L (EXCLUSIVE policy, both banks members)."""
    tx = Transaction(f"tx-finance-{fingerprint[:4]}", desk.now, caller(ADVISER, "treasury"))
    request = cp.FinanceDocumentRequest(
        fingerprints=[fingerprint], doc_type=cp.FINANCED_DOCUMENT_TYPE_BILL_OF_LADING, financed_pct=100,
        holder_salt=bytes(32),
    )
    exclusive = cp.ComplianceGovernance(
        member_msp_ids=[ISSUER.msp_id, ADVISER.msp_id], financing_policy=cp.FINANCING_POLICY_EXCLUSIVE
    )
    transition = financing.finance(tx, request, {fingerprint: entry(desk, fingerprint)}, exclusive)
    for write in transition.writes:
        desk.ledger.state[("", write.key)] = write.record.SerializeToString()
    return transition.response


def test_a_bill_of_lading_supports_one_credit_at_a_time_and_no_exclusive_financing_beside_it() -> None:
    desk = Desk()
    first, second = _two_credits(desk)
    shipment = {"shipped": "2025-12-11", "issued": "2025-12-11"}  # late: the issuing bank will refuse
    pid = desk.at("2025-12-12T03:00:00+00:00").present(first, receiving=ISSUER, docs=fingerprinted(**shipment))
    _, record = desk.presentation(pid)
    types = ((INVOICE, cp.FINANCED_DOCUMENT_TYPE_INVOICE), (BILL, cp.FINANCED_DOCUMENT_TYPE_BILL_OF_LADING))
    for fingerprint, doc_type in types:
        held = entry(desk, fingerprint)
        assert held is not None and (held.status, held.doc_type) == (cp.FINANCING_STATUS_FINANCED, doc_type)
        assert held.presented_under == presentation_commitment(record) and not held.holds

    # the same B/L (another invoice) under a second credit: refused, revealing nothing but that
    state = dict(desk.ledger.state)
    with pytest.raises(LcRuleError) as refused:
        desk.present(second, receiving=ISSUER, docs=fingerprinted(invoice=OTHER_INVOICE, **shipment))
    assert (refused.value.code_name, refused.value.message) == ("ERR_DUPLICATE_FINANCING", "already financed")
    assert desk.ledger.state == state
    # nor financed beside the presentation under the EXCLUSIVE policy: the entry is FINANCED (DOMAIN.md
    # 4.5 rule 4: any further financing refused), revealing nothing else
    with pytest.raises(LcRuleError) as refused:
        _finance(desk, BILL)
    assert (refused.value.code_name, refused.value.message) == ("ERR_DUPLICATE_FINANCING", "already financed")
    assert desk.ledger.state == state

    # the issuing bank refuses, the documents go back: the presentation lets them go
    desk.examine(pid, caller(ISSUER, "examiner"))
    refuse(desk, pid, LATE, disposal=lc.REFUSAL_DISPOSAL_HOLD, bank=ISSUER)
    still = entry(desk, BILL)
    assert still is not None and still.presented_under  # refused, the documents still at the bank
    desk.call(caller(ADVISER, "client-beneficiary"), desk.service.return_documents,
              api.ReturnDocumentsRequest(presentation_id=pid))
    for fingerprint in (INVOICE, BILL):
        released = entry(desk, fingerprint)
        assert released is not None and (released.status, released.presented_under) == (
            cp.FINANCING_STATUS_RELEASED, ""
        )
    # now a bank may finance the B/L; financed before it is presented, it supports the second credit
    # (the credit's proceeds may repay the financing)
    financed = _finance(desk, BILL).entries[0]
    assert (financed.status, len(financed.holds), financed.presented_under) == (cp.FINANCING_STATUS_FINANCED, 1, "")
    again = desk.present(second, receiving=ISSUER, docs=fingerprinted(invoice=OTHER_INVOICE, **shipment))
    assert desk.presentation(again)[0].state == lc.PRESENTATION_STATE_UNDER_EXAMINATION


def test_a_presentation_replayed_holds_nothing_twice() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    desk.at("2025-12-03")
    first = desk.present_answer(lc_id, docs=fingerprinted(), presentation_id="0b6e3c1e-6c1c-4c1b-9a57-2f0f1a9f6c11")
    again = desk.present_answer(lc_id, docs=fingerprinted(), presentation_id="0b6e3c1e-6c1c-4c1b-9a57-2f0f1a9f6c11")
    assert again == first  # the stored presentation, not a duplicate financing
    held = entry(desk, BILL)
    assert held is not None and held.presented_under and held.version == 1


@pytest.mark.parametrize(
    ("mangle", "field", "reason"),
    [
        (lambda docs: docs[2].fingerprints.append("4" * 64), "documents[2].fingerprints",
         "only a commercial invoice's and a bill of lading's are registered"),
        (lambda docs: docs[1].fingerprints.__setitem__(0, INVOICE), "documents[1].fingerprints",
         "a fingerprint appears on two documents"),
        (lambda docs: docs[0].fingerprints.__setitem__(0, "XYZ"), "documents[0].fingerprints[0]", ""),
        (lambda docs: docs[0].fingerprints.extend(f"{index:064x}" for index in range(5, 13)),
         "documents[0].fingerprints", "1..8 fingerprints"),
    ],
    ids=["an insurance document", "one fingerprint on two documents", "not a fingerprint", "nine on one document"],
)
def test_fingerprints_that_say_nothing_reliable_are_refused(mangle: object, field: str, reason: str) -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    docs = fingerprinted()
    mangle(docs)  # type: ignore[operator]
    state = dict(desk.ledger.state)
    with pytest.raises(LcRuleError) as refused:
        desk.at("2025-12-03").present(lc_id, docs=docs)
    assert (refused.value.code_name, refused.value.field) == ("ERR_INVALID_INPUT", field)
    assert reason in refused.value.message
    assert desk.ledger.state == state


def test_documents_refused_with_return_are_released_at_once() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    shipment = {"shipped": "2025-12-11", "issued": "2025-12-11"}
    pid = desk.at("2025-12-12T03:00:00+00:00").present(lc_id, receiving=ISSUER, docs=fingerprinted(**shipment))
    desk.examine(pid, caller(ISSUER, "examiner"))
    assert refuse(desk, pid, LATE, disposal=lc.REFUSAL_DISPOSAL_RETURN, bank=ISSUER).state == (
        lc.PRESENTATION_STATE_RETURNED
    )
    released = entry(desk, BILL)
    assert released is not None and (released.status, released.presented_under) == (cp.FINANCING_STATUS_RELEASED, "")


@pytest.mark.parametrize("held", [True, False], ids=["held-then-returned", "returned-at-once"])
def test_forwarded_documents_the_issuing_bank_refuses_still_back_the_nominated_banks_drawing(held: bool) -> None:
    desk = Desk()
    first, second = _two_credits(desk)
    pid = desk.at("2025-12-03").present(first, docs=fingerprinted())
    desk.examine(pid)
    desk.honour(pid)
    mismatch = lc.Discrepancy(code=lc.DISCREPANCY_CODE_INCONSISTENT_DATA, text="INVOICE DESCRIPTION DIFFERS")
    disposal = lc.REFUSAL_DISPOSAL_HOLD if held else lc.REFUSAL_DISPOSAL_RETURN
    request = api.ExamineForwardedRequest(presentation_id=pid, discrepancies=[mismatch], disposal=disposal)
    desk.at("2025-12-05").call(caller(ISSUER, "examiner"), desk.service.examine_forwarded, request)
    if held:
        desk.call(
            caller(ADVISER, "examiner"), desk.service.return_documents, api.ReturnDocumentsRequest(presentation_id=pid)
        )
    assert desk.stub(first).open_presentations == 0 and desk.position(first).drawn == 10_000_000
    held_entry = entry(desk, BILL)
    assert held_entry is not None and held_entry.presented_under == presentation_commitment(desk.presentation(pid)[1])
    with pytest.raises(LcRuleError, match=r"^ERR_DUPLICATE_FINANCING"):
        desk.present(second, docs=fingerprinted(invoice=OTHER_INVOICE))  # the B/L still backs the drawing
