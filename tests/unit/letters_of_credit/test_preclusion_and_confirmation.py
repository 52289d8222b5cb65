"""Who a missed examination deadline precludes, what the issuing bank reimburses, and which terms a
confirming bank is held to.

- Art. 16f precludes only an issuing bank or a confirming bank; a nominated bank has no undertaking
  (art. 12a), so its deadline passing binds nobody.
- Arts. 7c/8c: the issuing bank reimburses a nominated or confirming bank that honoured a complying
  presentation (or one whose waiver the issuing bank itself accepted), not one honoured on the
  honouring bank's own preclusion -- unless the issuing bank's own examination of the forwarded
  documents finds them complying, or it lets its period for them pass (arts. 14b, 16f).
- Art. 10b / INV-LC-13: a confirming bank is bound by an amendment only once it extended its
  confirmation to it; otherwise it stays on the terms it confirmed.
"""

from __future__ import annotations

import pytest

from tradefin.chaincode.contracts.letters_of_credit.access import Caller
from tradefin.chaincode.contracts.letters_of_credit.errors import LcRuleError
from tradefin.chaincode.contracts.letters_of_credit.presentations import PresentationFile, is_settled
from tradefin.chaincode.contracts.letters_of_credit.records import confirmed_terms_key, presentation_record_key
from tradefin.protos import common_pb2
from tradefin.protos import letters_of_credit_api_pb2 as api
from tradefin.protos import letters_of_credit_pb2 as lc

from .support import (
    ADVISER,
    CONFIRMER,
    ISSUER,
    Desk,
    calendars,
    caller,
    date,
    demand_documents,
    documents,
    sample_terms,
    standby_terms,
    usd,
)
from .test_amendments import EXTEND, accept, advise, propose
from .test_presentations import LATE, refuse


def shipped_18th(invoiced: str = "100000.00", quantity: int = 1000) -> list[lc.Document]:
    """Shipped after the sample's latest shipment date (2025-12-10), before the extended one (2025-12-20)."""
    return documents(shipped="2025-12-18", issued="2025-12-18", invoiced=invoiced, quantity=quantity)


def confirmed_credit(desk: Desk, **overrides: object) -> str:
    terms = sample_terms(
        confirmation_instruction=lc.CONFIRMATION_INSTRUCTION_CONFIRM, requested_confirmer=CONFIRMER, **overrides
    )
    lc_id = desk.open_credit(terms)
    desk.call(caller(CONFIRMER, "approver"), desk.service.add_confirmation, api.AddConfirmationRequest(lc_id=lc_id))
    return lc_id


def amend(
    desk: Desk, lc_id: str, seq: int, changes: lc.AmendmentChanges = EXTEND, *, extend: bool | None
) -> None:
    """Propose, let the confirming bank decide (``None``: it does not decide), advise, accept."""
    propose(desk, lc_id, seq, changes)
    if extend is not None:
        desk.call(
            caller(CONFIRMER, "approver"),
            desk.service.decide_amendment_confirmation,
            api.DecideAmendmentConfirmationRequest(lc_id=lc_id, seq=seq, extend=extend),
        )
    advise(desk, lc_id, seq)
    accept(desk, lc_id, seq)


def reimburse(desk: Desk, pid: str, amount: str = "100000") -> lc.PresentationStub:
    request = api.ReimburseRequest(presentation_id=pid, amount=usd(amount))
    return desk.call(caller(ISSUER, "treasury"), desk.service.reimburse, request).presentation


def preclude(desk: Desk, pid: str, who: Caller | None = None) -> lc.PresentationStub:
    return desk.call(
        who or caller(ISSUER, "issuer"), desk.service.preclude, api.PrecludeRequest(presentation_id=pid)
    ).presentation


def examine_forwarded(
    desk: Desk,
    pid: str,
    *found: lc.Discrepancy,
    who: Caller | None = None,
    disposal: lc.RefusalDisposal.ValueType = lc.REFUSAL_DISPOSAL_UNSPECIFIED,
    narrative: str = "",
) -> lc.PresentationStub:
    request = api.ExamineForwardedRequest(
        presentation_id=pid, discrepancies=found, disposal=disposal, narrative=narrative
    )
    return desk.call(who or caller(ISSUER, "examiner"), desk.service.examine_forwarded, request).presentation


def ask_waiver(desk: Desk, pid: str, who: Caller | None = None) -> lc.PresentationStub:
    request = api.RequestWaiverRequest(presentation_id=pid)
    return desk.call(who or caller(ISSUER, "examiner"), desk.service.request_waiver, request).presentation


def confirmed_terms(desk: Desk, lc_id: str) -> lc.CreditTermsRecord | None:
    return desk.ledger.get(lc.CreditTermsRecord, confirmed_terms_key(lc_id), desk.stub(lc_id).collection)


# ------------------------------------------------------------------------------------------------
# Art. 16f: a nominated bank is not precluded


