"""Dual control (DOMAIN.md 4.4): above the threshold, or for a HIGH-risk party or a high-risk country,
a payment waits for a second officer of the same bank with the approver role; it lapses otherwise."""

from __future__ import annotations

import datetime

import pytest

from tradefin.chaincode.contracts.compliance.errors import RuleError
from tradefin.protos import common_pb2
from tradefin.protos import compliance_pb2 as cp
from tradefin.protos import payments_pb2 as pay

from .support import BANK_A, BANK_B, CREDITOR, Desk, caller, payment_request

#: One officer holding both roles: still not a second approver of their own payment.
MAKER = caller(BANK_A, "treasury,approver", "maker")


@pytest.fixture()
def desk() -> Desk:
    return Desk()


@pytest.fixture()
def channel_id(desk: Desk) -> str:
    return desk.ready(deposit_a="900000.00")


def approve(desk: Desk, uetr: str, who: object, at: datetime.datetime | None = None) -> pay.PaymentStub:
    request = pay.ApprovePaymentRequest(uetr=uetr, slot_hint=1)
    return desk.pay(who, lambda s, tx: s.approve_payment(tx, request), at=at).payment  # type: ignore[arg-type]


def test_above_the_threshold_a_payment_waits_for_a_second_approver(desk: Desk, channel_id: str) -> None:
    request = payment_request(channel_id, "240000.00")  # 259,200 USD >= 250,000 USD
    pending = desk.initiate(request, who=MAKER)
    assert (pending.status, pending.cycle) == (pay.PAYMENT_STATUS_PDNG, 0)
    assert desk.channel(channel_id).balances[0].sent_unfrozen == 0
    assert desk.channel(channel_id).pending_approvals == 1
    with pytest.raises(RuleError) as error:
        desk.report(request.uetr, pay.PAYMENT_STATUS_ACCC)
    assert error.value.code_name == "ERR_APPROVAL_REQUIRED"
    for who, match in (
        (MAKER, "cannot approve"),
        (caller(BANK_A, "treasury", "other"), "role approver"),
        (caller(BANK_B, "approver"), "reserved to"),
    ):
        with pytest.raises(RuleError, match=match) as error:
            approve(desk, request.uetr, who)
        assert error.value.code_name == "ERR_UNAUTHORIZED"
    approved = approve(desk, request.uetr, caller(BANK_A, "approver", "second"))
    assert approved.status == pay.PAYMENT_STATUS_ACSP and approved.cycle == 1
    record = desk.payment(request.uetr).record
    assert record.approver_hash and record.approver_hash != record.maker_hash
    assert desk.channel(channel_id).pending_approvals == 0
    assert list(record.reportable_in) == ["HK"]


def test_a_late_approval_is_refused_and_the_payment_lapses(desk: Desk, channel_id: str) -> None:
    request = payment_request(channel_id, "240000.00")
    desk.initiate(request, who=MAKER)
    close = pay.CloseChannelRequest(channel_id=channel_id)
    with pytest.raises(RuleError, match="wait for approval"):
        desk.pay(MAKER, lambda s, tx: s.close_channel(tx, close))
    lapse = pay.LapsePaymentRequest(uetr=request.uetr)
    with pytest.raises(RuleError, match="still open"):
        desk.pay(MAKER, lambda s, tx: s.lapse_payment(tx, lapse))
    late = desk.now + datetime.timedelta(hours=24, seconds=1)
    with pytest.raises(RuleError) as error:
        approve(desk, request.uetr, caller(BANK_A, "approver", "second"), at=late)
    assert error.value.code_name == "ERR_EXPIRED"
    lapsed = desk.pay(MAKER, lambda s, tx: s.lapse_payment(tx, lapse), at=late).payment
    assert lapsed.status == pay.PAYMENT_STATUS_RJCT and lapsed.status_history[-1].reason_code == "NARR"
    assert desk.pay(MAKER, lambda s, tx: s.close_channel(tx, close)).channel.state == pay.PAYMENT_CHANNEL_STATE_CLOSED


def test_risk_calls_for_a_second_approver_whatever_the_amount(desk: Desk, channel_id: str) -> None:
    desk.vouch(BANK_B, CREDITOR, risk_rating=cp.RISK_RATING_HIGH)
    assert desk.initiate(payment_request(channel_id, "10.00")).status == pay.PAYMENT_STATUS_PDNG
    desk.vouch(BANK_B, CREDITOR)
    yangon = common_pb2.PartyRef(name="YANGON RICE CO", country="MM", kyc_ref="KYC-DE-001")
    assert desk.initiate(payment_request(channel_id, "10.00", creditor=yangon)).status == pay.PAYMENT_STATUS_PDNG
    assert desk.initiate(payment_request(channel_id, "10.00")).status == pay.PAYMENT_STATUS_ACSP
