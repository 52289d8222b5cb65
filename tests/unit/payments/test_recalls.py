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
from tradefin.chaincode.contracts.payments.transfers import MAX_RECALLS
from tradefin.protos import payments_pb2 as pay

from .support import BANK_A, BANK_B, Desk, caller, money, payment_request

A_TREASURY, B_TREASURY = caller(BANK_A, "treasury"), caller(BANK_B, "treasury")


def paid(desk: Desk, channel_id: str, amount: str = "1000.00", *, status: int = pay.PAYMENT_STATUS_ACCC) -> str:
    request = payment_request(channel_id, amount)
    desk.initiate(request)
    if status != pay.PAYMENT_STATUS_ACSP:
        desk.report(request.uetr, status)  # type: ignore[arg-type]
    return request.uetr


def recall(
    desk: Desk, uetr: str, reason: str = "DUPL", who: Caller = A_TREASURY, recall_id: str | None = None
) -> pay.PaymentStub:
    request = pay.RecallPaymentRequest(uetr=uetr, reason_code=reason, recall_id=recall_id or str(uuid.uuid4()))
    return desk.pay(who, lambda s, tx: s.recall_payment(tx, request)).payment


def recalls(desk: Desk, uetr: str) -> list[pay.PaymentRecall]:
    record = desk.payment(uetr).record
    return list(record.recalls)


def reject(
    desk: Desk, uetr: str, reason: str = "CUST", who: Caller = B_TREASURY, recall_id: str | None = None
) -> pay.PaymentStub:
    recall_id = recall_id or recalls(desk, uetr)[-1].recall_id
    request = pay.RejectRecallRequest(uetr=uetr, reason_code=reason, recall_id=recall_id)
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
    recall_id = str(uuid.uuid4())
    stub = recall(desk, uetr, "DUPL", recall_id=recall_id)
    assert stub.status == pay.PAYMENT_STATUS_ACCC and stub.version == 3  # the status stands (INV-PAY-05)
    assert desk.channel(channel_id).balances == balances  # a recall moves nothing
    [opened] = recalls(desk, uetr)
    assert (opened.recall_id, opened.status, opened.reason_code, opened.requested_tx_id) == (
        recall_id,
        pay.RECALL_STATUS_REQUESTED,
        "DUPL",
        stub.updated_tx_id,
    )
    name, payload = desk.ledger.events[-1]
    assert name == "payment.annotated" and b"DUPL" not in payload and b"recall" not in payload
    before = dict(desk.ledger.state)
    assert recall(desk, uetr, "DUPL", recall_id=recall_id) == stub and desk.ledger.state == before  # a replay

    back = give_back(desk, uetr, "1000.00")
    [answered] = recalls(desk, uetr)
    assert (answered.status, answered.return_uetr) == (pay.RECALL_STATUS_ACCEPTED, back.return_uetr)
    assert answered.resolved_at.seconds and list(desk.payment(uetr).payment.return_uetrs) == [back.return_uetr]
    settled = desk.payment(uetr).payment
    assert recall(desk, uetr, "DUPL", recall_id=recall_id) == settled  # a replay after the answer: as it stands
    assert "was returned in full" in refusal(lambda: recall(desk, uetr)).text


def test_a_rejected_recall_leaves_the_payment_and_another_may_follow(desk: Desk, channel_id: str) -> None:
    uetr = paid(desk, channel_id)
    first_id = str(uuid.uuid4())
    recall(desk, uetr, "FRAD", recall_id=first_id)
    rejected = reject(desk, uetr, "LEGL")
    [first] = recalls(desk, uetr)
    assert (first.status, first.rejection_reason) == (pay.RECALL_STATUS_REJECTED, "LEGL")
    assert rejected.status == pay.PAYMENT_STATUS_ACCC and not rejected.return_uetrs
    assert desk.ledger.events[-1][0] == "payment.annotated"
    before = dict(desk.ledger.state)
    assert reject(desk, uetr, "LEGL") == rejected and desk.ledger.state == before  # a retry: answered already
    assert refusal(lambda: reject(desk, uetr, "NOAS")).code_name == "ERR_INVALID_STATE"
    # a replay of the first recall does not reopen it
    assert recall(desk, uetr, "FRAD", recall_id=first_id) == rejected and desk.ledger.state == before
    assert refusal(lambda: recall(desk, uetr, "TECH", recall_id=first_id)).code_name == "ERR_DUPLICATE"
    # without an open recall, FOCR answers nothing
    assert "no recall of payment" in refusal(lambda: give_back(desk, uetr, "10.00")).text
    second = recall(desk, uetr, "CUST")
    assert [item.status for item in recalls(desk, uetr)] == [pay.RECALL_STATUS_REJECTED, pay.RECALL_STATUS_REQUESTED]
    assert second.version == rejected.version + 1
    error = refusal(lambda: reject(desk, uetr, "CUST", recall_id=str(uuid.uuid4())))
    assert (error.code_name, error.field) == ("ERR_NOT_FOUND", "recall_id")


def test_one_recall_at_a_time(desk: Desk, channel_id: str) -> None:
    uetr = paid(desk, channel_id)
    recall(desk, uetr, "DUPL")
    error = refusal(lambda: recall(desk, uetr, "FRAD"))
    assert error.code_name == "ERR_INVALID_STATE" and "waits for its answer" in error.text