def test_a_nominated_bank_that_misses_its_deadline_is_not_precluded_and_may_still_refuse() -> None:
    desk = Desk()
    lc_id = desk.open_credit()  # available with the advising bank: a nominated bank, not a confirmer
    pid = desk.at("2025-12-16").present(lc_id, docs=documents(shipped="2025-12-15", issued="2025-12-15"))
    assert desk.presentation(pid)[0].examination_deadline == date("2025-12-23")
    stub = desk.at("2025-12-29").examine(pid)  # after its deadline, late shipment found
    assert (stub.state, list(stub.discrepancy_codes)) == (
        lc.PRESENTATION_STATE_DISCREPANT,
        [lc.DISCREPANCY_CODE_LATE_SHIPMENT],
    )
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: .*nominated bank.*art\. 16f"):
        preclude(desk, pid)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: presentation is DISCREPANT"):
        desk.honour(pid)
    refused = refuse(desk, pid, LATE, disposal=lc.REFUSAL_DISPOSAL_RETURN)
    assert refused.state == lc.PRESENTATION_STATE_RETURNED
    position = desk.position(lc_id)
    assert (position.drawn, position.reserved, position.reimbursable) == (0, 0, 0)


def test_a_nominated_bank_silent_past_its_deadline_examines_before_it_honours_and_is_reimbursed() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    pid = desk.at("2025-12-03").present(lc_id)
    desk.at("2025-12-11")  # deadline 2025-12-10 passed: silence does not make it honourable
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: presentation is UNDER_EXAMINATION"):
        desk.honour(pid)
    assert desk.examine(pid).state == lc.PRESENTATION_STATE_COMPLYING
    assert desk.honour(pid).state == lc.PRESENTATION_STATE_HONOURED
    assert desk.position(lc_id).reimbursable == 10_000_000
    assert reimburse(desk, pid).state == lc.PRESENTATION_STATE_REIMBURSED


# ------------------------------------------------------------------------------------------------
# Arts. 7c / 8c: what the issuing bank reimburses


