"""FX quotes (DOMAIN.md section 3.3, INV-PAY-04, INV-PAY-06): rate, margin and every fee disclosed
before acceptance; valid until a time; used once, only for its currency pair, by the bank it was
made for, and for no more than the quoted amount.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Final

from tradefin.chaincode.contracts.letters_of_credit.access import Role, Transaction, require_bank
from tradefin.chaincode.contracts.letters_of_credit.money import exponent
from tradefin.chaincode.contracts.letters_of_credit.records import SALT_BYTES, record_hash
from tradefin.chaincode.contracts.letters_of_credit.validation import check_bic, check_money, check_uuid4, to_datetime
from tradefin.protos import common_pb2
from tradefin.protos import payments_pb2 as pay

from ..compliance.audit import audit_event
from ..compliance.errors import duplicate, invalid_input, invalid_state, not_found, quote_expired
from ..compliance.ledger import Transition
from ..compliance.rates import Rate, parse_rate
from .amounts import check_fee_shapes, check_fees
from .channels import PAYING_STATES, ChannelFile, state_name
from .records import parse_channel_id, quote_key, quote_record_key

#: Longest validity a quote may have.
MAX_VALIDITY: Final = datetime.timedelta(hours=24)
MAX_MARGIN_BPS: Final = 10_000


@dataclass(frozen=True)
class QuoteFile:
    """A quote's public stub and private record."""

    stub: pay.QuoteStub
    record: pay.FxQuote

    @property
    def rate(self) -> Rate:
        """The quoted rate."""
        return parse_rate(self.record.rate, "quote.rate")


def status_name(status: pay.QuoteStatus.ValueType) -> str:
    """``OPEN`` for QUOTE_STATUS_OPEN."""
    return pay.QuoteStatus.Name(status).removeprefix("QUOTE_STATUS_")


def check_validity(valid_until: datetime.datetime, now: datetime.datetime) -> None:
    """A quote stands after ``now`` (the proposal's time) and for at most :data:`MAX_VALIDITY`."""
    if not now < valid_until <= now + MAX_VALIDITY:
        raise invalid_input("quote.valid_until", f"after now and at most {MAX_VALIDITY} ahead")


def check_quote(given: pay.FxQuote) -> None:
    """A quote as its provider states it, checked before the ledger is read (the client checks it
    early): its id, the channel, a bank of the channel to use it and another currency than the
    channel's (both as the channel id names them), the rate and margin, the amount it covers in the
    currency it sells, the fees' shapes and the salt. When it is valid until is the transaction's."""
    check_uuid4(given.quote_id, "quote.quote_id")
    bank_a, bank_b, currency = parse_channel_id(given.channel_id, "quote.channel_id")
    check_bic(given.for_bank_bic, "quote.for_bank_bic")
    if given.for_bank_bic[:8] not in (bank_a, bank_b):
        raise invalid_input("quote.for_bank_bic", "is not a bank of the channel")
    exponent(given.sell_currency, "quote.sell_currency")
    if given.sell_currency == currency:
        raise invalid_input("quote.sell_currency", "a quote converts another currency into the channel's")
    parse_rate(given.rate, "quote.rate")
    if given.margin_bps > MAX_MARGIN_BPS:
        raise invalid_input("quote.margin_bps", f"at most {MAX_MARGIN_BPS}")
    check_money(given.max_sell_amount, "quote.max_sell_amount")
    if given.max_sell_amount.currency != given.sell_currency:
        raise invalid_input("quote.max_sell_amount.currency", "must be the sell currency")
    check_fee_shapes(given.fees, "quote.fees")
    if len(given.salt) != SALT_BYTES:
        raise invalid_input("quote.salt", f"{SALT_BYTES} random bytes")


