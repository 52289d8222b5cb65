"""Honouring a letter of credit creates its payment: a reimbursement (or an honour, or a payment at
maturity) with a settlement is paid on the payment channel between the paying and the receiving bank,
in the credit's currency, in the same transaction as the credit's own records."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Awaitable, Callable

import pytest

from tests.unit.letters_of_credit.support import calendars, documents, sample_terms, usd
from tradefin.chaincode.contracts.compliance.errors import RuleError
from tradefin.chaincode.contracts.letters_of_credit.access import Transaction
from tradefin.chaincode.contracts.letters_of_credit.records import presentation_record_key
from tradefin.chaincode.contracts.letters_of_credit.service import LettersOfCreditService
from tradefin.protos import calendar_pb2, common_pb2
from tradefin.protos import letters_of_credit_api_pb2 as api
from tradefin.protos import letters_of_credit_pb2 as lc
from tradefin.protos import payments_pb2 as pay

from .support import BANK_A, BANK_B, DEBTOR_ACCOUNT, OUTSIDER, Desk, caller, governance_config

NOW = datetime.datetime(2025, 12, 3, 10, 0, tzinfo=datetime.UTC)


def settlement(**fields: object) -> pay.CreditSettlement:
    values: dict[str, object] = {"uetr": str(uuid.uuid4()), "debtor_account": DEBTOR_ACCOUNT, "salt": bytes(32)}
    values.update(fields)
    return pay.CreditSettlement(**values)  # type: ignore[arg-type]


def publishing(
    calendar: calendar_pb2.BankingCalendar,
) -> Callable[[LettersOfCreditService, Transaction], Awaitable[api.CalendarResponse]]:
    """The operation that publishes a calendar."""

    async def operation(service: LettersOfCreditService, tx: Transaction) -> api.CalendarResponse:
        return await service.publish_calendar(tx, api.PublishCalendarRequest(calendar=calendar))

    return operation


def honoured_credit(
    desk: Desk, *, confirmer: common_pb2.BankRef | None = None, presented_to: common_pb2.BankRef = BANK_B
) -> tuple[str, str, lc.LetterOfCreditTerms]:
    """A USD credit of bank A (issuing) advised by bank B (nominated), confirmed by ``confirmer`` if
    any, presented to ``presented_to`` and examined: its id, the presentation's id and the terms."""
    weekend = [calendar_pb2.WEEKDAY_SATURDAY, calendar_pb2.WEEKDAY_SUNDAY]
    hong_kong = calendar_pb2.BankingCalendar(place="HK", version=1, weekend_days=weekend)
    united_states = calendar_pb2.BankingCalendar(place="US", version=1, weekend_days=weekend, utc_offset_minutes=-300)
    for calendar in [*calendars(), hong_kong, united_states]:
        desk.credit(caller(BANK_A, "compliance"), publishing(calendar))
    terms = sample_terms(
        issuing_bank=BANK_A, advising_bank=BANK_B, available_with=lc.AvailableWith(nominated_bank=BANK_B)
    )
    if confirmer is not None:
        terms.confirmation_instruction = lc.CONFIRMATION_INSTRUCTION_CONFIRM
        terms.requested_confirmer.CopyFrom(confirmer)
    terms.beneficiary_account.iban = "DE89370400440532013000"
    desk.vouch(BANK_A, terms.applicant)
    desk.vouch(BANK_B, terms.beneficiary)
    applied = desk.credit(
        caller(BANK_A, "client-applicant"),
        lambda s, tx: s.apply(tx, api.ApplyRequest(terms=terms, salt=bytes(32))),
        at=NOW,
    )
    lc_id = applied.credit.lc_id
    desk.credit(caller(BANK_A, "issuer"), lambda s, tx: s.issue(tx, api.IssueRequest(lc_id=lc_id)), at=NOW)
    desk.credit(caller(BANK_B, "advisor"), lambda s, tx: s.advise(tx, api.AdviseRequest(lc_id=lc_id)), at=NOW)
    if confirmer is not None:
        confirm = api.AddConfirmationRequest(lc_id=lc_id)
        desk.credit(caller(confirmer, "approver"), lambda s, tx: s.add_confirmation(tx, confirm), at=NOW)
    presentation_id = str(uuid.uuid4())
    present = api.PresentRequest(
        presentation_id=presentation_id,
        lc_id=lc_id,
        receiving_bank_bic=presented_to.bic,
        claimed=usd("100000.00"),
        documents=documents(),
    )
    desk.credit(caller(BANK_B, "client-beneficiary"), lambda s, tx: s.present(tx, present), at=NOW)
    examine = api.ExamineRequest(presentation_id=presentation_id)
    desk.credit(caller(presented_to, "examiner"), lambda s, tx: s.examine(tx, examine), at=NOW)
    return lc_id, presentation_id, terms