def test_a_confirming_bank_precluded_on_discrepant_documents_honours_at_its_own_risk() -> None:
    desk = Desk()
    lc_id = confirmed_credit(desk)
    pid = desk.at("2025-12-16").present(
        lc_id, receiving=CONFIRMER, docs=documents(shipped="2025-12-15", issued="2025-12-15")
    )
    assert desk.at("2025-12-29").examine(pid, caller(CONFIRMER, "examiner")).state == (
        lc.PRESENTATION_STATE_PRECLUDED
    )
    honoured = desk.honour(pid, honourer=caller(CONFIRMER, "approver"))  # it must honour (art. 16f)
    assert honoured.state == lc.PRESENTATION_STATE_HONOURED
    position = desk.position(lc_id)
    assert (position.drawn, position.reimbursable) == (10_000_000, 0)
    # the documents go to the issuing bank, which examines them itself within five banking days
    assert desk.presentation(pid)[1].issuer_examination_deadline == date("2026-01-06")
    assert desk.stub(lc_id).open_presentations == 1
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: ConfirmerMSP honoured .*ExamineForwarded"):
        reimburse(desk, pid)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: disposal: the documents are discrepant \(LATE_SHIP"):
        examine_forwarded(desk.at("2025-12-30"), pid)  # a refusal says what becomes of the documents
    examined = examine_forwarded(desk, pid, disposal=lc.REFUSAL_DISPOSAL_RETURN)
    assert (examined.state, list(examined.discrepancy_codes), examined.disposal) == (
        lc.PRESENTATION_STATE_HONOURED,
        [lc.DISCREPANCY_CODE_LATE_SHIPMENT],
        lc.REFUSAL_DISPOSAL_RETURN,
    )
    assert desk.position(lc_id).reimbursable == 0
    assert desk.stub(lc_id).open_presentations == 0  # returned to the confirming bank: nothing owed, nothing open
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: the issuing bank found the forwarded documents"):
        reimburse(desk, pid)
    # the credit closes: reimbursed == reimbursable
    desk.at("2026-01-05").call(caller(ADVISER, "advisor"), desk.service.expire, api.ExpireRequest(lc_id=lc_id))
    closed = desk.call(caller(ISSUER, "issuer"), desk.service.close, api.CloseRequest(lc_id=lc_id))
    assert closed.credit.state == lc.CREDIT_STATE_CLOSED


def test_a_confirming_bank_that_found_the_documents_complying_is_reimbursed() -> None:
    desk = Desk()
    lc_id = confirmed_credit(desk)
    pid = desk.at("2025-12-03").present(lc_id, receiving=CONFIRMER)
    assert desk.examine(pid, caller(CONFIRMER, "examiner")).state == lc.PRESENTATION_STATE_COMPLYING
    desk.honour(pid, honourer=caller(CONFIRMER, "approver"))
    assert desk.position(lc_id).reimbursable == 10_000_000
    assert reimburse(desk, pid).state == lc.PRESENTATION_STATE_REIMBURSED


# ------------------------------------------------------------------------------------------------
# Arts. 7c, 8c, 14b, 16f: the issuing bank examines the documents another bank honoured and forwarded


def precluded_confirmer_honour(desk: Desk, lc_id: str, docs: list[lc.Document], *, presented: str, late: str) -> str:
    """Present to the confirming bank, which examines after its deadline and must honour."""
    pid = desk.at(presented).present(lc_id, docs=docs, receiving=CONFIRMER)
    assert desk.at(late).examine(pid, caller(CONFIRMER, "examiner")).state == lc.PRESENTATION_STATE_PRECLUDED
    desk.honour(pid, honourer=caller(CONFIRMER, "approver"))
    return pid


def test_documents_complying_with_the_credit_but_not_the_confirmed_terms_are_reimbursed_once_examined() -> None:
    desk = Desk()
    lc_id = confirmed_credit(desk)
    amend(desk, lc_id, 1, extend=False)  # latest shipment 2025-12-20 for the credit, 2025-12-10 confirmed
    pid = precluded_confirmer_honour(desk, lc_id, shipped_18th(), presented="2025-12-19", late="2026-01-02")
    assert desk.position(lc_id).reimbursable == 0
    examined = examine_forwarded(desk, pid)
    assert examined.state == lc.PRESENTATION_STATE_HONOURED
    last = desk.presentation(pid)[1].examinations[-1]
    assert (last.bank_msp_id, last.result, last.terms_amendment_seq) == (
        ISSUER.msp_id,
        lc.EXAMINATION_RESULT_COMPLYING,
        1,  # the credit's terms, its accepted amendment included
    )
    event = desk.ledger.last_event()
    assert (event.type, event.object_id) == (lc.LC_EVENT_TYPE_EXAMINED, pid)
    assert desk.position(lc_id).reimbursable == 10_000_000
    assert desk.stub(lc_id).open_presentations == 1  # owed until reimbursed
    assert reimburse(desk, pid).state == lc.PRESENTATION_STATE_REIMBURSED
    assert desk.stub(lc_id).open_presentations == 0


def test_an_issuing_bank_silent_past_its_period_for_forwarded_documents_is_precluded_and_reimburses() -> None:
    desk = Desk()
    lc_id = confirmed_credit(desk)
    pid = precluded_confirmer_honour(
        desk, lc_id, documents(shipped="2025-12-15", issued="2025-12-15"), presented="2025-12-16", late="2025-12-29"
    )
    assert desk.presentation(pid)[1].issuer_examination_deadline == date("2026-01-06")
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: the issuing bank may examine .* until 2026-01-06$"):
        preclude(desk.at("2026-01-06T08:00:00+00:00"), pid, caller(CONFIRMER, "approver"))  # 16:00 in Shanghai
    precluded = preclude(desk.at("2026-01-07"), pid, caller(CONFIRMER, "approver"))
    assert precluded.state == lc.PRESENTATION_STATE_HONOURED  # paid; the issuing bank now owes it
    assert desk.presentation(pid)[1].issuer_precluded
    event = desk.ledger.last_event()
    assert (event.type, event.reason_code) == (lc.LC_EVENT_TYPE_PRECLUDED, "ISSUING_BANK")
    assert desk.position(lc_id).reimbursable == 10_000_000
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: the issuing bank reimbursed, or is precluded"):
        examine_forwarded(desk, pid)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: presentation is HONOURED: the issuing bank owes no"):
        preclude(desk, pid)
    assert reimburse(desk, pid).state == lc.PRESENTATION_STATE_REIMBURSED


def test_discrepancies_the_issuing_bank_finds_after_its_period_preclude_it() -> None:
    desk = Desk()
    lc_id = confirmed_credit(desk)
    pid = precluded_confirmer_honour(
        desk, lc_id, documents(shipped="2025-12-15", issued="2025-12-15"), presented="2025-12-16", late="2025-12-29"
    )
    examined = examine_forwarded(desk.at("2026-01-07"), pid)
    assert list(examined.discrepancy_codes) == [lc.DISCREPANCY_CODE_LATE_SHIPMENT]
    record = desk.presentation(pid)[1]
    assert (record.examinations[-1].result, record.issuer_precluded) == (lc.EXAMINATION_RESULT_DISCREPANT, True)
    assert desk.position(lc_id).reimbursable == 10_000_000
    assert reimburse(desk, pid).state == lc.PRESENTATION_STATE_REIMBURSED


def test_the_issuing_bank_may_refuse_to_reimburse_a_nominated_bank_whose_documents_do_not_comply() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    pid = desk.at("2025-12-03").present(lc_id)
    desk.examine(pid)
    desk.honour(pid)
    assert desk.position(lc_id).reimbursable == 10_000_000
    mismatch = lc.Discrepancy(code=lc.DISCREPANCY_CODE_INCONSISTENT_DATA, text="INVOICE DESCRIPTION DIFFERS")
    examined = examine_forwarded(desk.at("2025-12-05"), pid, mismatch, disposal=lc.REFUSAL_DISPOSAL_HOLD)
    assert list(examined.discrepancy_codes) == [lc.DISCREPANCY_CODE_INCONSISTENT_DATA]
    assert desk.position(lc_id).reimbursable == 0
    # one refusal notice to the nominated bank (art. 16c-d): every discrepancy, the disposal, the sum
    refusal = desk.presentation(pid)[1].refusal
    assert (refusal.bank_msp_id, refusal.disposal, refusal.refused_on) == (
        ISSUER.msp_id,
        lc.REFUSAL_DISPOSAL_HOLD,
        date("2025-12-05"),
    )
    assert [item.code for item in refusal.discrepancies] == [lc.DISCREPANCY_CODE_INCONSISTENT_DATA]
    assert refusal.total_claimed.minor_units == 10_000_000
    assert desk.stub(lc_id).open_presentations == 1  # held for the nominated bank's instructions
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: the issuing bank examined these documents already"):
        examine_forwarded(desk, pid)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: the issuing bank found the forwarded documents"):
        reimburse(desk, pid)
    returned = desk.call(
        caller(ADVISER, "examiner"), desk.service.return_documents, api.ReturnDocumentsRequest(presentation_id=pid)
    ).presentation  # the nominated bank asks for them back: it bears the drawing
    assert (returned.state, returned.disposal) == (lc.PRESENTATION_STATE_HONOURED, lc.REFUSAL_DISPOSAL_RETURN)
    assert desk.stub(lc_id).open_presentations == 0
    assert desk.position(lc_id).drawn == 10_000_000  # the drawing stands
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: presentation is HONOURED: a waiver needs"):
        ask_waiver(desk, pid)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: the issuing bank no longer holds"):
        desk.call(
            caller(ISSUER, "examiner"), desk.service.return_documents, api.ReturnDocumentsRequest(presentation_id=pid)
        )


def _forwarded_and_refused(desk: Desk, disposal: lc.RefusalDisposal.ValueType) -> tuple[str, str]:
    lc_id = desk.open_credit()
    pid = desk.at("2025-12-03").present(lc_id)
    desk.examine(pid)
    desk.honour(pid)
    mismatch = lc.Discrepancy(code=lc.DISCREPANCY_CODE_INCONSISTENT_DATA, text="INVOICE DESCRIPTION DIFFERS")
    examine_forwarded(desk.at("2025-12-05"), pid, mismatch, disposal=disposal, narrative="HELD AT YOUR DISPOSAL")
    return lc_id, pid


def test_the_applicants_waiver_on_forwarded_documents_makes_the_nominated_bank_reimbursable() -> None:
    desk = Desk()
    lc_id, pid = _forwarded_and_refused(desk, lc.REFUSAL_DISPOSAL_NOTIFY)
    event = desk.ledger.last_event()  # what the nominated bank's app hears: a refusal, holding for a waiver
    assert (event.type, event.object_id, event.reason_code) == (lc.LC_EVENT_TYPE_REFUSED, pid, "NOTIFY")
    assert desk.position(lc_id).reimbursable == 0
    with pytest.raises(LcRuleError, match=r"^ERR_UNAUTHORIZED: requesting a waiver is reserved to"):
        ask_waiver(desk, pid, caller(ADVISER, "examiner"))
    ask_waiver(desk, pid)
    desk.call(
        caller(ISSUER, "client-applicant"), desk.service.grant_waiver, api.GrantWaiverRequest(presentation_id=pid)
    )
    accepted = desk.call(
        caller(ISSUER, "approver"), desk.service.accept_waiver, api.AcceptWaiverRequest(presentation_id=pid)
    ).presentation
    # already honoured by the nominated bank: it stays so, and is now owed reimbursement
    assert (accepted.state, accepted.waiver) == (lc.PRESENTATION_STATE_HONOURED, lc.WAIVER_STATUS_ACCEPTED)
    assert desk.position(lc_id).reimbursable == 10_000_000
    assert desk.stub(lc_id).open_presentations == 1
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: the issuing bank no longer holds"):
        desk.call(
            caller(ADVISER, "examiner"), desk.service.return_documents, api.ReturnDocumentsRequest(presentation_id=pid)
        )
    assert reimburse(desk, pid).state == lc.PRESENTATION_STATE_REIMBURSED
    assert desk.stub(lc_id).open_presentations == 0


def test_forwarded_documents_refused_on_prior_instructions_leave_nothing_open() -> None:
    desk = Desk()
    lc_id, pid = _forwarded_and_refused(desk, lc.REFUSAL_DISPOSAL_PREVINST)
    assert (desk.position(lc_id).reimbursable, desk.stub(lc_id).open_presentations) == (0, 0)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: presentation is HONOURED: a waiver needs"):
        ask_waiver(desk, pid)


def test_documents_returned_before_the_waiver_is_accepted_leave_the_nominated_bank_unpaid() -> None:
    desk = Desk()
    lc_id, pid = _forwarded_and_refused(desk, lc.REFUSAL_DISPOSAL_NOTIFY)
    ask_waiver(desk, pid)
    desk.call(
        caller(ISSUER, "client-applicant"), desk.service.grant_waiver, api.GrantWaiverRequest(presentation_id=pid)
    )
    desk.call(  # the issuing bank sends them back itself
        caller(ISSUER, "examiner"), desk.service.return_documents, api.ReturnDocumentsRequest(presentation_id=pid)
    )
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: presentation is HONOURED: a waiver needs"):
        desk.call(caller(ISSUER, "approver"), desk.service.accept_waiver, api.AcceptWaiverRequest(presentation_id=pid))
    assert (desk.position(lc_id).reimbursable, desk.stub(lc_id).open_presentations) == (0, 0)


def test_a_refusal_of_forwarded_documents_states_a_disposal_in_time_and_nothing_when_they_comply() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    complying = desk.at("2025-12-03").present(lc_id, "40000.00")
    desk.examine(complying)
    desk.honour(complying, "40000.00")
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: disposal: the documents comply"):
        examine_forwarded(desk, complying, disposal=lc.REFUSAL_DISPOSAL_HOLD)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: narrative: the documents comply"):
        examine_forwarded(desk, complying, narrative="REFUSED")
    mismatch = lc.Discrepancy(code=lc.DISCREPANCY_CODE_INCONSISTENT_DATA, text="INVOICE DESCRIPTION DIFFERS")
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: disposal: a refusal states what happens"):
        examine_forwarded(desk, complying, mismatch, disposal=99)  # type: ignore[arg-type]
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: narrative"):
        examine_forwarded(desk, complying, mismatch, disposal=lc.REFUSAL_DISPOSAL_HOLD, narrative="X" * 66)
    with pytest.raises(LcRuleError, match=r"^ERR_DEADLINE_PASSED: the issuing bank's period for these documents ended"):
        examine_forwarded(desk.at("2026-01-07"), complying, mismatch, disposal=lc.REFUSAL_DISPOSAL_HOLD)
    record = desk.presentation(complying)[1]
    assert not record.HasField("refusal") and not record.examinations[1:]  # nothing written by the refused calls
    precluded = examine_forwarded(desk, complying, mismatch)  # late and without a notice: precluded, it pays
    assert precluded.disposal == lc.REFUSAL_DISPOSAL_UNSPECIFIED
    assert desk.position(lc_id).reimbursable == 4_000_000


def test_the_issuing_bank_examines_forwarded_documents_only_after_another_bank_honoured_and_before_paying() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    pending = desk.at("2025-12-03").present(lc_id, "40000.00")
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: presentation is UNDER_EXAMINATION: .*once another"):
        examine_forwarded(desk, pending)
    desk.examine(pending)
    desk.honour(pending, "40000.00")
    with pytest.raises(LcRuleError, match=r"^ERR_UNAUTHORIZED: examining forwarded documents is reserved to"):
        examine_forwarded(desk, pending, who=caller(ADVISER, "examiner"))
    with pytest.raises(LcRuleError, match=r"^ERR_UNAUTHORIZED: examining forwarded documents needs .*examiner"):
        examine_forwarded(desk, pending, who=caller(ISSUER, "treasury"))
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: presentation is HONOURED: the issuing bank owes no"):
        preclude(desk, pending)  # found complying by the nominated bank: owed already
    reimburse(desk, pending, "40000")
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: the issuing bank reimbursed, or is precluded"):
        examine_forwarded(desk, pending)

    at_issuer = desk.present(lc_id, "50000.00", receiving=ISSUER)
    desk.examine(at_issuer, caller(ISSUER, "examiner"))
    desk.honour(at_issuer, "50000.00", honourer=caller(ISSUER, "approver"))
    assert not desk.presentation(at_issuer)[1].HasField("issuer_examination_deadline")
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: the issuing bank honoured this presentation itself"):
        examine_forwarded(desk, at_issuer)


def test_the_forwarded_drawing_is_not_held_against_itself_when_partial_drawings_are_prohibited() -> None:
    desk = Desk()
    lc_id = desk.open_credit(sample_terms(partial_shipments=lc.SHIPMENT_PERMISSION_NOT_ALLOWED))
    pid = desk.at("2025-12-03").present(lc_id)
    assert desk.examine(pid).state == lc.PRESENTATION_STATE_COMPLYING
    desk.honour(pid)
    # the credit is drawn once now: the issuing bank examines as the nominated bank did, before it
    assert list(examine_forwarded(desk, pid).discrepancy_codes) == []
    assert desk.presentation(pid)[1].examinations[-1].result == lc.EXAMINATION_RESULT_COMPLYING
    assert desk.position(lc_id).reimbursable == 10_000_000


def test_forwarded_documents_are_examined_against_the_terms_they_were_presented_under() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    pid = desk.at("2025-12-03").present(lc_id, "40000.00")
    desk.examine(pid)
    desk.honour(pid, "40000.00")
    # an amendment accepted after the presentation does not apply to it: port of discharge CNSHA -> CNNGB
    propose(desk, lc_id, 1, lc.AmendmentChanges(port_of_discharge=common_pb2.Place(un_locode="CNNGB")))
    advise(desk, lc_id, 1)
    accept(desk, lc_id, 1)
    assert desk.terms(lc_id).amendment_seq == 1
    assert list(examine_forwarded(desk.at("2025-12-05"), pid).discrepancy_codes) == []
    assert desk.presentation(pid)[1].examinations[-1].terms_amendment_seq == 0
    assert desk.position(lc_id).reimbursable == 4_000_000
    # a presentation made under the amended terms is held to them
    later = desk.present(lc_id, "10000.00")
    assert desk.presentation(later)[1].presented_terms_seq == 1


def test_a_later_presentation_does_not_overdraw_the_forwarded_drawings_instalment() -> None:
    desk = Desk()
    one_instalment = lc.Instalment(period_start=date("2025-11-01"), period_end=date("2025-12-31"), amount=usd("60000"))
    lc_id = desk.open_credit(sample_terms(instalments=[one_instalment]))
    first = desk.at("2025-12-03").present(lc_id, "50000.00")
    assert desk.examine(first).state == lc.PRESENTATION_STATE_COMPLYING
    desk.honour(first, "50000.00")
    desk.present(lc_id, "40000.00")  # 90,000 now counts against the 60,000 instalment
    assert list(examine_forwarded(desk, first).discrepancy_codes) == []
    assert desk.position(lc_id).reimbursable == 5_000_000


def test_a_standbys_forwarded_demand_is_examined_within_three_business_days() -> None:
    standby, demand = standby_terms(), demand_documents()
    desk = Desk()
    lc_id = desk.open_credit(standby)
    pid = desk.at("2025-12-12T03:00:00+00:00").present(lc_id, "10000.00", demand)
    desk.examine(pid)
    desk.honour(pid, "10000.00")  # Friday, 11:00 in Shanghai
    assert desk.presentation(pid)[1].issuer_examination_deadline == date("2025-12-17")


def test_an_honour_needs_no_issuing_bank_calendar_beyond_today_the_deadline_is_worked_out_later() -> None:
    desk = Desk()
    lc_id = confirmed_credit(desk)
    china = next(calendar for calendar in calendars() if calendar.place == "CN")
    china.version = 2
    china.covers_through.CopyFrom(date("2025-12-31"))
    publish = desk.service.publish_calendar
    desk.call(caller(ISSUER, "compliance"), publish, api.PublishCalendarRequest(calendar=china))
    pid = precluded_confirmer_honour(
        desk, lc_id, documents(shipped="2025-12-15", issued="2025-12-15"), presented="2025-12-16", late="2025-12-29"
    )
    record = desk.presentation(pid)[1]
    assert record.HasField("forwarded_at") and not record.HasField("issuer_examination_deadline")
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: the banking-day calendar of CN .* ends on 2025-12-31"):
        preclude(desk.at("2026-01-07"), pid)
    china.version = 3
    china.ClearField("covers_through")
    desk.call(caller(ISSUER, "compliance"), publish, api.PublishCalendarRequest(calendar=china))
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: the issuing bank may examine .* until 2026-01-06$"):
        preclude(desk.at("2026-01-06T08:00:00+00:00"), pid)
    assert preclude(desk.at("2026-01-07"), pid).state == lc.PRESENTATION_STATE_HONOURED


def test_a_presentation_honoured_before_the_ledger_kept_forwarded_documents_stays_settled_as_it_was() -> None:
    desk = Desk()
    lc_id = confirmed_credit(desk)
    pid = precluded_confirmer_honour(
        desk, lc_id, documents(shipped="2025-12-15", issued="2025-12-15"), presented="2025-12-16", late="2025-12-29"
    )
    key, collection = presentation_record_key(pid), desk.stub(lc_id).collection
    record = desk.presentation(pid)[1]
    for name in ("forwarded_at", "issuer_examination_deadline", "presented_terms_seq", "position_at_presentation"):
        record.ClearField(name)  # as an earlier version of the chaincode wrote it
    desk.ledger.state[(collection, key)] = record.SerializeToString()
    assert is_settled(PresentationFile(*desk.presentation(pid)), ISSUER.msp_id)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: honoured before the ledger kept"):
        examine_forwarded(desk, pid)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: presentation is HONOURED: the issuing bank owes no"):
        preclude(desk.at("2026-01-07"), pid)


def test_a_discrepant_finding_on_forwarded_documents_made_before_refusal_notices_stays_settled() -> None:
    # an earlier chaincode recorded the issuing bank's discrepant examination with no notice: final then
    desk = Desk()
    lc_id, pid = _forwarded_and_refused(desk, lc.REFUSAL_DISPOSAL_HOLD)
    stub, record = desk.presentation(pid)
    record.ClearField("refusal")
    stub.disposal = lc.REFUSAL_DISPOSAL_UNSPECIFIED
    assert is_settled(PresentationFile(stub, record), ISSUER.msp_id)
    desk.ledger.state[(desk.stub(lc_id).collection, presentation_record_key(pid))] = record.SerializeToString()
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: a waiver is sought by the issuing bank"):
        ask_waiver(desk, pid)


# ------------------------------------------------------------------------------------------------
# Art. 10b / INV-LC-13: the confirming bank's terms


def test_a_presentation_after_the_expiry_the_confirming_bank_confirmed_is_not_made_to_it() -> None:
    desk = Desk()
    lc_id = confirmed_credit(desk)
    amend(desk, lc_id, 1, extend=False)  # expiry 2025-12-31 -> 2026-01-31, not confirmed
    assert desk.stub(lc_id).expiry_date == date("2026-01-31")
    kept = confirmed_terms(desk, lc_id)
    assert kept is not None and kept.terms.expiry_date == date("2025-12-31") and kept.amendment_seq == 0
    desk.at("2026-01-05")
    with pytest.raises(LcRuleError, match=r"^ERR_EXPIRED: .*2025-12-31, the expiry the confirming bank confirmed"):
        desk.present(lc_id, docs=shipped_18th(), receiving=CONFIRMER)
    # the issuing bank is bound by its amendment (art. 10b): the presentation is made to it
    pid = desk.at("2026-01-05T03:00:00+00:00").present(lc_id, docs=shipped_18th(), receiving=ISSUER)
    assert desk.examine(pid, caller(ISSUER, "examiner")).state == lc.PRESENTATION_STATE_COMPLYING


def test_the_confirming_bank_examines_against_the_terms_it_confirmed() -> None:
    desk = Desk()
    lc_id = confirmed_credit(desk)
    amend(desk, lc_id, 1, extend=False)  # latest shipment 2025-12-10 -> 2025-12-20, not confirmed
    half = shipped_18th("50000.00", 500)
    to_confirmer = desk.at("2025-12-19T03:00:00+00:00").present(lc_id, "50000.00", half, receiving=CONFIRMER)
    to_issuer = desk.present(lc_id, "50000.00", half, receiving=ISSUER)
    at_confirmer = desk.examine(to_confirmer, caller(CONFIRMER, "examiner"))
    assert (at_confirmer.state, list(at_confirmer.discrepancy_codes)) == (
        lc.PRESENTATION_STATE_DISCREPANT,
        [lc.DISCREPANCY_CODE_LATE_SHIPMENT],
    )
    assert desk.presentation(to_confirmer)[1].examinations[0].terms_amendment_seq == 0
    assert desk.examine(to_issuer, caller(ISSUER, "examiner")).state == lc.PRESENTATION_STATE_COMPLYING
    assert desk.presentation(to_issuer)[1].examinations[0].terms_amendment_seq == 1
    # a refusal by the confirming bank states the discrepancy of its terms, in time
    refused = refuse(desk, to_confirmer, LATE, disposal=lc.REFUSAL_DISPOSAL_RETURN, bank=CONFIRMER)
    assert refused.state == lc.PRESENTATION_STATE_RETURNED


def test_an_amendment_accepted_before_the_confirming_bank_decided_does_not_bind_it() -> None:
    desk = Desk()
    lc_id = confirmed_credit(desk)
    amend(desk, lc_id, 1, extend=None)
    assert list(desk.stub(lc_id).unconfirmed_amendment_seqs) == [1]  # flagged (INV-LC-13)
    with pytest.raises(LcRuleError, match=r"^ERR_EXPIRED: .*the expiry the confirming bank confirmed"):
        desk.at("2026-01-05").present(lc_id, docs=shipped_18th(), receiving=CONFIRMER)


def test_an_amendment_the_confirming_bank_extended_to_binds_it() -> None:
    desk = Desk()
    lc_id = confirmed_credit(desk)
    amend(desk, lc_id, 1, extend=True)
    assert list(desk.stub(lc_id).unconfirmed_amendment_seqs) == []
    assert confirmed_terms(desk, lc_id) is None  # its terms are the credit's
    pid = desk.at("2026-01-05").present(lc_id, docs=shipped_18th(), receiving=CONFIRMER)
    assert desk.examine(pid, caller(CONFIRMER, "examiner")).state == lc.PRESENTATION_STATE_COMPLYING


def test_a_later_amendment_the_confirming_bank_extended_to_applies_to_the_terms_it_confirmed() -> None:
    desk = Desk()
    lc_id = confirmed_credit(desk)
    amend(desk, lc_id, 1, extend=False)
    amend(desk, lc_id, 2, lc.AmendmentChanges(increase=usd("10000")), extend=True)
    assert desk.terms(lc_id).terms.amount == usd("110000.00")
    kept = confirmed_terms(desk, lc_id)
    assert kept is not None
    assert (kept.terms.amount, kept.terms.expiry_date, kept.amendment_seq) == (usd("110000.00"), date("2025-12-31"), 2)
    assert list(desk.stub(lc_id).unconfirmed_amendment_seqs) == [1]


def test_an_amendment_proposed_before_the_confirmation_is_extended_to_only_by_decision() -> None:
    desk = Desk()
    lc_id = desk.open_credit(
        sample_terms(confirmation_instruction=lc.CONFIRMATION_INSTRUCTION_CONFIRM, requested_confirmer=CONFIRMER)
    )
    desk.call(
        caller(ISSUER, "issuer"),
        desk.service.propose_amendment,
        api.ProposeAmendmentRequest(lc_id=lc_id, seq=1, changes=EXTEND),
    )
    desk.call(caller(CONFIRMER, "approver"), desk.service.add_confirmation, api.AddConfirmationRequest(lc_id=lc_id))
    desk.call(
        caller(CONFIRMER, "approver"),
        desk.service.decide_amendment_confirmation,
        api.DecideAmendmentConfirmationRequest(lc_id=lc_id, seq=1, extend=True),
    )
    desk.call(caller(ADVISER, "advisor"), desk.service.advise_amendment, api.AdviseAmendmentRequest(lc_id=lc_id, seq=1))
    accept = api.AcceptAmendmentRequest(lc_id=lc_id, seq=1)
    desk.call(caller(ADVISER, "client-beneficiary"), desk.service.accept_amendment, accept)
    assert confirmed_terms(desk, lc_id) is None
    desk.at("2026-01-05").present(lc_id, docs=shipped_18th(), receiving=CONFIRMER)


def test_a_confirming_bank_also_nominated_holds_a_later_presentation_as_nominated_bank() -> None:
    desk = Desk()
    lc_id = confirmed_credit(desk, available_with=lc.AvailableWith(nominated_bank=CONFIRMER))
    amend(desk, lc_id, 1, extend=False)
    # after the expiry it confirmed, within the amended one: made to it under its nomination
    pid = desk.at("2026-01-05").present(
        lc_id, receiving=CONFIRMER, docs=documents(shipped="2025-12-21", issued="2025-12-21")
    )
    assert desk.presentation(pid)[0].examination_deadline == date("2026-01-12")
    stub = desk.at("2026-01-14").examine(pid, caller(CONFIRMER, "examiner"))  # late, and late shipment
    assert stub.state == lc.PRESENTATION_STATE_DISCREPANT  # no undertaking: not precluded (arts. 12a, 16f)
    assert list(stub.discrepancy_codes) == [lc.DISCREPANCY_CODE_LATE_SHIPMENT]
    assert desk.presentation(pid)[1].examinations[0].terms_amendment_seq == 1  # the credit's terms
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: .*nominated bank"):
        preclude(desk, pid)


def test_documents_complying_with_the_credit_accept_no_pending_amendment_at_the_confirming_bank() -> None:
    """INV-LC-07 is judged on the credit's terms: documents discrepant only under the confirming bank's
    terms do not comply "only with the amended terms" of the next amendment."""
    desk = Desk()
    lc_id = confirmed_credit(desk)
    amend(desk, lc_id, 1, extend=False)  # 44C 2025-12-20 for the beneficiary, 2025-12-10 for the confirmer
    desk.call(
        caller(ISSUER, "issuer"),
        desk.service.propose_amendment,
        api.ProposeAmendmentRequest(lc_id=lc_id, seq=2, changes=lc.AmendmentChanges(increase=usd("1000"))),
    )
    desk.call(caller(ADVISER, "advisor"), desk.service.advise_amendment, api.AdviseAmendmentRequest(lc_id=lc_id, seq=2))
    pid = desk.at("2025-12-19").present(lc_id, docs=shipped_18th(), receiving=CONFIRMER)
    stub = desk.examine(pid, caller(CONFIRMER, "examiner"))
    assert list(stub.discrepancy_codes) == [lc.DISCREPANCY_CODE_LATE_SHIPMENT]
    assert list(desk.stub(lc_id).pending_amendment_seqs) == [2]  # still the beneficiary's to decide
