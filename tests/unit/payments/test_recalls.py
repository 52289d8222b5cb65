"""Recalls (camt.056): the debtor agent asks for a payment back; the creditor agent answers with a
return under reason FOCR (the recall is accepted), a rejection of the payment while its cycle is open,
or a camt.029 rejection of the recall. Nothing moves on the recall itself, and its reasons stay in the
private record."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from tradefin.chaincode.contracts.compliance.errors import RuleError
from tradefin.chaincode.contracts.letters_of_credit.access import Caller
from tradefin.protos import payments_pb2 as pay

from .support import BANK_A, BANK_B, Desk, caller, money, payment_request

A_TREASURY, B_TREASURY = caller(BANK_A, "treasury"), caller(BANK_B, "treasury")


@pytest.fixture()
def desk() -> Desk:
    return Desk()


@pytest.fixture()
def channel_id(desk: Desk) -> str:
    return desk.ready(deposit_a="10000.00", deposit_b="10000.00", credit_a="2000.00")


def paid(desk: Desk, channel_id: str, amount: str = "1000.00", *, credited: bool = True) -> str:
    request = payment_request(channel_id, amount)
    desk.initiate(request)
    if credited:
        desk.report(request.uetr, pay.PAYMENT_STATUS_ACCC)
    return request.uetr


def recall(desk: Desk, uetr: str, reason: str = "DUPL", who: Caller = A_TREASURY) -> pay.PaymentStub:
    request = pay.RecallPaymentRequest(uetr=uetr, reason_code=reason)
    return desk.pay(who, lambda s, tx: s.recall_payment(tx, request)).payment


def reject(desk: Desk, uetr: str, reason: str = "CUST", who: Caller = B_TREASURY) -> pay.PaymentStub:
    request = pay.RejectRecallRequest(uetr=uetr, reason_code=reason)
    return desk.pay(who, lambda s, tx: s.reject_recall(tx, request)).payment


def give_back(desk: Desk, uetr: str, amount: str, reason: str = "FOCR") -> pay.ReturnPaymentRequest:
    back = pay.ReturnPaymentRequest(
        return_uetr=str(uuid.uuid4()),
        original_uetr=uetr,
        returned_amount=money(amount),
        reason_code=reason,
        salt=bytes(32),
    )
    desk.pay(B_TREASURY, lambda s, tx: s.return_payment(tx, back))
    return back


def refusal(call: Callable[[], object]) -> RuleError:
    with pytest.raises(RuleError) as error:
        call()
    return error.value


def test_a_recall_answered_by_a_return_is_accepted_and_names_the_return(desk: Desk, channel_id: str) -> None:
    uetr = paid(desk, channel_id)
    balances = desk.channel(channel_id).balances
    stub = recall(desk, uetr, "DUPL")
    assert stub.status == pay.PAYMENT_STATUS_ACCC and stub.version == 3  # the status stands (INV-PAY-05)
    assert desk.channel(channel_id).balances == balances  # a recall moves nothing
    record = desk.payment(uetr).record
    assert record is not None
    opened = record.recall
    assert (opened.status, opened.reason_code, opened.requested_tx_id) == (
        pay.RECALL_STATUS_REQUESTED,
        "DUPL",
        stub.updated_tx_id,
    )
    name, payload = desk.ledger.events[-1]
    assert name == "payment.recalled" and b"DUPL" not in payload  # the reason is the banks' own

    back = give_back(desk, uetr, "1000.00")
    answered = desk.payment(uetr)
    assert answered.record.recall.status == pay.RECALL_STATUS_ACCEPTED
    assert answered.record.recall.return_uetr == back.return_uetr and answered.record.recall.resolved_at.seconds
    assert list(answered.payment.return_uetrs) == [back.return_uetr]
    with pytest.raises(RuleError, match="was accepted"):
        recall(desk, uetr)


def test_a_rejected_recall_leaves_the_payment_and_may_be_asked_again(desk: Desk, channel_id: str) -> None:
    uetr = paid(desk, channel_id)
    recall(desk, uetr, "FRAD")
    rejected = reject(desk, uetr, "LEGL")
    record = desk.payment(uetr).record
    assert (record.recall.status, record.recall.rejection_reason) == (pay.RECALL_STATUS_REJECTED, "LEGL")
    assert rejected.status == pay.PAYMENT_STATUS_ACCC and not rejected.return_uetrs
    assert desk.ledger.events[-1][0] == "payment.recall_rejected"
    before = dict(desk.ledger.state)
    assert reject(desk, uetr, "LEGL") == rejected and desk.ledger.state == before  # a retry: answered already
    assert refusal(lambda: reject(desk, uetr, "NOAS")).code_name == "ERR_INVALID_STATE"
    # without an open recall, FOCR answers nothing; another reason returns as always
    assert "no recall of payment" in refusal(lambda: give_back(desk, uetr, "10.00")).text
    again = recall(desk, uetr, "CUST")
    assert desk.payment(uetr).record.recall.status == pay.RECALL_STATUS_REQUESTED
    assert again.version == rejected.version + 1


def test_asking_again_with_the_same_reason_changes_nothing_another_reason_is_refused(
    desk: Desk, channel_id: str
) -> None:
    uetr = paid(desk, channel_id)
    first = recall(desk, uetr, "DUPL")
    before = dict(desk.ledger.state)
    assert recall(desk, uetr, "DUPL") == first and desk.ledger.state == before
    error = refusal(lambda: recall(desk, uetr, "FRAD"))
    assert error.code_name == "ERR_INVALID_STATE" and "is open (reason DUPL)" in error.text
    # a return for another reason leaves the recall open; the FOCR return of the rest answers it
    give_back(desk, uetr, "400.00", "AC04")
    assert desk.payment(uetr).record.recall.status == pay.RECALL_STATUS_REQUESTED
    give_back(desk, uetr, "600.00")
    assert desk.payment(uetr).record.recall.status == pay.RECALL_STATUS_ACCEPTED


def test_a_payment_rejected_while_its_recall_is_open_answers_it(desk: Desk, channel_id: str) -> None:
    uetr = paid(desk, channel_id, credited=False)
    recall(desk, uetr, "TECH")  # still ACSP: its cycle is open
    desk.report(uetr, pay.PAYMENT_STATUS_RJCT, reason_code="AC04")
    record = desk.payment(uetr).record
    assert record.recall.status == pay.RECALL_STATUS_ACCEPTED and not record.recall.return_uetr


@pytest.mark.parametrize(
    ("who", "code"),
    [
        (B_TREASURY, "ERR_UNAUTHORIZED"),  # the creditor agent does not recall
        (caller(BANK_A, "approver"), "ERR_UNAUTHORIZED"),
        (caller(BANK_A, "auditor"), "ERR_UNAUTHORIZED"),
    ],
)
def test_only_the_debtor_agents_treasury_recalls(desk: Desk, channel_id: str, who: Caller, code: str) -> None:
    uetr = paid(desk, channel_id)
    before = dict(desk.ledger.state)
    assert refusal(lambda: recall(desk, uetr, who=who)).code_name == code
    assert desk.ledger.state == before


def test_only_the_creditor_agents_treasury_rejects_a_recall(desk: Desk, channel_id: str) -> None:
    uetr = paid(desk, channel_id)
    recall(desk, uetr)
    assert refusal(lambda: reject(desk, uetr, who=A_TREASURY)).code_name == "ERR_UNAUTHORIZED"
    assert refusal(lambda: reject(desk, uetr, who=caller(BANK_B, "approver"))).code_name == "ERR_UNAUTHORIZED"
    assert desk.payment(uetr).record.recall.status == pay.RECALL_STATUS_REQUESTED


def test_what_cannot_be_recalled(desk: Desk, channel_id: str) -> None:
    pending = payment_request(channel_id, "240000.00")  # above the dual-control threshold: PDNG
    desk.initiate(pending, who=caller(BANK_A, "treasury", "maker"))
    assert "only a payment that moved" in refusal(lambda: recall(desk, pending.uetr)).text

    rejected = paid(desk, channel_id, credited=False)
    desk.report(rejected, pay.PAYMENT_STATUS_RJCT, reason_code="AC04")
    assert refusal(lambda: recall(desk, rejected)).code_name == "ERR_INVALID_STATE"

    returned = paid(desk, channel_id, "500.00")
    back = give_back(desk, returned, "500.00", "AC04")
    assert "was returned in full" in refusal(lambda: recall(desk, returned)).text
    assert "a return is not recalled" in refusal(lambda: recall(desk, back.return_uetr, who=B_TREASURY)).text


@pytest.mark.parametrize(
    ("uetr", "reason", "field"),
    [
        ("not-a-uetr", "DUPL", "uetr"),
        (str(uuid.uuid4()).upper(), "DUPL", "uetr"),
        (None, "", "reason_code"),
        (None, "dupl", "reason_code"),
        (None, "DUPLI", "reason_code"),
    ],
)
def test_a_malformed_recall_is_refused_naming_the_field(
    desk: Desk, channel_id: str, uetr: str | None, reason: str, field: str
) -> None:
    target = uetr or paid(desk, channel_id)
    before = dict(desk.ledger.state)
    error = refusal(lambda: recall(desk, target, reason))
    assert (error.code_name, error.field) == ("ERR_INVALID_INPUT", field)
    assert desk.ledger.state == before


def test_an_unknown_payment_is_not_found(desk: Desk, channel_id: str) -> None:
    error = refusal(lambda: recall(desk, str(uuid.uuid4())))
    assert (error.code_name, error.field) == ("ERR_NOT_FOUND", "uetr")
    error = refusal(lambda: reject(desk, str(uuid.uuid4())))
    assert (error.code_name, error.field) == ("ERR_NOT_FOUND", "uetr")