def refused_settlement(desk: Desk, presentation_id: str) -> tuple[RuleError, pay.CreditSettlement]:
    """Bank B honours without a settlement; bank A's reimbursement with one is refused: the refusal and
    the settlement it carried."""
    honour = api.HonourRequest(presentation_id=presentation_id, amount=usd("100000.00"))
    desk.credit(caller(BANK_B, "approver"), lambda s, tx: s.honour(tx, honour), at=NOW)
    paid = settlement()
    reimburse = api.ReimburseRequest(presentation_id=presentation_id, amount=usd("100000.00"), settlement=paid)
    with pytest.raises(RuleError) as error:
        desk.credit(caller(BANK_A, "treasury"), lambda s, tx: s.reimburse(tx, reimburse), at=NOW)
    return error.value, paid


def test_a_reimbursement_with_a_settlement_pays_on_the_channel_in_the_same_transaction() -> None:
    desk = Desk()
    desk.now = NOW
    channel_id = desk.ready(currency="USD", deposit_a="1000000.00")
    lc_id, presentation_id, terms = honoured_credit(desk)
    honour = api.HonourRequest(presentation_id=presentation_id, amount=usd("100000.00"), settlement=settlement())
    with pytest.raises(RuleError, match="pays its own customer"):  # the nominated bank pays its beneficiary
        desk.credit(caller(BANK_B, "approver"), lambda s, tx: s.honour(tx, honour), at=NOW)
    honour.ClearField("settlement")
    desk.credit(caller(BANK_B, "approver"), lambda s, tx: s.honour(tx, honour), at=NOW)

    paid = settlement()
    reimburse = api.ReimburseRequest(presentation_id=presentation_id, amount=usd("100000.00"), settlement=paid)
    answer = desk.credit(caller(BANK_A, "treasury"), lambda s, tx: s.reimburse(tx, reimburse), at=NOW)
    assert answer.presentation.state == lc.PRESENTATION_STATE_REIMBURSED
    payment = desk.payment(paid.uetr)
    assert (payment.payment.lc_id, payment.payment.presentation_id) == (lc_id, presentation_id)
    assert (payment.payment.sender_bic, payment.payment.receiver_bic) == (BANK_A.bic, BANK_B.bic)
    assert (
        payment.payment.kind == pay.PAYMENT_KIND_FI_CREDIT_TRANSFER
        and payment.payment.status == pay.PAYMENT_STATUS_ACSP
    )
    assert payment.record.settlement_amount == usd("100000.00") and payment.record.debtor == terms.applicant
    assert payment.record.creditor_account.iban == "DE89370400440532013000"
    a, b = desk.channel(channel_id).balances
    assert (a.balance, b.balance) == (900000_00, 100000_00)
    collection = desk.channel(channel_id).channel.collection
    record = lc.PresentationRecord.FromString(
        desk.ledger.value(presentation_record_key(presentation_id), f"lc-{BANK_A.msp_id}-{BANK_B.msp_id}") or b""
    )
    assert record.reimbursements[0].settlement_uetr == paid.uetr and collection == "pay-Bank1MSP-Bank2MSP"

    # the credit's presentation records the payment: it is not recalled (a return would leave the
    # presentation REIMBURSED with the money back)
    recall = pay.RecallPaymentRequest(uetr=paid.uetr, reason_code="DUPL", recall_id=str(uuid.uuid4()))
    with pytest.raises(RuleError, match=f"settles letter of credit {lc_id}") as refused:
        desk.pay(caller(BANK_A, "treasury"), lambda s, tx: s.recall_payment(tx, recall))
    assert refused.value.code_name == "ERR_INVALID_STATE"


