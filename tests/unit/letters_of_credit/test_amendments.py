"""Amendments (art. 10, INV-LC-07/08/13): propose, advise, confirm, accept, reject, cancel."""

from __future__ import annotations

import pytest

from tradefin.chaincode.contracts.letters_of_credit.errors import LcRuleError
from tradefin.chaincode.contracts.letters_of_credit.records import amendment_key, credit_key, terms_hash
from tradefin.protos import letters_of_credit_api_pb2 as api
from tradefin.protos import letters_of_credit_pb2 as lc

from .support import ADVISER, CONFIRMER, ISSUER, Desk, caller, date, documents, sample_terms, usd

EXTEND = lc.AmendmentChanges(expiry_date=date("2026-01-31"), latest_shipment_date=date("2025-12-20"))


def propose(desk: Desk, lc_id: str, seq: int, changes: lc.AmendmentChanges = EXTEND, **extra: object) -> None:
    desk.call(
        caller(ISSUER, "issuer"),
        desk.service.propose_amendment,
        api.ProposeAmendmentRequest(lc_id=lc_id, seq=seq, changes=changes, **extra),  # type: ignore[arg-type]
    )


def advise(desk: Desk, lc_id: str, seq: int) -> None:
    desk.call(
        caller(ADVISER, "advisor"), desk.service.advise_amendment, api.AdviseAmendmentRequest(lc_id=lc_id, seq=seq)
    )


def accept(desk: Desk, lc_id: str, seq: int, *excluded: str) -> lc.AmendmentRecord:
    return desk.call(
        caller(ADVISER, "client-beneficiary"),
        desk.service.accept_amendment,
        api.AcceptAmendmentRequest(lc_id=lc_id, seq=seq, excluded_changes=excluded),
    ).amendment


def amendment(desk: Desk, lc_id: str, seq: int) -> lc.AmendmentRecord:
    record = desk.ledger.get(lc.AmendmentRecord, amendment_key(lc_id, seq), desk.stub(lc_id).collection)
    assert record is not None
    return record


def test_proposal_is_private_and_sequential() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    propose(desk, lc_id, 1)
    stub = desk.stub(lc_id)
    assert (stub.last_amendment_seq, list(stub.pending_amendment_seqs)) == (1, [1])
    record = amendment(desk, lc_id, 1)
    assert record.status == lc.AMENDMENT_STATUS_PROPOSED
    assert record.confirmation == lc.AMENDMENT_CONFIRMATION_NOT_APPLICABLE
    assert len(record.salt) == 32
    for wrong in (1, 3):
        with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: seq: .* is 2"):
            propose(desk, lc_id, wrong)


def test_only_the_issuing_bank_amends() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    with pytest.raises(LcRuleError, match=r"^ERR_UNAUTHORIZED: "):
        desk.call(
            caller(ADVISER, "issuer"),
            desk.service.propose_amendment,
            api.ProposeAmendmentRequest(lc_id=lc_id, seq=1, changes=EXTEND),
        )


def test_an_amendment_that_breaks_the_terms_is_refused_at_proposal() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: amended_terms.latest_shipment_date: "):
        propose(desk, lc_id, 1, lc.AmendmentChanges(expiry_date=date("2025-12-01")))
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: changes: "):
        propose(desk, lc_id, 1, lc.AmendmentChanges())


def test_acceptance_binds_the_beneficiary_to_the_new_terms() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    propose(desk, lc_id, 1, lc.AmendmentChanges(expiry_date=date("2026-01-31"), increase=usd("20000")))
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: .*decides on advised amendments"):
        accept(desk, lc_id, 1)
    advise(desk, lc_id, 1)
    record = accept(desk, lc_id, 1)
    assert record.status == lc.AMENDMENT_STATUS_ACCEPTED
    stub = desk.stub(lc_id)
    assert (stub.accepted_amendment_seq, list(stub.pending_amendment_seqs)) == (1, [])
    assert stub.expiry_date == date("2026-01-31")
    terms = desk.terms(lc_id)
    assert terms.amendment_seq == 1 and terms.terms.amount.minor_units == 12_000_000
    assert stub.terms_hash == terms_hash(terms.terms, terms.salt)
    assert desk.position(lc_id).max_amount == 12_600_000
    assert desk.ledger.events[-1][1] == "lc.amendment_accepted"


def test_partial_acceptance_is_a_rejection() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    propose(desk, lc_id, 1)
    advise(desk, lc_id, 1)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: excluded_changes\[0\]: "):
        accept(desk, lc_id, 1, "increase")
    record = accept(desk, lc_id, 1, "latest_shipment_date")
    assert record.status == lc.AMENDMENT_STATUS_REJECTED
    assert list(record.excluded_changes) == ["latest_shipment_date"]
    assert desk.ledger.last_event().reason_code == "PARTIAL_ACCEPTANCE"
    assert desk.stub(lc_id).expiry_date == date("2025-12-31")
    assert desk.terms(lc_id).amendment_seq == 0


