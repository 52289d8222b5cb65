"""Once a configuration is in force, only its member banks write the records other banks rely on, and
only their records count.

Fabric admits any organisation of the channel; the compliance governance names the consortium's
members. OUTSIDER (Bank3MSP) is an organisation the configuration does not count among them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

import pytest

from tradefin.chaincode.contracts.compliance.errors import RuleError
from tradefin.chaincode.contracts.compliance.gate import PartyFile, check_parties
from tradefin.chaincode.contracts.compliance.service import ComplianceService
from tradefin.chaincode.contracts.letters_of_credit.access import Transaction
from tradefin.chaincode.contracts.payments.records import channel_id_of
from tradefin.protos import common_pb2
from tradefin.protos import compliance_pb2 as cp
from tradefin.protos import payments_pb2 as pay

from ..payments.support import (
    BANK_A,
    CREDITOR,
    DEBTOR,
    NOW,
    OUTSIDER,
    Desk,
    caller,
    governance_config,
    money,
    payment_request,
    refused_writing_nothing,
    snapshot,
    stamp,
    verified_attestation,
)

FINGERPRINT = hashlib.sha256(b"invoice of the outsider").hexdigest()
SALT = b"o" * 32

Operation = Callable[[ComplianceService, Transaction], Awaitable[object]]


def _attest(service: ComplianceService, tx: Transaction) -> Awaitable[object]:
    return service.attest_kyc(tx, cp.AttestKycRequest(attestation=verified_attestation(DEBTOR.kyc_ref)))


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
    refusal = refused_writing_nothing(desk, lambda: desk.comply(caller(OUTSIDER, role), operation))
    assert refusal.code_name == "ERR_UNAUTHORIZED"
    assert refusal.text == f"{action} is reserved to the member banks of the compliance governance; Bank3MSP is not one"
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


# -- records written before, read after: what counts is membership when they are used ------------


def _propose(desk: Desk, proposer: common_pb2.BankRef, counterparty: common_pb2.BankRef) -> str:
    """``proposer``'s treasury proposes a EUR channel to ``counterparty``; the channel's id."""
    request = pay.ProposeChannelRequest(
        proposer=proposer, counterparty=counterparty, currency="EUR", capacity_slots=4, salt=bytes(32)
    )
    desk.pay(caller(proposer, "treasury"), lambda s, tx: s.propose_channel(tx, request))
    return channel_id_of(proposer.bic, counterparty.bic, "EUR")


def _accept(desk: Desk, bank: common_pb2.BankRef, channel_id: str) -> object:
    accept = pay.AcceptChannelRequest(channel_id=channel_id)
    return desk.pay(caller(bank, "treasury"), lambda s, tx: s.accept_channel(tx, accept))


def test_an_attestation_by_a_bank_outside_the_governance_does_not_count_at_the_gate() -> None:
    desk = Desk()
    desk.vouch(OUTSIDER, CREDITOR)  # before the first adoption: written, and CLEAR on both lists
    channel_id = _propose(desk, BANK_A, OUTSIDER)
    _accept(desk, OUTSIDER, channel_id)
    desk.deposit(channel_id, BANK_A, OUTSIDER, money("5000.00"))
    desk.adopt()  # members: Bank1MSP and Bank2MSP
    desk.vouch(BANK_A, DEBTOR)
    refusal = refused_writing_nothing(desk, lambda: desk.initiate(payment_request(channel_id, "100.00")))
    assert (refusal.code_name, refusal.field) == ("ERR_KYC", "creditor.kyc_ref")
    assert refusal.message == (
        "Bank3MSP is not a member bank of the compliance governance: its attestation does not count"
    )


def test_the_gate_refuses_a_party_vouched_for_by_a_bank_outside_the_governance() -> None:
    # the gate of payments and of letters of credit alike (check_credit runs it too)
    attestation = verified_attestation(CREDITOR.kyc_ref)
    screenings = {
        list_id: cp.ScreeningResult(list_version=version, outcome=cp.SCREENING_OUTCOME_CLEAR, screened_at=stamp(NOW))
        for list_id, version in (("UN", "2025-11-28"), ("OFAC", "2025-12-01"))  # governance_config's lists
    }
    config = governance_config()
    tx = Desk().tx(caller(BANK_A, "treasury"))
    vouched_by_a = PartyFile("beneficiary", CREDITOR, BANK_A, attestation, screenings)
    assert not check_parties(config, [vouched_by_a], tx).needs_second_approver
    vouched_by_outsider = PartyFile("beneficiary", CREDITOR, OUTSIDER, attestation, screenings)
    with pytest.raises(RuleError) as refusal:
        check_parties(config, [vouched_by_outsider], tx)
    assert (refusal.value.code_name, refusal.value.field) == ("ERR_KYC", "beneficiary.kyc_ref")


# -- payment channels: both banks members, once a configuration is in force ---------------------


def test_a_payment_channel_with_a_bank_outside_the_governance_is_refused() -> None:
    desk = Desk()
    desk.adopt()
    refusal = refused_writing_nothing(desk, lambda: _propose(desk, BANK_A, OUTSIDER))
    assert (refusal.code_name, refusal.field) == ("ERR_INVALID_INPUT", "counterparty.msp_id")
    assert refusal.message == "Bank3MSP is not a member bank of the compliance governance"
    refusal = refused_writing_nothing(desk, lambda: _propose(desk, OUTSIDER, BANK_A))
    assert refusal.code_name == "ERR_UNAUTHORIZED"
    assert refusal.text == (
        "proposing a payment channel is reserved to the member banks of the compliance governance; "
        "Bank3MSP is not one"
    )


def test_a_channel_proposed_before_the_adoption_is_not_accepted_by_a_bank_outside_it() -> None:
    desk = Desk()
    channel_id = _propose(desk, BANK_A, OUTSIDER)
    desk.adopt()
    refusal = refused_writing_nothing(desk, lambda: _accept(desk, OUTSIDER, channel_id))
    assert refusal.code_name == "ERR_UNAUTHORIZED"
    assert "accepting a payment channel is reserved to the member banks" in refusal.text


def test_a_channel_proposed_before_the_adoption_by_a_bank_outside_it_does_not_open() -> None:
    desk = Desk()
    channel_id = _propose(desk, OUTSIDER, BANK_A)
    desk.adopt()
    refusal = refused_writing_nothing(desk, lambda: _accept(desk, BANK_A, channel_id))  # a member accepts
    assert refusal.code_name == "ERR_INVALID_STATE"
    assert refusal.message == (
        "the proposer Bank3MSP is not a member bank of the compliance governance: the channel cannot open"
    )


def test_a_proposal_the_configuration_strands_is_withdrawn_by_closing_it() -> None:
    desk = Desk()
    channel_id = _propose(desk, BANK_A, OUTSIDER)
    desk.adopt()  # OUTSIDER can no longer accept it
    close = pay.CloseChannelRequest(channel_id=channel_id)
    closed = desk.pay(caller(BANK_A, "treasury"), lambda s, tx: s.close_channel(tx, close))
    assert closed.channel.state == pay.PAYMENT_CHANNEL_STATE_CLOSED