def test_a_settlement_needs_an_open_channel_and_capacity_and_writes_nothing_when_refused() -> None:
    desk = Desk()
    desk.now = NOW
    desk.ready(currency="USD", deposit_a="50000.00")
    _, presentation_id, _ = honoured_credit(desk)
    desk.credit(
        caller(BANK_B, "approver"),
        lambda s, tx: s.honour(tx, api.HonourRequest(presentation_id=presentation_id, amount=usd("100000.00"))),
        at=NOW,
    )
    reimburse = api.ReimburseRequest(presentation_id=presentation_id, amount=usd("100000.00"), settlement=settlement())
    with pytest.raises(RuleError) as error:
        desk.credit(caller(BANK_A, "treasury"), lambda s, tx: s.reimburse(tx, reimburse), at=NOW)
    assert error.value.code_name == "ERR_INSUFFICIENT_FUNDS"
    record = lc.PresentationRecord.FromString(
        desk.ledger.value(presentation_record_key(presentation_id), f"lc-{BANK_A.msp_id}-{BANK_B.msp_id}") or b""
    )
    assert not record.reimbursements  # the refused reimbursement wrote nothing


def test_a_credit_with_a_bank_outside_the_payment_channels_pair_takes_no_settlement() -> None:
    # Bank C (the outsider of the A-B payment channel) confirms: the credit's transitions are endorsed
    # by A, B and C, and C's peer does not hold the channel's private records, so the payment cannot be
    # made in the same transaction. It is refused before the channel is read or anything is written.
    desk = Desk()
    desk.now = NOW
    channel_id = desk.ready(currency="USD", deposit_a="1000000.00")
    lc_id, presentation_id, _ = honoured_credit(desk, confirmer=OUTSIDER)
    collection = f"lc-{BANK_A.msp_id}-{BANK_B.msp_id}-{OUTSIDER.msp_id}"
    error, paid = refused_settlement(desk, presentation_id)
    assert (error.code_name, error.field) == ("ERR_INVALID_INPUT", "settlement")
    assert f"credit {lc_id} has a bank outside the payment channel's pair ({OUTSIDER.msp_id})" in error.message
    assert "Payments.pay" in error.message
    record = lc.PresentationRecord.FromString(
        desk.ledger.value(presentation_record_key(presentation_id), collection) or b""
    )
    assert not record.reimbursements  # the refused reimbursement wrote nothing
    with pytest.raises(RuleError, match="no payment"):
        desk.payment(paid.uetr)
    assert [balance.balance for balance in desk.channel(channel_id).balances] == [1000000_00, 0]

    alone = api.ReimburseRequest(presentation_id=presentation_id, amount=usd("100000.00"))  # the payment apart
    answer = desk.credit(caller(BANK_A, "treasury"), lambda s, tx: s.reimburse(tx, alone), at=NOW)
    assert answer.presentation.state == lc.PRESENTATION_STATE_REIMBURSED


def test_the_confirming_banks_honour_takes_no_settlement_and_reads_no_payment_channel() -> None:
    # Presented to the confirming bank C, which would pay B: the issuing bank A is outside that pair.
    # (No B-C channel exists: the refusal comes before the channel is looked up.)
    desk = Desk()
    desk.now = NOW
    desk.ready(currency="USD", deposit_a="1000000.00")
    _, presentation_id, _ = honoured_credit(desk, confirmer=OUTSIDER, presented_to=OUTSIDER)
    honour = api.HonourRequest(presentation_id=presentation_id, amount=usd("100000.00"), settlement=settlement())
    with pytest.raises(RuleError) as error:
        desk.credit(caller(OUTSIDER, "approver"), lambda s, tx: s.honour(tx, honour), at=NOW)
    assert (error.value.code_name, error.value.field) == ("ERR_INVALID_INPUT", "settlement")
    assert f"outside the payment channel's pair ({BANK_A.msp_id})" in error.value.message
    honour.ClearField("settlement")
    answer = desk.credit(caller(OUTSIDER, "approver"), lambda s, tx: s.honour(tx, honour), at=NOW)
    assert answer.presentation.state == lc.PRESENTATION_STATE_HONOURED


