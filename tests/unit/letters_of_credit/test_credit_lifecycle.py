"""Credit-level lifecycle: apply, issue, advise, confirmation, expiry, close, and who may do what."""

from __future__ import annotations

import pytest

from tradefin.chaincode.contracts.letters_of_credit.errors import LcRuleError
from tradefin.chaincode.contracts.letters_of_credit.records import credit_key, terms_hash
from tradefin.protos import letters_of_credit_api_pb2 as api
from tradefin.protos import letters_of_credit_pb2 as lc

from .support import ADVISER, CONFIRMER, ISSUER, OUTSIDER, Desk, caller, date, sample_terms


def confirmed_terms() -> lc.LetterOfCreditTerms:
    return sample_terms(confirmation_instruction=lc.CONFIRMATION_INSTRUCTION_CONFIRM, requested_confirmer=CONFIRMER)


def test_application_writes_a_public_stub_and_private_terms() -> None:
    desk = Desk()
    lc_id = desk.apply()
    stub = desk.stub(lc_id)
    assert lc_id == "TFINCNSH:LC2025-0001"
    assert stub.state == lc.CREDIT_STATE_DRAFT_APPLICATION
    assert stub.collection == "lc-AdviserMSP-IssuerMSP"
    assert list(stub.endorsing_msp_ids) == ["AdviserMSP", "IssuerMSP"]
    assert desk.ledger.endorsers[("", credit_key(lc_id))] == ("AdviserMSP", "IssuerMSP")
    record = desk.terms(lc_id)
    assert record.terms == sample_terms()
    assert stub.terms_hash == terms_hash(record.terms, record.salt)
    assert desk.position(lc_id).max_amount == 10_500_000
    event = desk.ledger.last_event()
    assert (desk.ledger.events[-1][1], event.to_state, event.actor_msp_id) == (
        "lc.applied",
        "DRAFT_APPLICATION",
        "IssuerMSP",
    )
    assert event.payload_hash == stub.terms_hash
    public = [slot for slot in desk.ledger.state if slot[0] == "" and slot[1].object_type.startswith("tradefin.lc")]
    assert public == [("", credit_key(lc_id))]  # amounts and parties never reach the world state


@pytest.mark.parametrize(
    ("request_change", "message"),
    [
        (lambda r: r.terms.issue_date.CopyFrom(date("2025-11-01")), "ERR_INVALID_INPUT: terms.issue_date: "),
        (lambda r: setattr(r, "salt", b"short"), "ERR_INVALID_INPUT: salt: "),
        (lambda r: r.terms.expiry_date.CopyFrom(date("2025-11-02")), "ERR_INVALID_INPUT: terms.latest_shipment_date: "),
        (lambda r: r.ClearField("terms"), "ERR_INVALID_INPUT: terms.issuing_bank"),
    ],
)
def test_invalid_application_writes_nothing(request_change: object, message: str) -> None:
    desk = Desk()
    before = dict(desk.ledger.state)
    request = api.ApplyRequest(terms=sample_terms(), salt=bytes(32))
    request_change(request)  # type: ignore[operator]
    with pytest.raises(LcRuleError, match=rf"^{message}"):
        desk.call(caller(ISSUER, "client-applicant"), desk.service.apply, request)
    assert desk.ledger.state == before


def test_expiry_in_the_past_is_refused_at_application() -> None:
    desk = Desk().at("2026-01-05")
    terms = sample_terms()
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: terms.expiry_date: is before today"):
        desk.apply(terms)


def test_credit_numbers_are_unique_per_issuing_bank() -> None:
    desk = Desk()
    desk.apply()
    with pytest.raises(LcRuleError, match=r"^ERR_DUPLICATE: terms.lc_number: "):
        desk.apply()


@pytest.mark.parametrize(
    "who",
    [caller(ADVISER, "client-applicant"), caller(ISSUER, "examiner"), caller(OUTSIDER, "issuer")],
)
def test_only_the_issuing_bank_files_an_application(who: object) -> None:
    desk = Desk()
    with pytest.raises(LcRuleError, match=r"^ERR_UNAUTHORIZED: "):
        desk.call(who, desk.service.apply, api.ApplyRequest(terms=sample_terms(), salt=bytes(32)))  # type: ignore[arg-type]


