"""Ledger keys of payment channels, payments, batches and quotes; channel ids; the channel's private
data collection; salts of the channel's private records.

Public records (stubs) live in the world state; private records in the collection of the channel's
two banks, ``pay-<MSP id>-<MSP id>`` (sorted), which the chaincode definition declares for every
pair of banks of a consortium channel (:func:`tradefin.chaincode.contracts.collection_definitions`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from tradefin.chaincode.contracts.letters_of_credit.money import exponent
from tradefin.chaincode.contracts.letters_of_credit.records import RecordKey, collection_name, derived_salt
from tradefin.chaincode.contracts.letters_of_credit.validation import check_bic, check_uuid4

from ..compliance.errors import invalid_input

_CHANNEL: Final = "tradefin.pay.channel"
_PENDING: Final = "tradefin.pay.pending"
_POSITION: Final = "tradefin.pay.position"
_SLOT: Final = "tradefin.pay.slot"
_TALLY: Final = "tradefin.pay.tally"
_BATCH: Final = "tradefin.pay.batch"
_BATCH_RECORD: Final = "tradefin.pay.batch.record"
_DEPOSIT: Final = "tradefin.pay.deposit"
_PAYMENT: Final = "tradefin.pay.payment"
_PAYMENT_RECORD: Final = "tradefin.pay.payment.record"
_END_TO_END: Final = "tradefin.pay.e2e"
_QUOTE: Final = "tradefin.pay.quote"
_QUOTE_RECORD: Final = "tradefin.pay.quote.record"
_SETTLEMENT: Final = "tradefin.pay.settlement"
_FUNDING: Final = "tradefin.pay.funding"

#: Object types queries scan (read-only transactions: Fabric refuses writes after a private range
#: query) and the pending-approval markers a close scans (public).
TALLY_TYPE: Final = _TALLY
PENDING_TYPE: Final = _PENDING
SLOT_TYPE: Final = _SLOT

_CHANNEL_ID = re.compile(r"^([A-Z0-9]{8})-([A-Z0-9]{8})-([A-Z]{3})\Z")


def channel_id_of(bic_x: str, bic_y: str, currency: str) -> str:
    """The channel of two banks in a currency: the two BIC8s sorted, then the currency."""
    first, second = sorted((bic_x[:8], bic_y[:8]))
    return f"{first}-{second}-{currency}"


def parse_channel_id(channel_id: str, field: str = "channel_id") -> tuple[str, str, str]:
    """(BIC8 of bank A, BIC8 of bank B, currency) of a well-formed channel id."""
    match = _CHANNEL_ID.match(channel_id)
    if match is None:
        raise invalid_input(field, "a channel id is BIC8-BIC8-CCY with the BICs in ascending order")
    bank_a, bank_b, currency = match.groups()
    check_bic(bank_a, field)
    check_bic(bank_b, field)
    exponent(currency, field)
    if not bank_a < bank_b:
        raise invalid_input(field, "a channel id lists two different BICs in ascending order")
    return bank_a, bank_b, currency


def payment_collection(msp_ids: Iterable[str]) -> str:
    """Private data collection of a payment channel's two banks: ``pay-`` + sorted MSP ids (:func:`collection_name`)."""
    return collection_name("pay", msp_ids)


def _cycle(cycle: int) -> str:
    return f"{cycle:010d}"


def _slot(slot: int) -> str:
    return f"{slot:03d}"


def channel_key(channel_id: str) -> RecordKey:
    """The channel's public stub."""
    parse_channel_id(channel_id)
    return RecordKey(_CHANNEL, (channel_id,))


def pending_key(channel_id: str, uetr: str) -> RecordKey:
    """A payment of the channel waiting for approval (public marker)."""
    return RecordKey(_PENDING, (channel_id, uetr))


def position_key(channel_id: str) -> RecordKey:
    """The channel's balances (private)."""
    return RecordKey(_POSITION, (channel_id,))


def slot_key(channel_id: str, bic: str, slot: int) -> RecordKey:
    """One capacity slot of one bank (private)."""
    return RecordKey(_SLOT, (channel_id, bic[:8], _slot(slot)))


def tally_key(channel_id: str, cycle: int, bic: str, slot: int) -> RecordKey:
    """What a bank sent through one slot in one cycle (private)."""
    return RecordKey(_TALLY, (channel_id, _cycle(cycle), bic[:8], _slot(slot)))


def cycle_prefix(channel_id: str, cycle: int) -> tuple[str, ...]:
    """The attributes every tally key of a cycle starts with."""
    return (channel_id, _cycle(cycle))


def batch_key(channel_id: str, cycle: int) -> RecordKey:
    """A netting batch's public stub."""
    return RecordKey(_BATCH, (channel_id, _cycle(cycle)))


def batch_record_key(channel_id: str, cycle: int) -> RecordKey:
    """A netting batch (private)."""
    return RecordKey(_BATCH_RECORD, (channel_id, _cycle(cycle)))


def deposit_key(channel_id: str, deposit_id: str) -> RecordKey:
    """A deposit (private)."""
    check_uuid4(deposit_id, "deposit_id")
    return RecordKey(_DEPOSIT, (channel_id, deposit_id))


def payment_key(uetr: str, field: str = "uetr") -> RecordKey:
    """A payment's public stub (keyed by the UETR alone: the idempotency key)."""
    check_uuid4(uetr, field)
    return RecordKey(_PAYMENT, (uetr,))


def payment_record_key(uetr: str) -> RecordKey:
    """A payment's private record."""
    return RecordKey(_PAYMENT_RECORD, (uetr,))


def end_to_end_key(channel_id: str, sender_bic: str, end_to_end_id: str) -> RecordKey:
    """The EndToEndId a sending bank used on the channel (private index)."""
    return RecordKey(_END_TO_END, (channel_id, sender_bic[:8], end_to_end_id))


def quote_key(quote_id: str) -> RecordKey:
    """A quote's public stub."""
    check_uuid4(quote_id, "quote_id")
    return RecordKey(_QUOTE, (quote_id,))


def quote_record_key(quote_id: str) -> RecordKey:
    """A quote (private)."""
    return RecordKey(_QUOTE_RECORD, (quote_id,))


def settlement_key(settlement_uetr: str) -> RecordKey:
    """Marks a settlement reference as used (public)."""
    check_uuid4(settlement_uetr, "settlement_uetr")
    return RecordKey(_SETTLEMENT, (settlement_uetr,))


def funding_key(funding_uetr: str) -> RecordKey:
    """Marks a funding pacs.009 as counted in a confirmed deposit (public)."""
    check_uuid4(funding_uetr, "funding_uetr")
    return RecordKey(_FUNDING, (funding_uetr,))


def channel_salt(secret: bytes, key: RecordKey) -> bytes:
    """The salt of one of the channel's private records, derived from the channel's secret."""
    return derived_salt(secret, key)
