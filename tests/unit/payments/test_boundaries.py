"""Checks at their edges (INV-PAY-07, DOMAIN.md 4.4): the dual-control threshold itself, a country's
cap, the creditor agent's charges reported once, and no approval on a suspended channel. Each test
fails if its check is removed or loosened by one step."""

from __future__ import annotations

import pytest

from tradefin.chaincode.contracts.compliance.errors import RuleError
from tradefin.protos import compliance_pb2 as cp
from tradefin.protos import payments_pb2 as pay

from .support import BANK_A, BANK_B, Desk, caller, governance_config, money, payment_request

MAKER = caller(BANK_A, "treasury", "maker")
APPROVER = caller(BANK_A, "approver", "second")


def initiate_refused(desk: Desk, request: pay.InitiatePaymentRequest, code: str, match: str) -> None:
    with pytest.raises(RuleError, match=match) as error:
        desk.initiate(request)
    assert error.value.code_name == code
    with pytest.raises(RuleError):  # nothing was written
        desk.payment(request.uetr)


def test_a_payment_of_exactly_the_dual_control_threshold_waits_for_a_second_approver() -> None:
    desk = Desk()
    # EUR at 1.08: 100,000.00 EUR is exactly 108,000.00 USD, the threshold; one cent less is under it
    channel_id = desk.ready(governance_config(dual_control_threshold=money("108000.00", "USD")),
                            deposit_a="500000.00")
    at = payment_request(channel_id, "100000.00")
    assert desk.initiate(at, who=MAKER).status == pay.PAYMENT_STATUS_PDNG
    under = payment_request(channel_id, "99999.99")
    assert desk.initiate(under, who=MAKER).status == pay.PAYMENT_STATUS_ACSP


def test_a_countrys_cap_refuses_a_payment_to_or_from_it_above_the_cap() -> None:
    desk = Desk()
    caps = [cp.CountryCap(country="DE", max_per_payment=money("10800.00", "USD"))]  # 10,000.00 EUR
    channel_id = desk.ready(governance_config(country_caps=caps), deposit_a="500000.00")
    assert desk.initiate(payment_request(channel_id, "10000.00")).status == pay.PAYMENT_STATUS_ACSP  # the cap itself
    initiate_refused(desk, payment_request(channel_id, "10000.01"), "ERR_LIMIT_EXCEEDED", "cap for DE")
    other = [cp.CountryCap(country="FR", max_per_payment=money("10.00", "USD"))]  # not the payment's countries
    elsewhere = Desk()
    channel_fr = elsewhere.ready(governance_config(country_caps=other), deposit_a="500000.00")
    assert elsewhere.initiate(payment_request(channel_fr, "10000.01")).status == pay.PAYMENT_STATUS_ACSP


def test_the_creditor_agents_charges_are_reported_once() -> None:
    desk = Desk()
    channel_id = desk.ready(deposit_a="500000.00")
    disclosed = [pay.Fee(agent_bic=BANK_B.bic, amount=money("7.50"), kind="COMM")]
    request = payment_request(channel_id, "1000.00", charge_bearer=pay.CHARGE_BEARER_CRED, fees_disclosed=disclosed)
    desk.initiate(request)
    part = [pay.Fee(agent_bic=BANK_B.bic, amount=money("2.50"), kind="COMM")]
    desk.report(request.uetr, pay.PAYMENT_STATUS_ACSC, fees_charged=part)
    with pytest.raises(RuleError, match="already reported") as error:  # within the disclosure, but a second time
        desk.report(request.uetr, pay.PAYMENT_STATUS_ACCC, fees_charged=part)
    assert error.value.code_name == "ERR_INVALID_STATE"
    record = desk.payment(request.uetr).record
    assert [fee.amount.minor_units for fee in record.fees_charged] == [250]
    desk.report(request.uetr, pay.PAYMENT_STATUS_ACCC)  # the credit report itself goes through without them
    assert desk.payment(request.uetr).record.credited_amount.minor_units == 997_50


def test_a_payment_is_not_approved_on_a_suspended_channel() -> None:
    desk = Desk()
    channel_id = desk.ready(deposit_a="900000.00")
    request = payment_request(channel_id, "240000.00")  # above the 250,000 USD threshold
    assert desk.initiate(request, who=MAKER).status == pay.PAYMENT_STATUS_PDNG
    suspend = pay.SuspendChannelRequest(channel_id=channel_id)
    desk.pay(caller(BANK_B, "compliance"), lambda s, tx: s.suspend_channel(tx, suspend))
    approval = pay.ApprovePaymentRequest(uetr=request.uetr, slot_hint=1)
    with pytest.raises(RuleError, match="no new payments") as error:
        desk.pay(APPROVER, lambda s, tx: s.approve_payment(tx, approval))
    assert error.value.code_name == "ERR_INVALID_STATE"
    assert desk.payment(request.uetr).payment.status == pay.PAYMENT_STATUS_PDNG
    resume = pay.ResumeChannelRequest(channel_id=channel_id)
    desk.pay(caller(BANK_B, "compliance"), lambda s, tx: s.resume_channel(tx, resume))
    assert desk.pay(APPROVER, lambda s, tx: s.approve_payment(tx, approval)).payment.status == pay.PAYMENT_STATUS_ACSP