def test_issue_sets_the_issuing_banks_business_date() -> None:
    desk = Desk().at("2025-11-03T20:00:00+00:00")  # already 4 November in Shanghai
    lc_id = desk.apply()
    response = desk.call(caller(ISSUER, "issuer"), desk.service.issue, api.IssueRequest(lc_id=lc_id))
    assert response.credit.state == lc.CREDIT_STATE_ISSUED
    assert response.credit.issue_date == date("2025-11-04")
    record = desk.terms(lc_id)
    assert record.terms.issue_date == date("2025-11-04")
    assert response.credit.terms_hash == terms_hash(record.terms, record.salt)
    assert response.credit.confirmation == lc.CONFIRMATION_STATUS_NONE
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: "):
        desk.call(caller(ISSUER, "issuer"), desk.service.issue, api.IssueRequest(lc_id=lc_id))


@pytest.mark.parametrize(
    ("who", "code"),
    [
        (caller(ADVISER, "issuer"), "ERR_UNAUTHORIZED"),
        (caller(ISSUER, "client-applicant"), "ERR_UNAUTHORIZED"),
        (caller(OUTSIDER, "issuer"), "ERR_UNAUTHORIZED"),
    ],
)
def test_only_the_issuer_issues(who: object, code: str) -> None:
    desk = Desk()
    lc_id = desk.apply()
    with pytest.raises(LcRuleError, match=rf"^{code}: "):
        desk.call(who, desk.service.issue, api.IssueRequest(lc_id=lc_id))  # type: ignore[arg-type]
    assert desk.stub(lc_id).state == lc.CREDIT_STATE_DRAFT_APPLICATION


def test_a_certificate_bic_of_another_institution_is_refused() -> None:
    desk = Desk()
    lc_id = desk.apply()
    impostor = caller(ISSUER, "issuer")
    impostor = type(impostor)(msp_id=impostor.msp_id, identity=impostor.identity, role="issuer", bic="OTHRCNSH")
    with pytest.raises(LcRuleError, match=r"^ERR_UNAUTHORIZED: "):
        desk.call(impostor, desk.service.issue, api.IssueRequest(lc_id=lc_id))


def test_unknown_credit_is_not_found() -> None:
    desk = Desk()
    with pytest.raises(LcRuleError, match=r"^ERR_NOT_FOUND: lc_id: "):
        desk.call(caller(ISSUER, "issuer"), desk.service.issue, api.IssueRequest(lc_id="TFINCNSH:NOPE"))
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: lc_id: "):
        desk.call(caller(ISSUER, "issuer"), desk.service.issue, api.IssueRequest(lc_id="garbage"))


def test_issuing_after_expiry_is_refused() -> None:
    desk = Desk()
    lc_id = desk.apply()
    desk.at("2026-01-01")
    with pytest.raises(LcRuleError, match=r"^ERR_EXPIRED: "):
        desk.call(caller(ISSUER, "issuer"), desk.service.issue, api.IssueRequest(lc_id=lc_id))


def test_advise_only_an_issued_credit_by_the_advising_bank() -> None:
    desk = Desk()
    lc_id = desk.apply()
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: "):
        desk.call(caller(ADVISER, "advisor"), desk.service.advise, api.AdviseRequest(lc_id=lc_id))
    desk.call(caller(ISSUER, "issuer"), desk.service.issue, api.IssueRequest(lc_id=lc_id))
    with pytest.raises(LcRuleError, match=r"^ERR_UNAUTHORIZED: "):
        desk.call(caller(ISSUER, "advisor"), desk.service.advise, api.AdviseRequest(lc_id=lc_id))
    response = desk.call(caller(ADVISER, "advisor"), desk.service.advise, api.AdviseRequest(lc_id=lc_id))
    assert response.credit.state == lc.CREDIT_STATE_ADVISED


def test_confirmation_adds_the_confirming_bank_to_the_endorsers() -> None:
    desk = Desk()
    lc_id = desk.open_credit(confirmed_terms())
    stub = desk.stub(lc_id)
    assert stub.collection == "lc-AdviserMSP-ConfirmerMSP-IssuerMSP"
    assert stub.confirmation == lc.CONFIRMATION_STATUS_REQUESTED
    with pytest.raises(LcRuleError, match=r"^ERR_UNAUTHORIZED: "):
        desk.call(caller(ADVISER, "issuer"), desk.service.add_confirmation, api.AddConfirmationRequest(lc_id=lc_id))
    response = desk.call(
        caller(CONFIRMER, "approver"), desk.service.add_confirmation, api.AddConfirmationRequest(lc_id=lc_id)
    )
    assert response.credit.confirmation == lc.CONFIRMATION_STATUS_ADDED
    assert list(response.credit.endorsing_msp_ids) == ["AdviserMSP", "ConfirmerMSP", "IssuerMSP"]
    assert desk.ledger.endorsers[("", credit_key(lc_id))] == ("AdviserMSP", "ConfirmerMSP", "IssuerMSP")
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: "):
        desk.call(
            caller(CONFIRMER, "approver"),
            desk.service.decline_confirmation,
            api.DeclineConfirmationRequest(lc_id=lc_id),
        )