def test_a_partial_focr_return_accepts_and_the_rest_may_be_recalled(desk: Desk, channel_id: str) -> None:
    uetr = paid(desk, channel_id)
    recall(desk, uetr, "FRAD")
    part = give_back(desk, uetr, "300.00")
    assert recalls(desk, uetr)[-1].return_uetr == part.return_uetr
    recall(desk, uetr, "FRAD")  # the other 700.00
    rest = give_back(desk, uetr, "700.00")
    assert [(item.status, item.return_uetr) for item in recalls(desk, uetr)] == [
        (pay.RECALL_STATUS_ACCEPTED, part.return_uetr),
        (pay.RECALL_STATUS_ACCEPTED, rest.return_uetr),
    ]


def test_a_return_for_another_reason_answers_the_recall_once_nothing_is_left(desk: Desk, channel_id: str) -> None:
    uetr = paid(desk, channel_id)
    recall(desk, uetr, "DUPL")
    give_back(desk, uetr, "400.00", "AC04")
    assert recalls(desk, uetr)[-1].status == pay.RECALL_STATUS_REQUESTED  # 600.00 left: still open
    last = give_back(desk, uetr, "600.00", "AC04")
    assert (recalls(desk, uetr)[-1].status, recalls(desk, uetr)[-1].return_uetr) == (
        pay.RECALL_STATUS_ACCEPTED,
        last.return_uetr,
    )


def test_a_payment_rejected_while_its_recall_is_open_answers_it(desk: Desk, channel_id: str) -> None:
    uetr = paid(desk, channel_id, status=pay.PAYMENT_STATUS_ACSP)  # its cycle is open
    recall(desk, uetr, "TECH")
    desk.report(uetr, pay.PAYMENT_STATUS_RJCT, reason_code="AC04")
    [answered] = recalls(desk, uetr)
    assert answered.status == pay.RECALL_STATUS_ACCEPTED and not answered.return_uetr


def test_a_payment_settled_at_the_agent_is_recalled(desk: Desk, channel_id: str) -> None:
    uetr = paid(desk, channel_id, status=pay.PAYMENT_STATUS_ACSC)
    assert recall(desk, uetr).status == pay.PAYMENT_STATUS_ACSC


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
    assert recalls(desk, uetr)[-1].status == pay.RECALL_STATUS_REQUESTED


def test_what_cannot_be_recalled(desk: Desk, channel_id: str) -> None:
    pending = payment_request(channel_id, "240000.00")  # above the dual-control threshold: PDNG
    desk.initiate(pending, who=caller(BANK_A, "treasury", "maker"))
    assert "only a payment that moved" in refusal(lambda: recall(desk, pending.uetr)).text

    rejected = paid(desk, channel_id, status=pay.PAYMENT_STATUS_ACSP)
    desk.report(rejected, pay.PAYMENT_STATUS_RJCT, reason_code="AC04")
    assert refusal(lambda: recall(desk, rejected)).code_name == "ERR_INVALID_STATE"

    returned = paid(desk, channel_id, "500.00")
    back = give_back(desk, returned, "500.00", "AC04")
    assert "was returned in full" in refusal(lambda: recall(desk, returned)).text
    assert "a return is not recalled" in refusal(lambda: recall(desk, back.return_uetr, who=B_TREASURY)).text


def test_nothing_is_recalled_on_a_closed_channel(desk: Desk, channel_id: str) -> None:
    uetr = paid(desk, channel_id)
    desk.settle(channel_id, desk.net(channel_id).cycle, B_TREASURY, str(uuid.uuid4()))
    desk.pay(A_TREASURY, lambda s, tx: s.close_channel(tx, pay.CloseChannelRequest(channel_id=channel_id)))
    error = refusal(lambda: recall(desk, uetr))
    assert error.code_name == "ERR_INVALID_STATE" and "nothing comes back on it" in error.text


def test_a_payment_is_recalled_a_bounded_number_of_times(desk: Desk, channel_id: str) -> None:
    uetr = paid(desk, channel_id)
    for _ in range(MAX_RECALLS):
        recall(desk, uetr)
        reject(desk, uetr)
    assert f"was recalled {MAX_RECALLS} times" in refusal(lambda: recall(desk, uetr)).text


@pytest.mark.parametrize(
    ("uetr", "reason", "recall_id", "field"),
    [
        ("not-a-uetr", "DUPL", None, "uetr"),
        (str(uuid.uuid4()).upper(), "DUPL", None, "uetr"),
        (None, "", None, "reason_code"),
        (None, "dupl", None, "reason_code"),
        (None, "DUPLI", None, "reason_code"),
        (None, "DUPL", "case-1", "recall_id"),
    ],
)
def test_a_malformed_recall_is_refused_naming_the_field(
    desk: Desk, channel_id: str, uetr: str | None, reason: str, recall_id: str | None, field: str
) -> None:
    target = uetr or paid(desk, channel_id)
    before = dict(desk.ledger.state)
    error = refusal(lambda: recall(desk, target, reason, recall_id=recall_id))
    assert (error.code_name, error.field) == ("ERR_INVALID_INPUT", field)
    assert desk.ledger.state == before


def test_an_unknown_payment_is_not_found(desk: Desk, channel_id: str) -> None:
    error = refusal(lambda: recall(desk, str(uuid.uuid4())))
    assert (error.code_name, error.field) == ("ERR_NOT_FOUND", "uetr")
    error = refusal(lambda: reject(desk, str(uuid.uuid4()), recall_id=str(uuid.uuid4())))
    assert (error.code_name, error.field) == ("ERR_NOT_FOUND", "uetr")