def test_rejection_leaves_the_terms() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    propose(desk, lc_id, 1)
    advise(desk, lc_id, 1)
    response = desk.call(
        caller(ADVISER, "client-beneficiary"),
        desk.service.reject_amendment,
        api.RejectAmendmentRequest(lc_id=lc_id, seq=1, reason="PRICE NOT AGREED"),
    )
    assert response.amendment.status == lc.AMENDMENT_STATUS_REJECTED
    assert response.credit.pending_amendment_seqs == []
    assert desk.terms(lc_id).amendment_seq == 0
    assert desk.stub(lc_id).expiry_date == date("2025-12-31")
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: "):
        accept(desk, lc_id, 1)


def test_deemed_acceptance_clauses_are_ignored() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    propose(desk, lc_id, 1, deemed_acceptance_clause="DEEMED ACCEPTED UNLESS REJECTED BY 2025-11-10")
    advise(desk, lc_id, 1)
    desk.at("2025-11-20")
    assert amendment(desk, lc_id, 1).status == lc.AMENDMENT_STATUS_ADVISED
    assert desk.stub(lc_id).expiry_date == date("2025-12-31")
    pid = desk.at("2025-12-03").present(lc_id, docs=documents(shipped="2025-12-01"))
    stub = desk.examine(pid)  # complies with both: the amendment stays pending
    assert stub.state == lc.PRESENTATION_STATE_COMPLYING
    assert amendment(desk, lc_id, 1).status == lc.AMENDMENT_STATUS_ADVISED


def test_amendments_are_decided_in_number_order() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    propose(desk, lc_id, 1)
    propose(desk, lc_id, 2, lc.AmendmentChanges(increase=usd("1000")))
    advise(desk, lc_id, 2)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: amendment 1 must be decided before amendment 2"):
        accept(desk, lc_id, 2)


def test_examination_uses_the_last_accepted_terms_until_a_presentation_accepts_the_amendment() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    propose(desk, lc_id, 1)  # 44C 2025-12-10 -> 2025-12-20
    advise(desk, lc_id, 1)
    pid = desk.at("2025-12-17").present(lc_id, docs=documents(shipped="2025-12-15"))
    stub = desk.examine(pid)
    # Late under the accepted terms, complying only under the amendment: that counts as acceptance.
    assert stub.state == lc.PRESENTATION_STATE_COMPLYING
    record = amendment(desk, lc_id, 1)
    assert record.status == lc.AMENDMENT_STATUS_ACCEPTED
    assert record.accepted_by_presentation_id == pid
    assert desk.terms(lc_id).terms.latest_shipment_date == date("2025-12-20")
    assert desk.presentation(pid)[1].examinations[0].terms_amendment_seq == 1
    assert desk.ledger.last_event().reason_code == "AMENDMENT_1_ACCEPTED"
    assert desk.stub(lc_id).version == len(desk.ledger.written_by[("", credit_key(lc_id))])


def test_unaccepted_amendment_is_not_used_when_the_presentation_fails_it_too() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    propose(desk, lc_id, 1)
    advise(desk, lc_id, 1)
    pid = desk.at("2025-12-23").present(lc_id, docs=documents(shipped="2025-12-22"))
    stub = desk.examine(pid)
    assert stub.state == lc.PRESENTATION_STATE_DISCREPANT
    assert list(stub.discrepancy_codes) == [lc.DISCREPANCY_CODE_LATE_SHIPMENT]
    assert amendment(desk, lc_id, 1).status == lc.AMENDMENT_STATUS_ADVISED


def test_a_presentation_the_examiner_finds_discrepant_does_not_accept_the_amendment() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    propose(desk, lc_id, 1)  # 44C 2025-12-10 -> 2025-12-20
    advise(desk, lc_id, 1)
    pid = desk.at("2025-12-17").present(lc_id, docs=documents(shipped="2025-12-15"))
    own = lc.Discrepancy(code=lc.DISCREPANCY_CODE_DESCRIPTION_MISMATCH, text="GOODS DESCRIPTION DIFFERS")
    stub = desk.examine(pid, None, own)
    # It complies with neither the accepted nor the amended terms: no acceptance (art. 10c)
    assert stub.state == lc.PRESENTATION_STATE_DISCREPANT
    assert lc.DISCREPANCY_CODE_LATE_SHIPMENT in stub.discrepancy_codes
    assert amendment(desk, lc_id, 1).status == lc.AMENDMENT_STATUS_ADVISED
    assert desk.terms(lc_id).terms.latest_shipment_date == date("2025-12-10")