def create_quote(
    tx: Transaction, request: pay.CreateQuoteRequest, file: ChannelFile, existing: pay.QuoteStub | None
) -> Transition[pay.QuoteResponse]:
    """A bank of the channel (treasury) quotes a conversion into the channel's currency."""
    provider = require_bank(tx.caller, file.banks, (Role.TREASURY,), "quoting an exchange rate")
    if file.stub.state not in PAYING_STATES:
        raise invalid_state(f"channel {file.channel_id} is {state_name(file.stub.state)}")
    given = request.quote
    if existing is not None:
        raise duplicate("quote.quote_id", f"quote {given.quote_id} exists")
    for_bank = file.bank_by_bic(given.for_bank_bic)
    if for_bank is None:  # check_quote found it in the channel id
        raise invalid_input("quote.for_bank_bic", "is not a bank of the channel")
    rate = parse_rate(given.rate, "quote.rate")
    check_fees(given.fees, file.stub.currency, [bank.bic for bank in file.banks], "quote.fees")
    if not given.HasField("valid_until"):
        raise invalid_input("quote.valid_until", "is required")
    check_validity(to_datetime(given.valid_until, "quote.valid_until"), tx.timestamp)
    record = pay.FxQuote(
        quote_id=given.quote_id,
        channel_id=file.channel_id,
        salt=given.salt,
        provider_bic=provider.bic[:8],
        for_bank_bic=for_bank.bic[:8],
        sell_currency=given.sell_currency,
        buy_currency=file.stub.currency,
        rate=str(rate),
        margin_bps=given.margin_bps,
        max_sell_amount=given.max_sell_amount,
        fees=given.fees,
        quoted_at=tx.timestamp_proto(),
        valid_until=given.valid_until,
    )
    stub = pay.QuoteStub(
        quote_id=given.quote_id,
        channel_id=file.channel_id,
        provider_bic=provider.bic[:8],
        for_bank_bic=for_bank.bic[:8],
        status=pay.QUOTE_STATUS_OPEN,
        valid_until=given.valid_until,
        version=1,
        created_tx_id=tx.tx_id,
        updated_tx_id=tx.tx_id,
    )
    return Transition(
        response=pay.QuoteResponse(quote=stub),
        writes=(
            file.public(quote_key(given.quote_id), stub),
            file.private(quote_record_key(given.quote_id), record),
        ),
        event=audit_event(
            tx,
            "quote.created",
            object_type="quote",
            object_id=given.quote_id,
            to_state="OPEN",
            payload_hash=record_hash(record),
        ),
    )


def use_quote(
    tx: Transaction,
    quote: QuoteFile | None,
    *,
    quote_id: str,
    channel_id: str,
    sender_bic: str,
    instructed: common_pb2.Money,
    uetr: str,
) -> pay.QuoteStub:
    """Check a quote for a payment and return its stub marked USED by it.

    Refusals: unknown quote (ERR_NOT_FOUND), another channel, bank or currency pair or an amount above
    the quoted one (ERR_INVALID_INPUT), already used (ERR_INVALID_STATE), past its validity
    (ERR_QUOTE_EXPIRED).
    """
    if quote is None:
        raise not_found("quote_id", f"no quote {quote_id}")
    stub, record = quote.stub, quote.record
    if stub.channel_id != channel_id:
        raise invalid_input("quote_id", "the quote is for another payment channel")
    if stub.for_bank_bic != sender_bic[:8]:
        raise invalid_input("quote_id", "the quote was made for another bank")
    if stub.status != pay.QUOTE_STATUS_OPEN:
        raise invalid_state(f"quote {quote_id} was used by payment {stub.used_by_uetr}: a quote is used once")
    if tx.timestamp >= stub.valid_until.ToDatetime(datetime.UTC):
        raise quote_expired(f"quote {quote_id} expired at {stub.valid_until.ToDatetime(datetime.UTC).isoformat()}")
    if instructed.currency != record.sell_currency:
        raise invalid_input("instructed_amount.currency", f"the quote sells {record.sell_currency}")
    if instructed.minor_units > record.max_sell_amount.minor_units:
        raise invalid_input("instructed_amount", "exceeds the quoted amount")
    used = pay.QuoteStub()
    used.CopyFrom(stub)
    used.status = pay.QUOTE_STATUS_USED
    used.used_by_uetr = uetr
    used.version += 1
    used.updated_tx_id = tx.tx_id
    return used
