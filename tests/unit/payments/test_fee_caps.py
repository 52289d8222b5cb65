"""Fee lists are bounded: a quote's fees, a payment's disclosed and charged fees and a status report's
charges hold at most MAX_FEES entries; one more is ERR_INVALID_INPUT naming the list and the bound, and
the refused request changes nothing on the ledger."""

from __future__ import annotations

import datetime
import uuid

import pytest

from tradefin.chaincode.contracts.payments.amounts import MAX_FEES
from tradefin.protos import payments_pb2 as pay

from .support import BANK_A, BANK_B, Desk, caller, money, payment_request, refused_over_bound, stamp

B_TREASURY = caller(BANK_B, "treasury")


def fees(bank_bic: str, count: int) -> list[pay.Fee]:
    """``count`` fees of 0.10 each charged by one agent."""
    return [pay.Fee(agent_bic=bank_bic, amount=money("0.10"), kind="COMM")] * count


@pytest.fixture()
def desk() -> Desk:
    return Desk()


@pytest.fixture()
def channel_id(desk: Desk) -> str:
    return desk.ready(deposit_a="10000.00", deposit_b="10000.00")


@pytest.mark.parametrize("name", ["fees_disclosed", "fees_charged"])
def test_a_payments_fee_lists_are_bounded(desk: Desk, channel_id: str, name: str) -> None:
    assert MAX_FEES == 10
    disclosed = fees(BANK_A.bic, MAX_FEES)

    def initiate(count: int) -> pay.PaymentStub:
        lists = {"fees_disclosed": disclosed, "fees_charged": disclosed[:1]}  # charged within the disclosure
        lists[name] = fees(BANK_A.bic, count)
        request = payment_request(channel_id, "1000.00", charge_bearer=pay.CHARGE_BEARER_CRED, **lists)
        return desk.initiate(request)

    refused_over_bound(desk, name, f"{MAX_FEES} fees", lambda: initiate(MAX_FEES + 1))
    stub = initiate(MAX_FEES)
    assert len(getattr(desk.payment(stub.uetr).record, name)) == MAX_FEES


def test_a_quotes_fees_are_bounded(desk: Desk, channel_id: str) -> None:
    def create(count: int) -> pay.QuoteStub:
        quote = pay.FxQuote(
            quote_id=str(uuid.uuid4()),
            channel_id=channel_id,
            for_bank_bic=BANK_A.bic,
            sell_currency="HKD",
            rate="0.11731",
            max_sell_amount=money("100000.00", "HKD"),
            fees=fees(BANK_B.bic, count),
            valid_until=stamp(desk.now + datetime.timedelta(minutes=10)),
            salt=bytes(32),
        )
        request = pay.CreateQuoteRequest(quote=quote)
        return desk.pay(B_TREASURY, lambda s, tx: s.create_quote(tx, request)).quote

    refused_over_bound(desk, "quote.fees", f"{MAX_FEES} fees", lambda: create(MAX_FEES + 1))
    created = create(MAX_FEES)
    answer = desk.ask(B_TREASURY, lambda s, c: s.get_quote(c, pay.GetQuoteRequest(quote_id=created.quote_id)))
    assert len(answer.record.fees) == MAX_FEES


def test_a_status_reports_charges_are_bounded(desk: Desk, channel_id: str) -> None:
    request = payment_request(channel_id, "1000.00", fees_disclosed=fees(BANK_B.bic, MAX_FEES))
    desk.initiate(request)

    def report(count: int) -> pay.PaymentStub:
        return desk.report(request.uetr, pay.PAYMENT_STATUS_ACCC, fees_charged=fees(BANK_B.bic, count))

    refused_over_bound(desk, "fees_charged", f"{MAX_FEES} fees", lambda: report(MAX_FEES + 1))
    assert report(MAX_FEES).status == pay.PAYMENT_STATUS_ACCC
    record = desk.payment(request.uetr).record
    assert len(record.fees_charged) == MAX_FEES
    assert record.credited_amount.minor_units == 1000_00 - MAX_FEES * 10  # SHAR: the creditor agent's deducted
