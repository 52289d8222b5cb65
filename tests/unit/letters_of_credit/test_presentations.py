"""The presentation sub-machine: present (idempotent), examine, refuse, waiver, return, preclusion,
honour in each availability, payment at maturity, reimbursement, eUCP completeness."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from tradefin.chaincode.contracts.compliance.records import financing_key
from tradefin.chaincode.contracts.letters_of_credit.errors import LcRuleError
from tradefin.chaincode.contracts.letters_of_credit.records import presentation_record_key
from tradefin.protos import common_pb2
from tradefin.protos import compliance_pb2 as cp
from tradefin.protos import letters_of_credit_api_pb2 as api
from tradefin.protos import letters_of_credit_pb2 as lc

from .support import (
    ADVISER,
    ISSUER,
    OUTSIDER,
    Desk,
    caller,
    date,
    demand_documents,
    documents,
    sample_terms,
    standby_terms,
    usd,
)

LATE = lc.Discrepancy(code=lc.DISCREPANCY_CODE_LATE_SHIPMENT, text="B/L DATED AFTER 44C")
MISMATCH = lc.Discrepancy(code=lc.DISCREPANCY_CODE_DESCRIPTION_MISMATCH, text="GOODS DESCRIPTION DIFFERS")


def refuse(
    desk: Desk,
    pid: str,
    *found: lc.Discrepancy,
    disposal: int = lc.REFUSAL_DISPOSAL_HOLD,
    bank: common_pb2.BankRef = ADVISER,
) -> lc.PresentationStub:
    return desk.call(
        caller(bank, "examiner"),
        desk.service.refuse,
        api.RefuseRequest(presentation_id=pid, discrepancies=found, disposal=disposal),  # type: ignore[arg-type]
    ).presentation


def test_presentation_reserves_the_claim_and_sets_the_refusal_deadline() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    pid = desk.at("2025-12-03").present(lc_id)
    stub, record = desk.presentation(pid)
    assert stub.state == lc.PRESENTATION_STATE_UNDER_EXAMINATION
    assert (stub.received_on, stub.examination_deadline) == (date("2025-12-03"), date("2025-12-10"))
    assert (stub.calendar_place, stub.calendar_version) == ("GB", 1)
    assert stub.receiving_bank == ADVISER and stub.presenting_bank == ADVISER
    assert record.reserved == 10_000_000 and len(record.salt) == 32
    assert desk.position(lc_id).reserved == 10_000_000
    assert desk.stub(lc_id).open_presentations == 1
    assert desk.ledger.events[-1][1] == "lc.presented"
    written = desk.ledger.state[(desk.stub(lc_id).collection, presentation_record_key(pid))]
    assert desk.ledger.last_event().payload_hash == hashlib.sha256(written).hexdigest()  # Fabric's PDC hash


def test_happy_path_sight_payment_by_the_nominated_bank_then_reimbursement() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    pid = desk.at("2025-12-03").present(lc_id)
    assert desk.examine(pid).state == lc.PRESENTATION_STATE_COMPLYING
    assert desk.honour(pid).state == lc.PRESENTATION_STATE_HONOURED
    position = desk.position(lc_id)
    assert (position.drawn, position.reserved, position.reimbursable) == (10_000_000, 0, 10_000_000)
    assert desk.stub(lc_id).open_presentations == 1  # the nominated bank awaits reimbursement
    reimburse = api.ReimburseRequest(presentation_id=pid, amount=usd("40000"))
    with pytest.raises(LcRuleError, match=r"^ERR_UNAUTHORIZED: "):
        desk.call(caller(ADVISER, "treasury"), desk.service.reimburse, reimburse)
    desk.call(caller(ISSUER, "treasury"), desk.service.reimburse, reimburse)
    assert desk.presentation(pid)[0].state == lc.PRESENTATION_STATE_HONOURED
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: amount: exceeds the 60000.00 outstanding"):
        desk.call(
            caller(ISSUER, "treasury"),
            desk.service.reimburse,
            api.ReimburseRequest(presentation_id=pid, amount=usd("60000.01")),
        )
    desk.call(
        caller(ISSUER, "treasury"),
        desk.service.reimburse,
        api.ReimburseRequest(presentation_id=pid, amount=usd("60000")),
    )
    assert desk.presentation(pid)[0].state == lc.PRESENTATION_STATE_REIMBURSED
    assert desk.position(lc_id).reimbursed == 10_000_000
    assert desk.stub(lc_id).open_presentations == 0


def test_issuing_bank_honours_itself_and_owes_no_reimbursement() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    pid = desk.at("2025-12-03T08:00:00+00:00").present(lc_id, receiving=ISSUER)
    desk.examine(pid, caller(ISSUER, "examiner"))
    desk.honour(pid, honourer=caller(ISSUER, "approver"))
    assert desk.stub(lc_id).open_presentations == 0
    assert desk.position(lc_id).reimbursable == 0
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: the issuing bank honoured"):
        desk.call(
            caller(ISSUER, "treasury"),
            desk.service.reimburse,
            api.ReimburseRequest(presentation_id=pid, amount=usd("1")),
        )


def test_presentation_to_a_bank_the_credit_is_not_available_with() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: receiving_bank_bic: "):
        desk.at("2025-12-03").present(lc_id, receiving=OUTSIDER)


def test_receipt_after_hours_counts_on_the_next_banking_day() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    pid = desk.at("2025-12-05T10:00:00+00:00").present(lc_id, receiving=ISSUER)  # Friday 18:00 in Shanghai
    stub, _ = desk.presentation(pid)
    assert (stub.received_on, stub.examination_deadline) == (date("2025-12-08"), date("2025-12-15"))


def test_presentation_on_the_art_29_extended_expiry_and_not_after() -> None:
    desk = Desk()
    lc_id = desk.open_credit(sample_terms(expiry_date=date("2025-12-27"), latest_shipment_date=date("2025-12-20")))
    desk.at("2025-12-29").present(lc_id, docs=documents(shipped="2025-12-19", issued="2025-12-19"))
    before = dict(desk.ledger.state)
    with pytest.raises(LcRuleError, match=r"^ERR_EXPIRED: presentation counted on 2025-12-30"):
        desk.at("2025-12-30").present(lc_id, claimed="1000.00")
    assert desk.ledger.state == before


def test_replayed_presentation_id_returns_the_original_and_writes_nothing() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    pid = str(uuid.uuid4())
    first = desk.at("2025-12-03").present_answer(lc_id, presentation_id=pid)
    state, events = dict(desk.ledger.state), list(desk.ledger.events)
    replayed = desk.at("2025-12-04").present_answer(lc_id, presentation_id=pid)
    assert desk.ledger.state == state and desk.ledger.events == events
    # the answer is the original presentation, as stored (its stub and its private record)
    assert replayed == first and (replayed.presentation, replayed.record) == desk.presentation(pid)
    assert replayed.record.claimed == usd("100000")
    with pytest.raises(LcRuleError, match=r"^ERR_DUPLICATE: presentation_id: "):
        desk.present(lc_id, claimed="5000.00", presentation_id=pid)
    other = desk.open_credit(sample_terms(lc_number="LC2025-0002"))
    with pytest.raises(LcRuleError, match=r"^ERR_DUPLICATE: presentation_id: "):
        desk.present(other, presentation_id=pid)


def test_drawing_exactly_at_the_tolerance_ceiling_and_one_unit_above() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    desk.at("2025-12-03")
    with pytest.raises(LcRuleError, match=r"^ERR_INSUFFICIENT_FUNDS: claimed.minor_units: .*105000.00 USD"):
        desk.present(lc_id, claimed="105000.01", docs=documents(invoiced="105000.01"))
    pid = desk.present(lc_id, claimed="105000.00", docs=documents(invoiced="105000.00"))
    assert desk.position(lc_id).reserved == 10_500_000
    assert desk.examine(pid).state == lc.PRESENTATION_STATE_COMPLYING


def test_second_presentation_cannot_take_the_reserved_balance() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    desk.at("2025-12-03").present(lc_id, claimed="60000.00", docs=documents(invoiced="60000.00", quantity=600))
    with pytest.raises(LcRuleError, match=r"^ERR_INSUFFICIENT_FUNDS: .*45000.00"):
        desk.present(lc_id, claimed="50000.00", docs=documents(invoiced="50000.00", quantity=500))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda r: setattr(r.claimed, "currency", "EUR"), "claimed.currency"),
        (lambda r: setattr(r.claimed, "minor_units", 0), "claimed.minor_units"),
        (lambda r: r.ClearField("documents"), "documents"),
        (lambda r: setattr(r.documents[0], "sha256", "XYZ"), r"documents\[0\].sha256"),
        (lambda r: setattr(r.documents[1], "doc_type", 0), r"documents\[1\].doc_type"),
        (lambda r: setattr(r.documents[1], "doc_ref", ""), r"documents\[1\].doc_ref"),
        (lambda r: setattr(r.documents[2], "storage_uri", "s3://a b"), r"documents\[2\].storage_uri"),
        (
            lambda r: r.documents[1].key_data.shipment_date.CopyFrom(common_pb2.Date(year=2025, month=13, day=1)),
            r"documents\[1\].key_data.shipment_date",
        ),
        (
            lambda r: setattr(r.documents[0].key_data.amount, "currency", "ABC"),
            r"documents\[0\].key_data.amount.currency",
        ),
        (lambda r: setattr(r, "presentation_id", "not-a-uuid"), "presentation_id"),
        (lambda r: setattr(r, "awaiting_completeness", True), "awaiting_completeness"),
    ],
)
def test_invalid_presentation_fields_are_named_and_nothing_is_written(change: object, field: str) -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    request = api.PresentRequest(
        presentation_id=str(uuid.uuid4()),
        lc_id=lc_id,
        receiving_bank_bic=ADVISER.bic,
        claimed=usd("1000"),
        documents=documents(),
    )
    change(request)  # type: ignore[operator]
    before = dict(desk.ledger.state)
    with pytest.raises(LcRuleError, match=rf"^ERR_INVALID_INPUT: {field}: "):
        desk.at("2025-12-03").call(caller(ADVISER, "client-beneficiary"), desk.service.present, request)
    assert desk.ledger.state == before


def test_only_the_beneficiarys_bank_presents() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    with pytest.raises(LcRuleError, match=r"^ERR_UNAUTHORIZED: "):
        desk.at("2025-12-03").present(lc_id, presenter=caller(ISSUER, "client-beneficiary"))
    with pytest.raises(LcRuleError, match=r"^ERR_UNAUTHORIZED: "):
        desk.present(lc_id, presenter=caller(ADVISER, "examiner"))


def test_refusal_is_one_complete_notice_with_a_disposal() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    pid = desk.at("2025-12-12").present(lc_id, docs=documents(shipped="2025-12-11", issued="2025-12-11"))
    stub = desk.examine(pid, None, MISMATCH)
    assert stub.state == lc.PRESENTATION_STATE_DISCREPANT
    assert list(stub.discrepancy_codes) == [lc.DISCREPANCY_CODE_LATE_SHIPMENT, lc.DISCREPANCY_CODE_DESCRIPTION_MISMATCH]
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: discrepancies: a refusal states at least one"):
        refuse(desk, pid)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: disposal: "):
        refuse(desk, pid, LATE, MISMATCH, disposal=0)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: discrepancies: .*missing DESCRIPTION_MISMATCH"):
        refuse(desk, pid, LATE)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: disposal: only the issuing bank"):
        refuse(desk, pid, LATE, MISMATCH, disposal=lc.REFUSAL_DISPOSAL_NOTIFY)
    with pytest.raises(LcRuleError, match=r"^ERR_UNAUTHORIZED: "):
        refuse(desk, pid, LATE, MISMATCH, bank=ISSUER)
    refused = refuse(desk, pid, LATE, MISMATCH)
    assert (refused.state, refused.disposal) == (lc.PRESENTATION_STATE_REFUSED, lc.REFUSAL_DISPOSAL_HOLD)
    notice = desk.presentation(pid)[1].refusal
    assert notice.total_claimed == usd("100000") and len(notice.discrepancies) == 2
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: .*refusal is given once"):
        refuse(desk, pid, LATE, MISMATCH)
    assert desk.ledger.last_event().reason_code == "HOLD"


def test_refusal_without_a_prior_examination_runs_the_objective_checks() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    pid = desk.at("2025-12-12").present(lc_id, docs=documents(shipped="2025-12-11", issued="2025-12-11"))
    with pytest.raises(LcRuleError, match=r"missing LATE_SHIPMENT"):
        refuse(desk, pid, MISMATCH)
    refuse(desk, pid, MISMATCH, LATE, disposal=lc.REFUSAL_DISPOSAL_RETURN)
    stub, record = desk.presentation(pid)
    assert stub.state == lc.PRESENTATION_STATE_RETURNED
    assert record.examinations[0].result == lc.EXAMINATION_RESULT_DISCREPANT
    assert desk.position(lc_id).reserved == 0
    assert desk.stub(lc_id).open_presentations == 0


def test_after_the_fifth_banking_day_refusal_is_rejected_and_the_presentation_is_precluded() -> None:
    desk = Desk()  # the issuing bank's presentation: a nominated bank is not precluded (art. 16f)
    lc_id = desk.open_credit()
    pid = desk.at("2025-12-12T03:00:00+00:00").present(
        lc_id, receiving=ISSUER, docs=documents(shipped="2025-12-11", issued="2025-12-11")
    )
    desk.examine(pid, caller(ISSUER, "examiner"))
    assert desk.presentation(pid)[0].examination_deadline == date("2025-12-19")
    refuse_late = desk.at("2025-12-22")
    before = dict(refuse_late.ledger.state)
    with pytest.raises(LcRuleError, match=r"^ERR_DEADLINE_PASSED: .*2025-12-19.*precluded"):
        refuse(desk, pid, LATE, bank=ISSUER)
    assert desk.ledger.state == before
    with pytest.raises(LcRuleError, match=r"^ERR_UNAUTHORIZED: "):
        desk.call(caller(OUTSIDER, "auditor"), desk.service.preclude, api.PrecludeRequest(presentation_id=pid))
    stub = desk.call(
        caller(ISSUER, "issuer"), desk.service.preclude, api.PrecludeRequest(presentation_id=pid)
    ).presentation
    assert stub.state == lc.PRESENTATION_STATE_PRECLUDED
    assert desk.honour(pid, honourer=caller(ISSUER, "approver")).state == lc.PRESENTATION_STATE_HONOURED


def test_a_standby_is_dishonoured_by_the_third_business_day_after_presentation() -> None:
    standby, demand = standby_terms(), demand_documents()
    desk = Desk()
    lc_id = desk.open_credit(standby)
    late, in_time = (
        desk.at("2025-12-12T03:00:00+00:00").present(lc_id, "10000.00", demand, receiving=ISSUER) for _ in range(2)
    )
    # ISP98 rule 5.01: three business days are not unreasonable (a documentary credit has five: 12-19)
    assert desk.presentation(late)[0].examination_deadline == date("2025-12-17")
    unsigned = lc.Discrepancy(code=lc.DISCREPANCY_CODE_OTHER, text="DEMAND NOT SIGNED")
    for pid in (late, in_time):
        desk.examine(pid, caller(ISSUER, "examiner"), unsigned)
    in_time_refusal = refuse(desk.at("2025-12-17T03:00:00+00:00"), in_time, unsigned, bank=ISSUER)
    assert in_time_refusal.state == lc.PRESENTATION_STATE_REFUSED
    with pytest.raises(LcRuleError, match=r"^ERR_DEADLINE_PASSED: .*2025-12-17.*precluded"):
        refuse(desk.at("2025-12-18T03:00:00+00:00"), late, unsigned, bank=ISSUER)


def test_preclusion_only_after_the_deadline() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    pid = desk.at("2025-12-03T03:00:00+00:00").present(lc_id, receiving=ISSUER)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: the examining bank may refuse until 2025-12-10"):
        desk.call(caller(ISSUER, "issuer"), desk.service.preclude, api.PrecludeRequest(presentation_id=pid))


def test_honour_needs_a_determination_unless_the_deadline_passed() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    pid = desk.at("2025-12-03T03:00:00+00:00").present(lc_id, receiving=ISSUER)
    issuer = caller(ISSUER, "approver")
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: presentation is UNDER_EXAMINATION"):
        desk.honour(pid, honourer=issuer)
    desk.at("2025-12-11")
    assert desk.honour(pid, honourer=issuer).state == lc.PRESENTATION_STATE_HONOURED  # silent: precluded


def test_examination_after_the_deadline_that_finds_discrepancies_precludes() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    pid = desk.at("2025-12-12T03:00:00+00:00").present(
        lc_id, receiving=ISSUER, docs=documents(shipped="2025-12-11", issued="2025-12-11")
    )
    assert desk.at("2025-12-22").examine(pid, caller(ISSUER, "examiner")).state == lc.PRESENTATION_STATE_PRECLUDED


def issuer_examined_discrepant(desk: Desk) -> tuple[str, str]:
    lc_id = desk.open_credit()
    pid = desk.at("2025-12-12T03:00:00+00:00").present(
        lc_id, receiving=ISSUER, docs=documents(shipped="2025-12-11", issued="2025-12-11")
    )
    desk.examine(pid, caller(ISSUER, "examiner"))
    return lc_id, pid


def test_waiver_flow_issuer_asks_applicant_waives_issuer_accepts() -> None:
    desk = Desk()
    _, pid = issuer_examined_discrepant(desk)
    ask = api.RequestWaiverRequest(presentation_id=pid)
    grant = api.GrantWaiverRequest(presentation_id=pid)
    take = api.AcceptWaiverRequest(presentation_id=pid)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: the issuing bank has not asked"):
        desk.call(caller(ISSUER, "client-applicant"), desk.service.grant_waiver, grant)
    desk.call(caller(ISSUER, "examiner"), desk.service.request_waiver, ask)
    with pytest.raises(LcRuleError, match=r"^ERR_UNAUTHORIZED: "):
        desk.call(caller(ADVISER, "client-beneficiary"), desk.service.grant_waiver, grant)
    with pytest.raises(LcRuleError, match=r"^ERR_UNAUTHORIZED: "):
        desk.call(caller(ISSUER, "examiner"), desk.service.grant_waiver, grant)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: the applicant has not waived"):
        desk.call(caller(ISSUER, "approver"), desk.service.accept_waiver, take)
    desk.call(caller(ISSUER, "client-applicant"), desk.service.grant_waiver, grant)
    stub = desk.call(caller(ISSUER, "approver"), desk.service.accept_waiver, take).presentation
    assert (stub.state, stub.waiver) == (lc.PRESENTATION_STATE_WAIVED, lc.WAIVER_STATUS_ACCEPTED)
    assert desk.presentation(pid)[1].waiver.applicant_hash
    assert desk.honour(pid, honourer=caller(ISSUER, "approver")).state == lc.PRESENTATION_STATE_HONOURED


def test_waiver_after_a_refusal_holding_documents_for_the_applicant() -> None:
    desk = Desk()
    _, pid = issuer_examined_discrepant(desk)
    refuse(desk, pid, LATE, disposal=lc.REFUSAL_DISPOSAL_NOTIFY, bank=ISSUER)
    desk.at("2025-12-30")  # after the examination period: the waiver clock was never extended, but
    for operation, who, request in (  # a refusal given in time holds the documents for the waiver
        (desk.service.request_waiver, caller(ISSUER, "examiner"), api.RequestWaiverRequest(presentation_id=pid)),
        (desk.service.grant_waiver, caller(ISSUER, "client-applicant"), api.GrantWaiverRequest(presentation_id=pid)),
        (desk.service.accept_waiver, caller(ISSUER, "examiner"), api.AcceptWaiverRequest(presentation_id=pid)),
    ):
        desk.call(who, operation, request)
    assert desk.presentation(pid)[0].state == lc.PRESENTATION_STATE_WAIVED


def test_no_waiver_once_the_presenter_asked_for_the_documents_back() -> None:
    desk = Desk()
    _, pid = issuer_examined_discrepant(desk)
    refuse(desk, pid, LATE, disposal=lc.REFUSAL_DISPOSAL_NOTIFY, bank=ISSUER)
    desk.call(caller(ISSUER, "examiner"), desk.service.request_waiver, api.RequestWaiverRequest(presentation_id=pid))
    desk.call(
        caller(ADVISER, "client-beneficiary"),
        desk.service.return_documents,
        api.ReturnDocumentsRequest(presentation_id=pid),
    )
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: presentation is RETURNED"):
        desk.call(
            caller(ISSUER, "client-applicant"), desk.service.grant_waiver, api.GrantWaiverRequest(presentation_id=pid)
        )


def test_waiver_is_for_the_issuing_bank_and_within_the_examination_period() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    pid = desk.at("2025-12-12").present(lc_id, docs=documents(shipped="2025-12-11", issued="2025-12-11"))
    desk.examine(pid)  # examined by the nominated bank
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: a waiver is sought by the issuing bank"):
        desk.call(
            caller(ISSUER, "examiner"), desk.service.request_waiver, api.RequestWaiverRequest(presentation_id=pid)
        )
    late = Desk()
    _, late_pid = issuer_examined_discrepant(late)
    late.at("2025-12-22")
    with pytest.raises(LcRuleError, match=r"^ERR_DEADLINE_PASSED: "):
        late.call(
            caller(ISSUER, "examiner"), late.service.request_waiver, api.RequestWaiverRequest(presentation_id=late_pid)
        )


def test_return_documents_only_after_refusal() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    pid = desk.at("2025-12-03").present(lc_id)
    request = api.ReturnDocumentsRequest(presentation_id=pid)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: "):
        desk.call(caller(ADVISER, "examiner"), desk.service.return_documents, request)
    with pytest.raises(LcRuleError, match=r"^ERR_UNAUTHORIZED: "):
        desk.call(caller(ISSUER, "issuer"), desk.service.return_documents, request)


def test_acceptance_credit_matures_then_the_nominated_bank_is_reimbursed() -> None:
    terms = sample_terms(available_by=lc.AVAILABLE_BY_ACCEPTANCE, draft_tenor="60 DAYS AFTER SIGHT")
    terms.drawee.CopyFrom(common_pb2.InstitutionRef(bic=ADVISER.bic))
    desk = Desk()
    lc_id = desk.open_credit(terms)
    pid = desk.at("2025-12-03").present(lc_id)
    desk.examine(pid)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: maturity_date: "):
        desk.honour(pid)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: maturity_date: is before"):
        desk.honour(pid, maturity_date=date("2025-12-01"))
    stub = desk.honour(pid, maturity_date=date("2026-02-02"))
    assert stub.state == lc.PRESENTATION_STATE_ACCEPTED
    pay = api.PayAtMaturityRequest(presentation_id=pid)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: payment falls due on 2026-02-02"):
        desk.call(caller(ADVISER, "treasury"), desk.service.pay_at_maturity, pay)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: "):
        desk.call(
            caller(ISSUER, "treasury"),
            desk.service.reimburse,
            api.ReimburseRequest(presentation_id=pid, amount=usd("1")),
        )
    desk.at("2026-02-02").call(caller(ADVISER, "treasury"), desk.service.pay_at_maturity, pay)
    assert desk.presentation(pid)[0].state == lc.PRESENTATION_STATE_MATURED_PAID
    desk.call(
        caller(ISSUER, "treasury"),
        desk.service.reimburse,
        api.ReimburseRequest(presentation_id=pid, amount=usd("100000")),
    )
    assert desk.presentation(pid)[0].state == lc.PRESENTATION_STATE_REIMBURSED


def test_deferred_payment_and_negotiation_states() -> None:
    deferred = Desk()
    lc_id = deferred.open_credit(
        sample_terms(available_by=lc.AVAILABLE_BY_DEFERRED_PAYMENT, deferred_payment="90 DAYS AFTER B/L DATE")
    )
    pid = deferred.at("2025-12-03").present(lc_id)
    deferred.examine(pid)
    stub = deferred.honour(pid, maturity_date=date("2026-03-01"))
    assert stub.state == lc.PRESENTATION_STATE_DEFERRED_UNDERTAKEN
    assert deferred.presentation(pid)[1].honour.kind == lc.HONOUR_KIND_DEFERRED_PAYMENT

    negotiation = Desk()
    lc_id = negotiation.open_credit(sample_terms(available_by=lc.AVAILABLE_BY_NEGOTIATION))
    pid = negotiation.at("2025-12-03").present(lc_id)
    negotiation.examine(pid)
    assert negotiation.honour(pid).state == lc.PRESENTATION_STATE_NEGOTIATED
    by_issuer = negotiation.present(
        lc_id, claimed="5000.00", docs=documents(invoiced="5000.00", quantity=50), receiving=ISSUER
    )
    negotiation.examine(by_issuer, caller(ISSUER, "examiner"))
    assert negotiation.honour(by_issuer, "5000.00", caller(ISSUER, "approver")).state == lc.PRESENTATION_STATE_HONOURED


def test_honour_amount_is_bounded_by_the_claim() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    pid = desk.at("2025-12-03").present(lc_id)
    desk.examine(pid)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: amount: is more than the presentation claims"):
        desk.honour(pid, "100000.01")
    with pytest.raises(LcRuleError, match=r"^ERR_UNAUTHORIZED: "):
        desk.honour(pid, honourer=caller(ADVISER, "client-beneficiary"))
    desk.honour(pid, "99000.00")
    position = desk.position(lc_id)
    assert (position.drawn, position.reserved) == (9_900_000, 0)


def test_eucp_presentation_waits_for_the_notice_of_completeness() -> None:
    desk = Desk()
    lc_id = desk.open_credit(sample_terms(rules=lc.APPLICABLE_RULES_EUCP_LATEST_VERSION))
    pid = desk.at("2025-12-03").present(lc_id, awaiting_completeness=True)
    stub, _ = desk.presentation(pid)
    assert stub.state == lc.PRESENTATION_STATE_INCOMPLETE and not stub.HasField("examination_deadline")
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: the presenter's notice of completeness"):
        desk.examine(pid)
    notice = api.NotifyCompletenessRequest(presentation_id=pid)
    with pytest.raises(LcRuleError, match=r"^ERR_UNAUTHORIZED: "):
        desk.call(caller(ISSUER, "advisor"), desk.service.notify_completeness, notice)
    stub = desk.at("2025-12-05").call(caller(ADVISER, "advisor"), desk.service.notify_completeness, notice).presentation
    assert (stub.completeness_notified_on, stub.examination_deadline) == (date("2025-12-05"), date("2025-12-12"))
    assert desk.examine(pid).state == lc.PRESENTATION_STATE_COMPLYING


def test_eucp_notice_of_completeness_after_expiry_is_refused() -> None:
    desk = Desk()
    lc_id = desk.open_credit(sample_terms(rules=lc.APPLICABLE_RULES_EUCP_LATEST_VERSION))
    pid = desk.at("2025-12-30").present(
        lc_id, awaiting_completeness=True, docs=documents(shipped="2025-12-09", issued="2025-12-09")
    )
    with pytest.raises(LcRuleError, match=r"^ERR_EXPIRED: "):
        desk.at("2026-01-02").call(
            caller(ADVISER, "advisor"),
            desk.service.notify_completeness,
            api.NotifyCompletenessRequest(presentation_id=pid),
        )


def test_an_eucp_presentation_never_completed_lapses_after_the_expiry_and_the_credit_can_close() -> None:
    desk = Desk()
    lc_id = desk.open_credit(sample_terms(rules=lc.APPLICABLE_RULES_EUCP_LATEST_VERSION))  # expires 2025-12-31
    docs = documents(shipped="2025-12-09", issued="2025-12-09")
    docs[1].fingerprints.append("9" * 64)  # the B/L, held in the duplicate-financing registry
    pid = desk.at("2025-12-30").present(lc_id, awaiting_completeness=True, docs=docs)
    assert desk.position(lc_id).reserved == 10_000_000 and desk.stub(lc_id).open_presentations == 1
    lapse = api.LapsePresentationRequest(presentation_id=pid)
    still = r"^ERR_INVALID_STATE: the notice of completeness may still come until 2025-12-31"
    with pytest.raises(LcRuleError, match=still):
        desk.at("2025-12-31").call(caller(ISSUER, "examiner"), desk.service.lapse_presentation, lapse)
    with pytest.raises(LcRuleError, match=r"^ERR_UNAUTHORIZED: "):
        desk.at("2026-01-02").call(caller(OUTSIDER, "examiner"), desk.service.lapse_presentation, lapse)

    lapsed = desk.call(caller(ISSUER, "examiner"), desk.service.lapse_presentation, lapse).presentation
    assert lapsed.state == lc.PRESENTATION_STATE_LAPSED  # eUCP e6(c): deemed not made
    assert desk.position(lc_id).reserved == 0 and desk.stub(lc_id).open_presentations == 0
    entry = desk.ledger.get(cp.FinancingEntry, financing_key("9" * 64))
    assert entry is not None and (entry.status, entry.presented_under) == (cp.FINANCING_STATUS_RELEASED, "")
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: presentation is LAPSED"):
        desk.call(caller(ISSUER, "examiner"), desk.service.lapse_presentation, lapse)
    desk.call(caller(ISSUER, "issuer"), desk.service.expire, api.ExpireRequest(lc_id=lc_id))
    closed = desk.call(caller(ISSUER, "issuer"), desk.service.close, api.CloseRequest(lc_id=lc_id)).credit
    assert closed.state == lc.CREDIT_STATE_CLOSED


def test_a_complete_presentation_does_not_lapse() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    pid = desk.at("2025-12-30").present(lc_id, docs=documents(shipped="2025-12-09", issued="2025-12-09"))
    lapse = api.LapsePresentationRequest(presentation_id=pid)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: presentation is UNDER_EXAMINATION; only one"):
        desk.at("2026-01-05").call(caller(ISSUER, "examiner"), desk.service.lapse_presentation, lapse)


def test_presentation_queries_show_private_data_only_to_the_credits_banks() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    pid = desk.at("2025-12-03").present(lc_id)
    outsider = desk.query(
        caller(OUTSIDER, "auditor"), desk.service.get_presentation, api.GetPresentationRequest(presentation_id=pid)
    )
    assert outsider.presentation.presentation_id == pid and not outsider.HasField("record")
    insider = desk.query(
        caller(ISSUER, "auditor"), desk.service.get_presentation, api.GetPresentationRequest(presentation_id=pid)
    )
    assert insider.record.claimed == usd("100000")


def test_a_replayed_presentation_is_answered_even_once_the_beneficiarys_screening_changed() -> None:
    from tests.unit.compliance.test_credits import advise, checked_desk, issue, vouch
    from tradefin.protos import compliance_pb2 as cp

    desk = checked_desk()
    terms = sample_terms()
    vouch(desk, ISSUER, terms.applicant.kyc_ref)
    vouch(desk, ADVISER, terms.beneficiary.kyc_ref)
    lc_id = desk.apply(terms)
    issue(desk, lc_id)
    advise(desk, lc_id)
    desk.at("2025-12-03")
    vouch(desk, ADVISER, terms.beneficiary.kyc_ref)
    presentation_id = desk.present(lc_id)
    vouch(desk, ADVISER, terms.beneficiary.kyc_ref, cp.SCREENING_OUTCOME_POTENTIAL_MATCH)
    # the client retrying after a lost answer gets the presentation that was made, not a new refusal
    replayed = desk.present_answer(lc_id, presentation_id=presentation_id)
    assert (replayed.presentation, replayed.record) == desk.presentation(presentation_id)
    with pytest.raises(LcRuleError, match="POTENTIAL_MATCH"):  # a new presentation is screened
        desk.present(lc_id, "1000.00", documents(invoiced="1000.00", quantity=10))