def test_a_settlement_is_paid_only_to_the_credits_receiving_bank() -> None:
    # Before any configuration (so before any directory), bank A opened a USD channel with "EUCBDEFF"
    # that Bank3MSP accepted under that BIC: the channel's id is the one a settlement of an A-B credit
    # looks up, its other side another organisation than the credit's receiving bank.
    desk = Desk()
    desk.now = NOW
    forged = common_pb2.BankRef(bic=BANK_B.bic, msp_id=OUTSIDER.msp_id)
    propose = pay.ProposeChannelRequest(
        proposer=BANK_A, counterparty=forged, currency="USD", capacity_slots=4, salt=bytes(32)
    )
    desk.pay(caller(BANK_A, "treasury"), lambda s, tx: s.propose_channel(tx, propose))
    channel_id = "ASTBHKHH-EUCBDEFF-USD"
    accept = pay.AcceptChannelRequest(channel_id=channel_id)
    desk.pay(caller(forged, "treasury"), lambda s, tx: s.accept_channel(tx, accept))
    desk.deposit(channel_id, BANK_A, forged, usd("1000000.00"))
    _, presentation_id, _ = honoured_credit(desk)  # issued by A, honoured by B (Bank2MSP)
    error, paid = refused_settlement(desk, presentation_id)
    assert (error.code_name, error.field) == ("ERR_INVALID_INPUT", "settlement")
    assert error.message == f"the receiving bank is not a bank of {channel_id}"
    with pytest.raises(RuleError, match="no payment"):
        desk.payment(paid.uetr)
    assert [balance.balance for balance in desk.channel(channel_id).balances] == [1000000_00, 0]


def test_a_settlement_is_final_on_the_channel_it_is_neither_held_nor_rejected() -> None:
    # The presentation counts its settlement as paid: a settlement held for a second approver could
    # lapse to RJCT, and one rejected by the receiving bank would leave the presentation REIMBURSED
    # against a rejected payment. Dual control applies all the same: above the threshold only an
    # officer with role approver makes it; money goes back only by a return linked to it.
    desk = Desk()
    desk.now = NOW
    channel_id = desk.ready(governance_config(dual_control_threshold=usd("1000.00")), currency="USD",
                            deposit_a="1000000.00", deposit_b="200000.00")
    lc_id, presentation_id, _ = honoured_credit(desk)
    honour = api.HonourRequest(presentation_id=presentation_id, amount=usd("100000.00"))
    desk.credit(caller(BANK_B, "approver"), lambda s, tx: s.honour(tx, honour), at=NOW)
    paid = settlement()
    reimburse = api.ReimburseRequest(presentation_id=presentation_id, amount=usd("100000.00"), settlement=paid)
    with pytest.raises(RuleError, match="needs dual control") as held:  # treasury alone: over the threshold
        desk.credit(caller(BANK_A, "treasury"), lambda s, tx: s.reimburse(tx, reimburse), at=NOW)
    assert held.value.code_name == "ERR_APPROVAL_REQUIRED"
    with pytest.raises(RuleError):  # nothing was written: no payment
        desk.payment(paid.uetr)
    desk.credit(caller(BANK_A, "approver", "senior"), lambda s, tx: s.reimburse(tx, reimburse), at=NOW)
    payment = desk.payment(paid.uetr).payment
    assert payment.status == pay.PAYMENT_STATUS_ACSP  # over the threshold of 1,000.00, yet not held (PDNG)
    assert desk.channel(channel_id).balances[1].balance == 300000_00

    with pytest.raises(RuleError, match=f"settles letter of credit {lc_id}.*return it instead") as refused:
        desk.report(paid.uetr, pay.PAYMENT_STATUS_RJCT, reason_code="AC04")
    assert refused.value.code_name == "ERR_INVALID_STATE"
    assert desk.payment(paid.uetr).payment.status == pay.PAYMENT_STATUS_ACSP  # nothing changed
    assert desk.channel(channel_id).balances[1].balance == 300000_00

    desk.report(paid.uetr, pay.PAYMENT_STATUS_ACCC)  # credited, then sent back by a return linked to it
    back = pay.ReturnPaymentRequest(
        return_uetr=str(uuid.uuid4()), original_uetr=paid.uetr, returned_amount=usd("100000.00"),
        reason_code="AC04", salt=bytes(32),
    )
    returned = desk.pay(caller(BANK_B, "treasury"), lambda s, tx: s.return_payment(tx, back)).payment
    assert (returned.lc_id, returned.presentation_id, returned.return_of_uetr) == (lc_id, presentation_id, paid.uetr)
