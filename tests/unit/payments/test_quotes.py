"""FX quotes: disclosed before acceptance, valid until a time, single use, bound to the currency pair,
the bank and the quoted amount; conversion half-even to the channel currency's minor unit."""

from __future__ import annotations

import datetime
import uuid

import pytest

from tradefin.chaincode.contracts.compliance.errors import RuleError
from tradefin.protos import payments_pb2 as pay

from .support import BANK_A, BANK_B, Desk, caller, money, payment_request, stamp

A_TREASURY, B_TREASURY = caller(BANK_A, "treasury"), caller(BANK_B, "treasury")


def quote(desk: Desk, channel_id: str, *, rate: str = "0.11731", minutes: int = 10, **fields: object) -> str:
    quote_id = str(uuid.uuid4())
    values: dict[str, object] = {
        "quote_id": quote_id,
        "channel_id": channel_id,
        "for_bank_bic": BANK_A.bic,
        "sell_currency": "HKD",
        "rate": rate,
        "margin_bps": 25,
        "max_sell_amount": money("100000.00", "HKD"),
        "fees": [pay.Fee(agent_bic=BANK_B.bic, amount=money("3.00"), kind="COMM")],
        "valid_until": stamp(desk.now + datetime.timedelta(minutes=minutes)),
        "salt": bytes(32),
    }
    values.update(fields)
    request = pay.CreateQuoteRequest(quote=pay.FxQuote(**values))  # type: ignore[arg-type]
    desk.pay(B_TREASURY, lambda s, tx: s.create_quote(tx, request))
    return quote_id


@pytest.fixture()
def desk() -> Desk:
    return Desk()


@pytest.fixture()
def channel_id(desk: Desk) -> str:
    return desk.ready(deposit_a="100000.00")


def refused(
    desk: Desk, request: pay.InitiatePaymentRequest, code: str, match: str, at: datetime.datetime | None = None
) -> None:
    with pytest.raises(RuleError, match=match) as error:
        desk.initiate(request, at=at)
    assert error.value.code_name == code


def test_a_quoted_payment_converts_half_even_and_uses_the_quote(desk: Desk, channel_id: str) -> None:
    quote_id = quote(desk, channel_id)
    request = payment_request(channel_id, instructed_amount=money("12345.67", "HKD"), quote_id=quote_id)
    desk.initiate(request)
    record = desk.payment(request.uetr).record
    # 12345.67 HKD x 0.11731 = 1448.2704... EUR -> 1448.27
    assert (record.converted_amount.minor_units, record.exchange_rate) == (1448_27, "0.11731")
    assert record.credited_amount.minor_units == 1445_27  # the creditor agent's disclosed 3.00 under SHAR
    stub = desk.ask(A_TREASURY, lambda s, c: s.get_quote(c, pay.GetQuoteRequest(quote_id=quote_id))).quote
    assert (stub.status, stub.used_by_uetr) == (pay.QUOTE_STATUS_USED, request.uetr)
    again = payment_request(channel_id, instructed_amount=money("10.00", "HKD"), quote_id=quote_id)
    refused(desk, again, "ERR_INVALID_STATE", "a quote is used once")


def test_a_tie_rounds_to_even(desk: Desk, channel_id: str) -> None:
    for instructed, expected in (("10.05", 502), ("10.07", 504)):  # 5.025 -> 5.02, 5.035 -> 5.04
        quote_id = quote(desk, channel_id, rate="0.5", fees=[])
        request = payment_request(channel_id, instructed_amount=money(instructed, "HKD"), quote_id=quote_id)
        desk.initiate(request)
        assert desk.payment(request.uetr).record.converted_amount.minor_units == expected


def test_an_expired_quote_is_refused(desk: Desk, channel_id: str) -> None:
    quote_id = quote(desk, channel_id, minutes=1)
    request = payment_request(channel_id, instructed_amount=money("100.00", "HKD"), quote_id=quote_id)
    refused(desk, request, "ERR_QUOTE_EXPIRED", "expired", at=desk.now + datetime.timedelta(minutes=1))


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"instructed_amount": money("100.00", "JPY")}, "the quote sells HKD"),
        ({"instructed_amount": money("100000.01", "HKD")}, "exceeds the quoted amount"),
        ({"fees_disclosed": [pay.Fee(agent_bic=BANK_A.bic, amount=money("1.00"), kind="COMM")]}, "quote's fees"),
    ],
)
def test_a_quote_is_bound_to_its_pair_amount_and_fees(
    desk: Desk, channel_id: str, fields: dict[str, object], match: str
) -> None:
    values: dict[str, object] = {"instructed_amount": money("100.00", "HKD"), "quote_id": quote(desk, channel_id)}
    values.update(fields)
    refused(desk, payment_request(channel_id, **values), "ERR_INVALID_INPUT", match)  # type: ignore[arg-type]


def test_a_quote_is_for_one_bank(desk: Desk, channel_id: str) -> None:
    quote_id = quote(desk, channel_id, for_bank_bic=BANK_B.bic)
    request = payment_request(channel_id, instructed_amount=money("100.00", "HKD"), quote_id=quote_id)
    refused(desk, request, "ERR_INVALID_INPUT", "made for another bank")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"sell_currency": "EUR"}, "quote.sell_currency"),
        ({"rate": "1.123456789012"}, "quote.rate"),
        ({"minutes": 60 * 25}, "quote.valid_until"),
        ({"fees": [pay.Fee(agent_bic="AEXBUS33", amount=money("1.00"))]}, "quote.fees[0].agent_bic"),
    ],
)
def test_quote_terms_are_checked(desk: Desk, channel_id: str, fields: dict[str, object], field: str) -> None:
    with pytest.raises(RuleError) as error:
        quote(desk, channel_id, **fields)  # type: ignore[arg-type]
    assert (error.value.code_name, error.value.field) == ("ERR_INVALID_INPUT", field)


def test_an_extreme_rate_that_overflows_the_converted_amount_is_refused(desk: Desk, channel_id: str) -> None:
    quote_id = quote(desk, channel_id, rate="999999999999", max_sell_amount=money("10000000.00", "HKD"))
    request = payment_request(channel_id, instructed_amount=money("10000000.00", "HKD"), quote_id=quote_id)
    before = dict(desk.ledger.state)
    # 10^9 minor units x 10^12 = 10^21 euro cents: beyond the SWIFT amount format, and beyond an int64
    refused(desk, request, "ERR_INVALID_INPUT", "SWIFT amount format")
    assert desk.ledger.state == before
    stub = desk.ask(A_TREASURY, lambda s, c: s.get_quote(c, pay.GetQuoteRequest(quote_id=quote_id))).quote
    assert stub.status == pay.QUOTE_STATUS_OPEN
