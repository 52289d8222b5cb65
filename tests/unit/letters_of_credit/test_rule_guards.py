"""Guards no other test reached: each test fails when its check is removed from the rules."""

from __future__ import annotations

import pytest

from tradefin.chaincode.contracts.letters_of_credit.errors import LcRuleError
from tradefin.protos import letters_of_credit_api_pb2 as api
from tradefin.protos import letters_of_credit_pb2 as lc

from .support import ADVISER, CONFIRMER, ISSUER, Desk, caller, date, documents, sample_terms, usd
from .test_amendments import accept, advise, propose
from .test_presentations import LATE, refuse
from .test_transfers import transfer, transferable


def test_a_waiver_granted_is_not_accepted_once_the_documents_went_back() -> None:
    """INV-LC-10: a waiver takes effect only while the presenter has not instructed otherwise."""
    desk = Desk()
    lc_id = desk.open_credit()
    pid = desk.at("2025-12-12T03:00:00+00:00").present(
        lc_id, receiving=ISSUER, docs=documents(shipped="2025-12-11", issued="2025-12-11")
    )
    desk.examine(pid, caller(ISSUER, "examiner"))
    refuse(desk, pid, LATE, disposal=lc.REFUSAL_DISPOSAL_NOTIFY, bank=ISSUER)
    desk.call(caller(ISSUER, "examiner"), desk.service.request_waiver, api.RequestWaiverRequest(presentation_id=pid))
    desk.call(
        caller(ISSUER, "client-applicant"), desk.service.grant_waiver, api.GrantWaiverRequest(presentation_id=pid)
    )
    desk.call(  # the presenter wants its documents back before the issuing bank took the waiver
        caller(ADVISER, "client-beneficiary"),
        desk.service.return_documents,
        api.ReturnDocumentsRequest(presentation_id=pid),
    )
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: presentation is RETURNED"):
        desk.call(caller(ISSUER, "approver"), desk.service.accept_waiver, api.AcceptWaiverRequest(presentation_id=pid))
    stub = desk.presentation(pid)[0]
    assert (stub.state, stub.waiver) == (lc.PRESENTATION_STATE_RETURNED, lc.WAIVER_STATUS_GRANTED)


def test_a_decrease_below_what_is_transferred_cannot_be_accepted() -> None:
    """INV-LC-12: what is transferred to second beneficiaries stays within the credit amount."""
    desk = Desk()
    lc_id = desk.open_credit(transferable())
    transfer(desk, lc_id, "60000")
    propose(desk, lc_id, 1, lc.AmendmentChanges(decrease=usd("50000")))  # amount 50,000 < 60,000
    advise(desk, lc_id, 1)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: .*below what is transferred \(INV-LC-12\)"):
        accept(desk, lc_id, 1)
    assert desk.terms(lc_id).terms.amount == usd("100000.00")


def test_an_amendment_is_not_accepted_after_the_expiry() -> None:
    """INV-LC-08: an expired credit takes no amendment -- not even one extending its expiry."""
    desk = Desk()
    lc_id = desk.open_credit()
    propose(desk, lc_id, 1, lc.AmendmentChanges(expiry_date=date("2026-01-31")))
    advise(desk, lc_id, 1)
    with pytest.raises(LcRuleError, match=r"^ERR_EXPIRED: .*the acceptance counted on 2026-01-02 is too late"):
        desk.at("2026-01-02").call(
            caller(ADVISER, "client-beneficiary"),
            desk.service.accept_amendment,
            api.AcceptAmendmentRequest(lc_id=lc_id, seq=1),
        )
    assert desk.stub(lc_id).expiry_date == date("2025-12-31")


def test_no_confirmation_is_added_after_the_expiry() -> None:
    """Art. 8: a confirming bank undertakes on a live credit; nothing is left to confirm after expiry."""
    desk = Desk()
    lc_id = desk.open_credit(
        sample_terms(confirmation_instruction=lc.CONFIRMATION_INSTRUCTION_CONFIRM, requested_confirmer=CONFIRMER)
    )
    with pytest.raises(LcRuleError, match=r"^ERR_EXPIRED: .*confirmation counted on 2026-01-02 is too late"):
        desk.at("2026-01-02").call(
            caller(CONFIRMER, "approver"), desk.service.add_confirmation, api.AddConfirmationRequest(lc_id=lc_id)
        )
    assert desk.stub(lc_id).confirmation == lc.CONFIRMATION_STATUS_REQUESTED