def test_cancellation_is_an_accepted_amendment() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    propose(desk, lc_id, 1, lc.AmendmentChanges(cancel=True))
    advise(desk, lc_id, 1)
    accept(desk, lc_id, 1)
    assert desk.stub(lc_id).state == lc.CREDIT_STATE_CANCELLED
    assert desk.ledger.events[-1][1] == "lc.cancelled"
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: .*CANCELLED: no presentation"):
        desk.at("2025-12-03").present(lc_id)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: .*CANCELLED: no amendment"):
        propose(desk, lc_id, 2)


def confirmed_credit(desk: Desk) -> str:
    lc_id = desk.open_credit(
        sample_terms(confirmation_instruction=lc.CONFIRMATION_INSTRUCTION_CONFIRM, requested_confirmer=CONFIRMER)
    )
    desk.call(caller(CONFIRMER, "approver"), desk.service.add_confirmation, api.AddConfirmationRequest(lc_id=lc_id))
    return lc_id


def decide(desk: Desk, lc_id: str, seq: int, *, extend: bool) -> None:
    desk.call(
        caller(CONFIRMER, "approver"),
        desk.service.decide_amendment_confirmation,
        api.DecideAmendmentConfirmationRequest(lc_id=lc_id, seq=seq, extend=extend),
    )


def test_cancelling_a_confirmed_credit_needs_the_confirming_bank() -> None:
    desk = Desk()
    lc_id = confirmed_credit(desk)
    propose(desk, lc_id, 1, lc.AmendmentChanges(cancel=True))
    assert amendment(desk, lc_id, 1).confirmation == lc.AMENDMENT_CONFIRMATION_UNSPECIFIED
    advise(desk, lc_id, 1)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: cancelling a confirmed credit"):
        accept(desk, lc_id, 1)
    decide(desk, lc_id, 1, extend=True)
    accept(desk, lc_id, 1)
    assert desk.stub(lc_id).state == lc.CREDIT_STATE_CANCELLED


def test_an_amendment_the_confirming_bank_does_not_extend_to_is_flagged() -> None:
    desk = Desk()
    lc_id = confirmed_credit(desk)
    propose(desk, lc_id, 1)
    decide(desk, lc_id, 1, extend=False)
    assert list(desk.stub(lc_id).unconfirmed_amendment_seqs) == [1]
    assert amendment(desk, lc_id, 1).confirmation == lc.AMENDMENT_CONFIRMATION_NOT_EXTENDED
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: the confirming bank already decided"):
        decide(desk, lc_id, 1, extend=True)
    advise(desk, lc_id, 1)
    accept(desk, lc_id, 1)  # binding on the issuing bank and the beneficiary, flagged for the confirmer
    assert desk.stub(lc_id).expiry_date == date("2026-01-31")
    unconfirmed = Desk()
    plain = unconfirmed.open_credit()
    propose(unconfirmed, plain, 1)
    with pytest.raises(LcRuleError, match=r"^ERR_UNAUTHORIZED: ConfirmerMSP is not a bank of credit"):
        decide(unconfirmed, plain, 1, extend=True)


def test_a_decrease_below_what_is_reserved_cannot_be_accepted() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    desk.at("2025-12-03").present(lc_id, claimed="90000.00", docs=documents(invoiced="90000.00", quantity=900))
    propose(desk, lc_id, 1, lc.AmendmentChanges(decrease=usd("20000")))
    advise(desk, lc_id, 1)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: .*INV-LC-04"):
        accept(desk, lc_id, 1)


def test_an_amendment_the_one_accepted_before_it_left_inapplicable_is_refused_as_state() -> None:
    """Each decrease applied to the terms when it was proposed; together they take the whole amount.
    The second cannot be accepted, and the beneficiary's request has nothing to mend: the credit's
    state is the reason (not ERR_INVALID_INPUT on 'changes', a field the acceptance does not have)."""
    desk = Desk()
    lc_id = desk.open_credit()
    propose(desk, lc_id, 1, lc.AmendmentChanges(decrease=usd("60000")))  # of the sample's USD 100,000
    propose(desk, lc_id, 2, lc.AmendmentChanges(decrease=usd("60000")))
    for seq in (1, 2):
        advise(desk, lc_id, seq)
    accept(desk, lc_id, 1)
    before = (dict(desk.ledger.state), len(desk.ledger.events))
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: amendment 2 no longer applies .*changes\.decrease"):
        accept(desk, lc_id, 2)
    assert (dict(desk.ledger.state), len(desk.ledger.events)) == before
    assert amendment(desk, lc_id, 2).status == lc.AMENDMENT_STATUS_ADVISED