def test_declined_confirmation_and_credits_without_a_confirmer() -> None:
    desk = Desk()
    lc_id = desk.open_credit(confirmed_terms())
    response = desk.call(
        caller(CONFIRMER, "issuer"), desk.service.decline_confirmation, api.DeclineConfirmationRequest(lc_id=lc_id)
    )
    assert response.credit.confirmation == lc.CONFIRMATION_STATUS_DECLINED
    assert "ConfirmerMSP" not in response.credit.endorsing_msp_ids
    plain = Desk()
    plain_id = plain.open_credit()
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: .*no requested confirmer"):
        plain.call(
            caller(CONFIRMER, "issuer"), plain.service.add_confirmation, api.AddConfirmationRequest(lc_id=plain_id)
        )


def test_expiry_is_recorded_only_after_the_art_29_extended_date() -> None:
    desk = Desk()
    lc_id = desk.open_credit(sample_terms(expiry_date=date("2025-12-27")))  # a Saturday
    expire = api.ExpireRequest(lc_id=lc_id)
    desk.at("2025-12-29")  # Monday: the last banking day in London after Christmas and Boxing Day
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: .*until 2025-12-29"):
        desk.call(caller(ADVISER, "advisor"), desk.service.expire, expire)
    desk.at("2025-12-30")
    response = desk.call(caller(ADVISER, "advisor"), desk.service.expire, expire)
    assert response.credit.state == lc.CREDIT_STATE_EXPIRED
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: "):
        desk.call(caller(ISSUER, "issuer"), desk.service.expire, expire)


def test_expiry_needs_a_bank_of_the_credit() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    desk.at("2026-01-02")
    with pytest.raises(LcRuleError, match=r"^ERR_UNAUTHORIZED: "):
        desk.call(caller(OUTSIDER, "issuer"), desk.service.expire, api.ExpireRequest(lc_id=lc_id))


def test_close_after_expiry_with_nothing_outstanding() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    close = api.CloseRequest(lc_id=lc_id)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: .*cannot be closed yet"):
        desk.call(caller(ISSUER, "issuer"), desk.service.close, close)
    desk.at("2026-01-02").call(caller(ISSUER, "issuer"), desk.service.expire, api.ExpireRequest(lc_id=lc_id))
    with pytest.raises(LcRuleError, match=r"^ERR_UNAUTHORIZED: "):
        desk.call(caller(ADVISER, "issuer"), desk.service.close, close)
    assert desk.call(caller(ISSUER, "issuer"), desk.service.close, close).credit.state == lc.CREDIT_STATE_CLOSED


def test_close_waits_for_open_presentations() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    desk.at("2025-12-03").present(lc_id)
    desk.at("2026-01-02").call(caller(ISSUER, "issuer"), desk.service.expire, api.ExpireRequest(lc_id=lc_id))
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: .*1 presentation"):
        desk.call(caller(ISSUER, "issuer"), desk.service.close, api.CloseRequest(lc_id=lc_id))


def test_a_bank_outside_the_credit_reads_only_the_public_stub() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    public = desk.query(caller(OUTSIDER, "auditor"), desk.service.get_credit, api.GetCreditRequest(lc_id=lc_id))
    assert public.credit.lc_id == lc_id
    with pytest.raises(LcRuleError, match=r"^ERR_UNAUTHORIZED: "):
        desk.query(caller(OUTSIDER, "auditor"), desk.service.get_credit_terms, api.GetCreditTermsRequest(lc_id=lc_id))
    private = desk.query(
        caller(ADVISER, "advisor"), desk.service.get_credit_terms, api.GetCreditTermsRequest(lc_id=lc_id)
    )
    assert private.terms.terms.amount.minor_units == 10_000_000
    assert private.position.max_amount == 10_500_000
